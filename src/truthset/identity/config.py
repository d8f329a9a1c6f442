"""The workforce's sign-in configuration: its OpenID Connect provider and the networks it may
work from. SageMaker's CreateWorkforce/UpdateWorkforce store it in the database (one
workforce); until then the TRUTHSET_OIDC_* and TRUTHSET_WORKFORCE_CIDRS settings describe the
workforce `default`. The client secret is kept encrypted under the deployment's secret key and
is never returned.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import delete, insert, select, update

from truthset import audit
from truthset.db.tables import WorkforceConfig
from truthset.deployment import Deployment
from truthset.errors import Conflict, Invalid, NotFound
from truthset.identity.network import parse_networks

DEFAULT_NAME = "default"
_CACHE_KEY = "workforce"


@dataclass(frozen=True)
class OidcConfig:
    """Ground Truth's OidcConfig. Empty endpoints are taken from the issuer's discovery document."""

    client_id: str
    client_secret: str
    issuer: str
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    userinfo_endpoint: str = ""
    logout_endpoint: str = ""
    jwks_uri: str = ""
    scope: str = "openid email profile"
    extra_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Workforce:
    name: str
    oidc: OidcConfig | None
    cidrs: list[str]
    created_at: datetime | None  # None: described by the settings, never stored
    updated_at: datetime | None


def _fernet(dep: Deployment) -> Fernet:
    digest = hashlib.sha256(f"truthset-oidc-client-secret:{dep.secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _from_settings(dep: Deployment) -> Workforce:
    s = dep.settings
    oidc = None
    if s.oidc_issuer:
        oidc = OidcConfig(
            client_id=s.oidc_client_id,
            client_secret=s.oidc_client_secret.get_secret_value(),
            issuer=s.oidc_issuer,
            authorization_endpoint=s.oidc_authorization_endpoint,
            token_endpoint=s.oidc_token_endpoint,
            userinfo_endpoint=s.oidc_userinfo_endpoint,
            logout_endpoint=s.oidc_logout_endpoint,
            jwks_uri=s.oidc_jwks_uri,
            scope=s.oidc_scope,
            extra_params=dict(s.oidc_extra_params),
        )
    return Workforce(DEFAULT_NAME, oidc, list(s.workforce_cidrs), None, None)


def _from_row(dep: Deployment, row: Any) -> Workforce:
    oidc = None
    if row.oidc:
        try:
            secret = _fernet(dep).decrypt((row.oidc_secret or "").encode()).decode()
        except InvalidToken:
            # TRUTHSET_SECRET_KEY changed since UpdateWorkforce stored it: set it again.
            secret = ""
        oidc = OidcConfig(**{**json.loads(row.oidc), "client_secret": secret})
    return Workforce(row.name, oidc, json.loads(row.cidrs), row.created_at, row.updated_at)


def current(dep: Deployment) -> Workforce:
    """The workforce as configured now (remembered for a few seconds: every request asks)."""
    now = dep.clock.now()
    cached = dep.workforce_config.get(_CACHE_KEY, now)
    if isinstance(cached, Workforce):
        return cached
    with dep.db.read() as conn:
        row = conn.execute(select(WorkforceConfig.__table__)).first()
        found = _from_row(dep, row) if row is not None else _from_settings(dep)
    dep.workforce_config.put(_CACHE_KEY, found, now)
    return found


def _values(dep: Deployment, oidc: OidcConfig | None, cidrs: list[str]) -> dict[str, object]:
    parse_networks(cidrs, "SourceIpConfig.Cidrs")
    values: dict[str, object] = {"cidrs": json.dumps(cidrs), "updated_at": dep.clock.now()}
    if oidc is not None:
        public = {k: v for k, v in asdict(oidc).items() if k != "client_secret"}
        values["oidc"] = json.dumps(public)
        values["oidc_secret"] = _fernet(dep).encrypt(oidc.client_secret.encode()).decode()
    return values


def _check_name(dep: Deployment, name: str) -> None:
    if name != current(dep).name:
        raise NotFound(f"there is no workforce named {name!r}; this one is {current(dep).name!r}")


def create(dep: Deployment, name: str, oidc: OidcConfig | None, cidrs: list[str]) -> Workforce:
    """Stores the workforce (replacing the one the settings describe). There is one: a second
    CreateWorkforce is refused until DeleteWorkforce."""
    with dep.db.write() as conn:
        if conn.scalars(select(WorkforceConfig.id)).first() is not None:
            raise Conflict(
                f"this deployment already has a workforce ({current(dep).name!r}); "
                "there is one per deployment, delete it first"
            )
        values = _values(dep, oidc, cidrs)
        conn.execute(
            insert(WorkforceConfig).values(name=name, created_at=dep.clock.now(), **values)
        )
        audit.record(conn, dep, "workforce.created", detail=_described(name, oidc, cidrs))
    dep.workforce_config.clear()
    return current(dep)


def _described(name: str, oidc: OidcConfig | None, cidrs: list[str] | None) -> dict[str, object]:
    """What an audit entry says of a workforce change (never the client secret)."""
    detail: dict[str, object] = {"workforce": name}
    if oidc is not None:
        detail["oidc"] = {"issuer": oidc.issuer, "client_id": oidc.client_id}
    if cidrs is not None:
        detail["cidrs"] = cidrs
    return detail


def update_workforce(
    dep: Deployment, name: str, oidc: OidcConfig | None, cidrs: list[str] | None
) -> Workforce:
    """Changes the networks and/or the provider; stores the workforce the settings described
    on its first change."""
    _check_name(dep, name)
    present = current(dep)
    if oidc is not None and present.oidc is not None and not oidc.client_secret:
        oidc = replace(oidc, client_secret=present.oidc.client_secret)
    with dep.db.write() as conn:
        values = _values(dep, oidc, present.cidrs if cidrs is None else cidrs)
        if present.created_at is None:
            if oidc is None and present.oidc is not None:
                values.update(_values(dep, present.oidc, json.loads(str(values["cidrs"]))))
            conn.execute(
                insert(WorkforceConfig).values(name=name, created_at=dep.clock.now(), **values)
            )
        else:
            conn.execute(update(WorkforceConfig).values(**values))
        audit.record(conn, dep, "workforce.updated", detail=_described(name, oidc, cidrs))
    dep.workforce_config.clear()
    return current(dep)


def delete_workforce(dep: Deployment, name: str) -> None:
    """Forgets the stored workforce; the settings describe it again."""
    _check_name(dep, name)
    if current(dep).created_at is None:
        raise Invalid(
            f"the workforce {name!r} comes from the settings (TRUTHSET_OIDC_*, "
            "TRUTHSET_WORKFORCE_CIDRS); change them there"
        )
    with dep.db.write() as conn:
        conn.execute(delete(WorkforceConfig))
        audit.record(conn, dep, "workforce.deleted", detail={"workforce": name})
    dep.workforce_config.clear()
