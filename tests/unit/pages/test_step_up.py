"""What the account page's step-up asks for, given the user's factors and a sent code, and how it reads a form."""

from __future__ import annotations

import json

import pytest

from tokenward.domain.mfa.proofs import FactorProof
from tokenward.errors import InvalidPasskey, InvalidRequest
from tokenward.pages.step_up import StepUp, step_up_proof

APP = ("totp", "recovery_code")


@pytest.mark.parametrize(
    ("methods", "sent", "expected"),
    [
        ((), None, StepUp((), None, False)),  # no factor: nothing to prove
        (APP, None, StepUp((), "totp", False)),
        (("webauthn",), None, StepUp((), None, True)),
        (("webauthn", *APP), None, StepUp((), "totp", False)),  # a code field beats the script
        (("email",), None, StepUp(("email",), None, False)),  # nothing to type before a code is sent
        (("email",), "email", StepUp(("email",), "email", False)),
        (("webauthn", *APP, "sms", "email"), "sms", StepUp(("sms", "email"), "sms", False)),
        (APP, "email", StepUp((), "totp", False)),  # a channel the account lacks is not asked for
    ],
)
def test_what_the_forms_ask_for(methods: tuple[str, ...], sent: str | None, expected: StepUp) -> None:
    assert StepUp.of(methods, sent) == expected


def test_a_form_without_a_proof_offers_none() -> None:
    assert step_up_proof({"csrf_token": "x"}) is None
    assert step_up_proof({"step_up_code": "", "step_up_method": "email"}) is None


def test_a_code_and_its_method_are_read() -> None:
    assert step_up_proof({"step_up_code": "123456", "step_up_method": "email"}) == FactorProof(
        "email", "123456"
    )
    assert step_up_proof({"step_up_code": "123456"}) == FactorProof(None, "123456")


def test_a_passkey_response_is_read_before_any_code() -> None:
    assertion = {"id": "abc", "response": {}}
    proof = step_up_proof({"webauthn": json.dumps(assertion), "step_up_code": "123456"})
    assert proof == FactorProof("webauthn", credential=assertion)


@pytest.mark.parametrize(
    ("form", "refusal"),
    [
        ({"step_up_code": "1" * 1000}, InvalidRequest),
        ({"step_up_code": "1", "step_up_method": "m" * 100}, InvalidRequest),
        ({"webauthn": "not json"}, InvalidPasskey),
        ({"webauthn": "[1, 2]"}, InvalidPasskey),
    ],
)
def test_an_oversized_or_malformed_proof_is_refused(form: dict[str, str], refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        step_up_proof(form)
