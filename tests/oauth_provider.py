"""A real OAuth2 / OpenID Connect provider on loopback, built with authlib's Flask server.

Authorization-code grant, client_secret_basic and _post, a sign-in page (a name field: the
people are whoever the test says), bearer-protected userinfo. Nothing is mocked: the hub's
oauthenticator talks HTTP to it exactly as it would to GitHub or Keycloak.

    provider = OAuthProvider.start()
    provider.generic_config()  # c.GenericOAuthenticator.* lines for the hub's config
    provider.stop()
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from realhub import free_port

# authlib refuses plain http unless told; the provider only listens on loopback
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

from authlib.integrations.flask_oauth2 import (  # noqa: E402
    AuthorizationServer,
    ResourceProtector,
    current_token,
)
from authlib.oauth2.rfc6749 import grants  # noqa: E402
from authlib.oauth2.rfc6750 import BearerTokenValidator  # noqa: E402
from authlib.oauth2.rfc7636 import CodeChallenge  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

SIGN_IN = """<!doctype html><title>Loopback ID</title>
<h1>Sign in to Loopback ID</h1>
<form method="post"><label>Name <input id="who" name="who" autofocus></label>
<button id="sign-in" type="submit">Sign in</button></form>"""


@dataclass
class Client:
    client_id: str
    client_secret: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri.startswith("http://127.0.0.1:")

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def get_code_challenge(self) -> str | None:
        return self.code_challenge

    def get_code_challenge_method(self) -> str | None:
        return self.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Token:
    access_token: str
    user: str
    scope: str
    issued_at: float = field(default_factory=time.time)
    expires_in: int = 3600

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return False


class OAuthProvider:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = Client("hub-" + secrets.token_hex(4), secrets.token_hex(16))
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.sign_ins: list[str] = []
        self.app = self._app()
        self._server: Any = None

    def _app(self) -> Flask:
        app = Flask("loopback-id")
        provider = self

        def save_token(token: dict[str, Any], req: Any) -> None:
            provider.tokens[token["access_token"]] = Token(
                token["access_token"], req.user, token.get("scope", "")
            )

        server = AuthorizationServer(
            app,
            query_client=lambda cid: provider.client if cid == provider.client.client_id else None,
            save_token=save_token,
        )

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, req: Any) -> None:
                provider.codes[code] = Code(
                    code, req.payload.client_id, req.payload.redirect_uri,
                    req.payload.scope or "", req.user,
                    req.payload.data.get("code_challenge"),
                    req.payload.data.get("code_challenge_method"),
                )  # fmt: skip

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> str:
                return authorization_code.user

        # PKCE, as oauthenticator sends it (code_challenge S256, then code_verifier)
        server.register_grant(CodeGrant, [CodeChallenge(required=True)])

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> Token | None:
                return provider.tokens.get(token_string)

        protect = ResourceProtector()
        protect.register_token_validator(Validator())

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            if request.method == "GET":
                server.get_consent_grant(end_user=None)  # checks client and redirect_uri
                return SIGN_IN
            who = request.form["who"]
            provider.sign_ins.append(who)
            return server.create_authorization_response(grant_user=who)

        @app.route("/token", methods=["POST"])
        def token() -> Any:
            return server.create_token_response()

        @app.route("/userinfo")
        @protect()
        def userinfo() -> Any:
            user = current_token.user
            # what an OpenID Connect provider says: the login as typed, and an email
            return jsonify({"sub": user, "preferred_username": user, "email": f"{user}@id.test"})

        return app

    @classmethod
    def start(cls) -> OAuthProvider:
        provider = cls()
        provider._server = make_server("127.0.0.1", provider.port, provider.app, threaded=True)
        threading.Thread(target=provider._server.serve_forever, daemon=True).start()
        return provider

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def generic_config(self, section: str = "GenericOAuthenticator") -> str:
        """Lines of a hub config pointing oauthenticator's GenericOAuthenticator here."""
        c = f"c.{section}"
        return "\n".join(
            [
                f"{c}.client_id = {self.client.client_id!r}",
                f"{c}.client_secret = {self.client.client_secret!r}",
                f"{c}.authorize_url = {self.url + '/authorize'!r}",
                f"{c}.token_url = {self.url + '/token'!r}",
                f"{c}.userdata_url = {self.url + '/userinfo'!r}",
                f"{c}.username_claim = 'preferred_username'",
                f"{c}.scope = ['openid', 'profile', 'email']",
                f"{c}.login_service = 'Loopback ID'",
            ]
        )
