"""A real OpenID Connect provider on loopback, over TLS with a certificate made for the test
session, for the sign-in tests: discovery, JWKS, an authorization endpoint with a sign-in form
(code flow with PKCE), token, userinfo and end-session endpoints. It signs ID tokens with
joserfc. `misbehave` makes the next ID tokens wrong in one way, as a broken or hostile
provider would (another issuer, audience, expiry, key or nonce).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import ipaddress
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.live import free_port

CLIENT_ID = "truthset-portal"
CLIENT_SECRET = "portal-secret-0123456789"
OTHER_CLIENT = "someone-elses-app"


@dataclass
class Provider:
    url: str = ""
    ca_file: Path = Path()
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    # sub -> claims (email, groups, ...); the sign-in form offers each as a button.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Set to a sub to sign that user in without the form (tests that drive httpx, not a browser).
    auto_user: str | None = None
    # Claim overrides (iss, aud, exp, nonce, ...) and "sign_with" (another key) for ID tokens.
    misbehave: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> sub
    logouts: list[dict[str, str]] = field(default_factory=list)
    issued_nonces: list[str] = field(default_factory=list)

    def add_user(self, sub: str, email: str, groups: list[str]) -> None:
        self.users[sub] = {"email": email, "email_verified": True, "groups": groups}

    def settings(self) -> dict[str, Any]:
        """TRUTHSET_OIDC_* settings for a deployment that signs in here."""
        return {
            "oidc_issuer": self.url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_ca_file": str(self.ca_file),
            "oidc_provider_name": "Hospital SSO",
        }

    # --- endpoints ---------------------------------------------------------------------

    def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "userinfo_endpoint": f"{self.url}/userinfo",
                "end_session_endpoint": f"{self.url}/logout",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    def jwks(self, _request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        params = (
            dict(request.query_params) if request.method == "GET" else dict(await request.form())
        )
        if params.get("response_type") != "code" or params.get("code_challenge_method") != "S256":
            return Response("code flow with S256 PKCE only", status_code=400)
        sub = params.get("sub") if request.method == "POST" else self.auto_user
        if sub is None:
            return HTMLResponse(self._form(params))
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**params, "sub": sub}
        self.issued_nonces.append(params.get("nonce", ""))
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    def _form(self, params: dict[str, str]) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        buttons = "".join(
            f'<button name="sub" value="{html.escape(sub)}">Sign in as {html.escape(c["email"])}</button>'
            for sub, c in self.users.items()
        )
        return f"<!doctype html><title>Hospital SSO</title><h1>Hospital SSO</h1><form method=post>{hidden}{buttons}</form>"

    async def token(self, request: Request) -> Response:
        form = dict(await request.form())
        client_id, secret = _client_credentials(request, form)
        if secret != CLIENT_SECRET or client_id != CLIENT_ID:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant["client_id"] != client_id:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "redirect_uri"}, 400
            )
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if challenge.decode().rstrip("=") != grant["code_challenge"]:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        access = secrets.token_urlsafe(16)
        self.tokens[access] = grant["sub"]
        return JSONResponse(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(grant["sub"], grant.get("nonce", "")),
            }
        )

    def id_token(self, sub: str, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": sub,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **self.users.get(sub, {}),
        }
        claims.update({k: v for k, v in self.misbehave.items() if k != "sign_with"})
        key = self.misbehave.get("sign_with", self.key)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def userinfo(self, request: Request) -> Response:
        sub = self.tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if sub is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse({"sub": sub, **self.users.get(sub, {})})

    def logout(self, request: Request) -> Response:
        self.logouts.append(dict(request.query_params))
        target = request.query_params.get("post_logout_redirect_uri")
        if target:
            return RedirectResponse(target, status_code=302)
        return HTMLResponse(
            "<!doctype html><title>Signed out</title><h1>Signed out of Hospital SSO</h1>"
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/userinfo", self.userinfo),
                Route("/logout", self.logout),
            ]
        )


def _client_credentials(request: Request, form: dict[str, Any]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if header.startswith("Basic "):
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return client_id, secret
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))


def write_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "provider.pem", folder / "provider-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@contextmanager
def running_provider(folder: Path) -> Iterator[Provider]:
    cert_file, key_file = write_certificate(folder)
    port = free_port()
    provider = Provider(url=f"https://127.0.0.1:{port}", ca_file=cert_file)
    config = uvicorn.Config(
        provider.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=str(cert_file),
        ssl_keyfile=str(key_file),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test identity provider did not start")
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=20)
