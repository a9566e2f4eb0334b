"""Which refusals an operation can answer, declared next to the code that raises them.

A route function, or a dependency it uses, is marked with ``@refuses(ErrorClass, ...)`` naming the
``TokenwardError`` classes it raises; an operation that reads a body refuses ``BODY_REFUSALS`` as well.
``openapi`` collects the marks of every operation (the endpoint and its whole dependency tree) into the
responses of the OpenAPI document, so the document lists what the code raises and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant

from tokenward.api.routing import takes_json_body
from tokenward.errors import InvalidRequest, RequestTooLarge, TokenwardError, UnsupportedMediaType

Function = TypeVar("Function", bound=Callable[..., Any])
_MARK = "__tokenward_refuses__"

#: what any operation that reads a body may answer about the body itself
BODY_REFUSALS: tuple[type[TokenwardError], ...] = (InvalidRequest, RequestTooLarge, UnsupportedMediaType)


def refuses(*errors: type[TokenwardError]) -> Callable[[Function], Function]:
    """Mark a route function or dependency with the refusals it raises (it stays the same function)."""

    def mark(function: Function) -> Function:
        setattr(function, _MARK, (*getattr(function, _MARK, ()), *errors))
        return function

    return mark


def operation_refusals(route: Any) -> list[type[TokenwardError]]:
    """The refusals of an API route (or FastAPI route context): its marks, its dependencies' marks, and
    ``BODY_REFUSALS`` when it reads a JSON body; each class once, in the order found."""
    found: list[type[TokenwardError]] = list(BODY_REFUSALS) if takes_json_body(route) else []
    found += getattr(route.endpoint, _MARK, ())
    for dependant in _dependency_tree(route.dependant):
        found += getattr(dependant.call, _MARK, ())
    return list(dict.fromkeys(found))


def _dependency_tree(dependant: Dependant) -> Iterator[Dependant]:
    for dependency in dependant.dependencies:
        yield dependency
        yield from _dependency_tree(dependency)
