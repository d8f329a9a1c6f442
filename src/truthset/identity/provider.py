"""Talking to the OpenID Connect provider: its discovery document, its signing keys (JWKS),
and checking an ID token's signature and claims with joserfc.

Both documents are remembered per issuer for an hour; the keys are fetched again at once when
a token names a key id the remembered set lacks (the provider rotated its keys).
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import httpx2
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from truthset.deployment import Deployment
from truthset.errors import Unauthenticated
from truthset.identity.config import OidcConfig

# Asymmetric signatures only: "none" and HMAC (keyed with the client secret) are refused.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]
TTL = 3600.0
LEEWAY = 60  # seconds of clock difference tolerated between us and the provider

_lock = threading.Lock()
_documents: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderError(Unauthenticated):
    """The provider could not be reached or answered something unusable."""


def http_client(dep: Deployment) -> httpx2.Client:
    return httpx2.Client(timeout=10, verify=tls_context(dep), follow_redirects=False)


def tls_context(dep: Deployment) -> ssl.SSLContext:
    ca_file = dep.settings.oidc_ca_file
    return ssl.create_default_context(cafile=ca_file or None)


def _get_json(dep: Deployment, url: str, *, fresh: bool = False) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        found = _documents.get(url)
    if found is not None and not fresh and now - found[0] < TTL:
        return found[1]
    try:
        with http_client(dep) as client:
            response = client.get(url, headers={"accept": "application/json"})
        response.raise_for_status()
        document = response.json()
    except (httpx2.HTTPError, ValueError) as error:
        raise ProviderError(
            f"the identity provider could not be reached at {url}: {error}"
        ) from None
    if not isinstance(document, dict):
        raise ProviderError(f"the identity provider sent no JSON object from {url}")
    with _lock:
        _documents[url] = (now, document)
    return document


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    userinfo: str
    logout: str
    jwks: str


def endpoints(dep: Deployment, config: OidcConfig) -> Endpoints:
    """The configured endpoints, the missing ones from the issuer's discovery document."""
    given = Endpoints(
        config.authorization_endpoint,
        config.token_endpoint,
        config.userinfo_endpoint,
        config.logout_endpoint,
        config.jwks_uri,
    )
    if given.authorization and given.token and given.jwks:
        return given
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    found = _get_json(dep, url)
    if found.get("issuer") != config.issuer:
        raise ProviderError(
            f"the discovery document at {url} names the issuer {found.get('issuer')!r}, "
            f"not {config.issuer!r}"
        )
    return replace(
        given,
        authorization=given.authorization or str(found.get("authorization_endpoint", "")),
        token=given.token or str(found.get("token_endpoint", "")),
        userinfo=given.userinfo or str(found.get("userinfo_endpoint", "")),
        logout=given.logout or str(found.get("end_session_endpoint", "")),
        jwks=given.jwks or str(found.get("jwks_uri", "")),
    )


def _decode(dep: Deployment, jwks_url: str, id_token: str) -> jwt.Token:
    keys = KeySet.import_key_set(_get_json(dep, jwks_url))  # type: ignore[arg-type]
    try:
        return jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except InvalidKeyIdError:
        fresh = KeySet.import_key_set(_get_json(dep, jwks_url, fresh=True))  # type: ignore[arg-type]
        return jwt.decode(id_token, fresh, algorithms=ALGORITHMS)


def check_id_token(
    dep: Deployment, config: OidcConfig, jwks_url: str, id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, after checking its signature against the provider's keys and
    its issuer, audience (and authorized party), expiry, issue time and nonce."""
    try:
        token = _decode(dep, jwks_url, id_token)
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(dep.clock.now().timestamp()),
            leeway=LEEWAY,
            iss={"essential": True, "value": config.issuer},
            aud={"essential": True, "value": config.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as error:
        raise Unauthenticated(f"the identity provider's ID token was refused: {error}") from None
    claims = dict(token.claims)
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != config.client_id:
        raise Unauthenticated(
            "the identity provider's ID token was refused: it was issued to another client"
        )
    return claims
