"""A small relying-party web application for the Chromium OpenID Connect test: the kind of server-side app an
operator's customer would write with a standard library (Authlib), on its own origin.

``/`` has a "Sign in" link; ``/login`` sends the browser to the authorization endpoint with PKCE, ``state`` and
``nonce``; ``/callback`` checks ``state`` and ``iss``, exchanges the code with its client secret, validates the
ID token against the JWKS with the library and asks ``/userinfo``; ``/logout`` sends the browser to the
end-session endpoint with ``id_token_hint``; ``/bye`` is where it comes back. ``POST /backchannel`` takes
logout tokens (OpenID Back-Channel Logout), checks them with the library against the JWKS and remembers them. A refused sign-in
(``error=access_denied``) is shown as such. It runs in a thread, on ``127.0.0.1`` (another site than the
server's ``localhost``, so the browser treats the two as strangers, as in production).
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.e2e.oidc_relying_party import CodeIDToken, JsonWebKey, OAuth2Client, generate_token, jwt
from tests.servers import free_port


@dataclass
class SignedIn:
    email: str
    id_token: str
    tokens: dict[str, Any]
    claims: dict[str, Any]


@dataclass
class RelyingParty:
    """The app's state: pending sign-ins by ``state``, and the last user signed in."""

    issuer: str
    name: str
    port: int = field(default_factory=free_port)
    client: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, tuple[str, str]] = field(default_factory=dict)
    signed_in: SignedIn | None = None
    #: the checked claims of every logout token received
    logged_out: list[dict[str, Any]] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.origin}/callback"

    @property
    def logged_out_uri(self) -> str:
        return f"{self.origin}/bye"

    def metadata(self) -> dict[str, Any]:
        document: dict[str, Any] = httpx.get(f"{self.issuer}/.well-known/openid-configuration").json()
        return document

    def library_client(self) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client["client_id"],
            client_secret=self.client["client_secret"],
            token_endpoint_auth_method="client_secret_basic",
            redirect_uri=self.redirect_uri,
            scope="openid email profile",
            code_challenge_method="S256",
        )

    # ---------------------------------------------------------------------------------------- the pages

    def login_url(self) -> str:
        verifier, nonce = generate_token(48), generate_token(20)
        with self.library_client() as client:
            url, state = client.create_authorization_url(
                self.metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        self.pending[state] = (verifier, nonce)
        return str(url)

    def callback(self, url: str) -> str:
        query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
        metadata = self.metadata()
        if "error" in query:
            return f"<h1>Sign-in refused</h1><p id=error>{html.escape(query['error'])}</p>"
        verifier, nonce = self.pending.pop(query["state"])
        assert query["iss"] == metadata["issuer"]
        with self.library_client() as client:
            tokens = client.fetch_token(
                metadata["token_endpoint"],
                authorization_response=url,
                state=query["state"],
                code_verifier=verifier,
            )
            keys = JsonWebKey.import_key_set(httpx.get(metadata["jwks_uri"]).json())
            claims = jwt.decode(
                tokens["id_token"],
                keys,
                claims_cls=CodeIDToken,
                claims_options={"iss": {"essential": True, "value": metadata["issuer"]}},
                claims_params={
                    "nonce": nonce,
                    "client_id": client.client_id,
                    "access_token": tokens["access_token"],
                },
            )
            claims.validate()
            profile = client.get(metadata["userinfo_endpoint"]).json()
        self.signed_in = SignedIn(profile["email"], tokens["id_token"], dict(tokens), dict(claims))
        return (
            f"<h1>Signed in</h1><p>Signed in as <span id=who>{html.escape(profile['email'])}</span></p>"
            "<p><a href=/logout>Sign out</a></p>"
        )

    @property
    def backchannel_uri(self) -> str:
        return f"{self.origin}/backchannel"

    def backchannel_logout(self, form: str) -> None:
        """Check a logout token as §2.6 of the spec says: signature, ``iss``, ``aud``, the event, no ``nonce``."""
        token = parse_qs(form)["logout_token"][0]
        metadata = self.metadata()
        keys = JsonWebKey.import_key_set(httpx.get(metadata["jwks_uri"]).json())
        claims = jwt.decode(
            token,
            keys,
            claims_options={
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": self.client["client_id"]},
            },
        )
        claims.validate()
        assert claims.header["typ"] == "logout+jwt"
        assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
        assert "nonce" not in claims
        self.logged_out.append(dict(claims))

    def logout_url(self) -> str:
        assert self.signed_in is not None
        query = {
            "id_token_hint": self.signed_in.id_token,
            "client_id": self.client["client_id"],
            "post_logout_redirect_uri": self.logged_out_uri,
        }
        return f"{self.metadata()['end_session_endpoint']}?{urlencode(query)}"


def serve(app: RelyingParty) -> ThreadingHTTPServer:
    """Serve ``app`` in a daemon thread; ``shutdown()`` the returned server when done."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                self._route(urlsplit(self.path).path)
            except Exception as exc:  # shown in the page, so the test's failure says what went wrong
                self._page(f"<h1>Relying party error</h1><pre>{html.escape(repr(exc))}</pre>", 500)

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/backchannel":
                return self._page("<h1>Not found</h1>", 404)
            form = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            try:
                app.backchannel_logout(form)
            except Exception as exc:  # the spec's answer to a token that does not check out
                return self._page(f"<pre>{html.escape(repr(exc))}</pre>", 400)
            self._page("", 200)

        def _route(self, path: str) -> None:
            if path == "/login":
                return self._redirect(app.login_url())
            if path == "/logout":
                return self._redirect(app.logout_url())
            body = {
                "/": f"<h1>{html.escape(app.name)}</h1><p><a href=/login>Sign in with Example Co.</a></p>",
                "/bye": "<h1>Signed out</h1>",
            }.get(path)
            if path == "/callback":
                body = app.callback(f"{app.origin}{self.path}")
            self._page(body or "<h1>Not found</h1>", 200 if body else 404)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _page(self, body: str, status: int) -> None:
            data = f"<!doctype html><title>{html.escape(app.name)}</title>{body}".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", app.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
