"""Deployment settings: `TRUTHSET_*` environment variables, overridable by CLI flags."""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import time
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret-key"
# Lists are given in the environment as docs/settings.md writes them (comma- or colon-separated),
# not as JSON: NoDecode stops pydantic-settings from decoding them as JSON before the validators
# below split them (without it, TRUTHSET_DATA_ROOTS=/data/mammo is refused as invalid JSON).
CommaList = Annotated[list[str], NoDecode]
PathList = Annotated[list[Path], NoDecode]


def _json_list(value: str) -> list[object] | None:
    """A list written as JSON (`["/a", "/b"]`), still accepted as earlier versions wanted it."""
    if not value.strip().startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise ValueError(f"{value!r} starts like a JSON list but is not valid JSON") from None
    if not isinstance(parsed, list):
        return None
    return parsed


class Settings(BaseSettings):
    """Every setting has a default and a one-line description; docs/settings.md is generated from them."""

    model_config = SettingsConfigDict(env_prefix="TRUTHSET_", extra="ignore")

    data_dir: Path = Field(
        Path("./truthset-data"),
        description="Folder for the embedded database, the secret key, local job output and demo data.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy database URL; empty means SQLite at <data_dir>/truthset.db (WAL mode). "
        "PostgreSQL: postgresql+psycopg://user:password@host/dbname.",
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL",
        description="SQLite's synchronous mode: NORMAL survives a killed process but a power loss "
        "can drop the last commits; FULL also survives power loss, at a cost per commit.",
    )
    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8080, description="Port the server listens on.")
    public_base_url: str = Field(
        "",
        description="Base URL workers reach the server at, used in invitation links; "
        "empty means http://<host>:<port>.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that signs sessions, media URLs and tokens; empty means generated once and "
        "stored in <data_dir>/secret-key.",
    )
    environment: Literal["development", "production"] = Field(
        "development",
        description="In production, unsafe defaults (a generated secret key, http base URL) are refused.",
    )
    smtp_url: str = Field(
        "",
        description="SMTP server for invitation e-mails, e.g. smtp://user:password@host:587?starttls=1; "
        "empty means invitation URLs are printed instead of sent.",
    )
    mail_from: str = Field("truthset <no-reply@localhost>", description="Sender of e-mails.")
    data_roots: PathList = Field(
        default_factory=list,
        description="Local folders that manifests may point into (colon-separated in the environment); "
        "the data dir is always allowed.",
    )
    media_url_ttl: int = Field(
        900, description="Seconds a signed media URL stays valid (capped by the task lease)."
    )
    session_ttl: int = Field(
        12 * 3600, description="Seconds a browser session or API token stays valid."
    )
    invitation_ttl: int = Field(
        7 * 24 * 3600, description="Seconds an invitation link stays valid."
    )
    login_max_failures: int = Field(
        5,
        description="Failed sign-ins to one account from one address (5x that from one address "
        "over all accounts) before each further attempt from there waits: 1 s, doubling, up to "
        "the failure window. Also wrong current passwords on the password form.",
    )
    login_failure_window: int = Field(
        900, description="Seconds failed sign-ins are remembered; the longest wait."
    )
    trusted_proxies: CommaList = Field(
        default_factory=list,
        description="Addresses or CIDRs of reverse proxies (comma-separated) whose "
        "X-Forwarded-For names the client; from anyone else the header is ignored.",
    )
    password_reset_ttl: int = Field(
        3600, description="Seconds a password reset link stays valid (it works once)."
    )
    password_sign_in: bool = Field(
        True,
        description="Sign-in with e-mail and password; false leaves only the identity provider "
        "(OIDC), except for the break-glass admin.",
    )
    break_glass_admin: str = Field(
        "",
        description="E-mail of the admin who may still sign in with a password when "
        "TRUTHSET_PASSWORD_SIGN_IN is false.",
    )
    oidc_issuer: str = Field(
        "",
        description="OpenID Connect issuer URL of the identity provider; empty means no provider "
        "sign-in (unless CreateWorkforce/UpdateWorkforce set an OidcConfig).",
    )
    oidc_client_id: str = Field("", description="Client id truthset has at the provider.")
    oidc_client_secret: SecretStr = Field(
        SecretStr(""), description="Client secret truthset has at the provider."
    )
    oidc_scope: str = Field(
        "openid email profile", description="Scopes asked for at sign-in (openid is added)."
    )
    oidc_authorization_endpoint: str = Field(
        "", description="Authorization endpoint; empty means from the issuer's discovery document."
    )
    oidc_token_endpoint: str = Field(
        "", description="Token endpoint; empty means from the discovery document."
    )
    oidc_userinfo_endpoint: str = Field(
        "", description="UserInfo endpoint; empty means from the discovery document (if any)."
    )
    oidc_logout_endpoint: str = Field(
        "",
        description="End-session endpoint signing out sends the browser to; empty means from the "
        "discovery document (if any).",
    )
    oidc_jwks_uri: str = Field(
        "", description="JWKS URL of the ID-token keys; empty means from the discovery document."
    )
    oidc_extra_params: dict[str, str] = Field(
        default_factory=dict,
        description='Extra authorization request parameters, as a JSON object (e.g. {"prompt": '
        '"login"}): AuthenticationRequestExtraParams.',
    )
    oidc_groups_claim: str = Field(
        "groups",
        description="Claim listing the user's provider groups (sagemaker:groups is read too); "
        "a team follows the groups given to it.",
    )
    oidc_admin_groups: CommaList = Field(
        default_factory=list,
        description="Provider groups (comma-separated) whose members are admins, checked at "
        "every sign-in.",
    )
    oidc_provider_name: str = Field(
        "your organisation", description="Name on the sign-in button: Sign in with <name>."
    )
    oidc_ca_file: str = Field(
        "",
        description="PEM file of the certificate authorities the provider's TLS certificate is "
        "checked against; empty means the system's.",
    )
    workforce_cidrs: CommaList = Field(
        default_factory=list,
        description="Networks (IPv4/IPv6 CIDRs, comma-separated) the worker portal, worker API and "
        "media answer; empty means any. SageMaker UpdateWorkforce SourceIpConfig replaces it.",
    )
    admin_cidrs: CommaList = Field(
        default_factory=list,
        description="Networks (CIDRs, comma-separated) the console, the admin REST API and the "
        "SageMaker API answer; empty means any.",
    )
    background_interval: float = Field(
        1.0, description="Seconds between passes of the background runner (lease expiry, output)."
    )
    output_interval: float = Field(
        5.0, description="Minimum seconds between rewrites of a running job's output manifest."
    )
    stream_idle_seconds: int = Field(
        864_000,
        description="A streaming job stops on its own after this many seconds with no new "
        "object and nothing left to label (Ground Truth: 10 days).",
    )
    stream_poll_interval: float = Field(
        1.0,
        description="Seconds between reads of a streaming job's SQS queue, and between retries "
        "of output lines its topic or webhook did not take.",
    )
    stream_visibility_seconds: int = Field(
        30,
        description="Seconds an SQS message being stored stays hidden from other readers; a "
        "message whose reader died before storing it comes back after this.",
    )
    fast_password_hashing: bool = Field(
        False,
        description="Cheapest argon2 parameters, for test suites only; refused in production.",
    )
    run_background: bool = Field(True, description="Run the background runner with the server.")
    background_process: bool = Field(
        True,
        description="`truthset serve` runs the background runner in a process of its own "
        "(false: a thread of the server process).",
    )
    s3_endpoint_url: str = Field(
        "",
        description="Endpoint of an S3-compatible store (MinIO, Ceph, ...); empty means AWS, or "
        "AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL when set.",
    )
    s3_region: str = Field(
        "", description="S3 region; empty means the usual AWS chain (AWS_REGION, ~/.aws/config)."
    )
    s3_access_key_id: str = Field(
        "",
        description="S3 access key id; empty means the usual AWS credential chain "
        "(environment, ~/.aws, instance role).",
    )
    s3_secret_access_key: SecretStr = Field(
        SecretStr(""), description="S3 secret access key, used with TRUTHSET_S3_ACCESS_KEY_ID."
    )
    s3_path_style: bool = Field(
        False,
        description="Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint> "
        "(most S3-compatible stores need this).",
    )
    s3_max_attempts: int = Field(
        3, description="Attempts per S3 request, retries of network errors and throttling included."
    )
    media_delivery: Literal["proxy", "presign"] = Field(
        "proxy",
        description="How browsers get S3 media: proxy streams it through truthset's signed "
        "/media URLs (no bucket CORS needed); presign hands out presigned S3 GET URLs.",
    )
    dicom_cache_bytes: int = Field(
        2 * 1024**3,
        description="Bytes of decoded DICOM renditions kept in <data_dir>/dicom-cache; past it "
        "the objects used longest ago are removed.",
    )
    dicom_max_pixels: int = Field(
        64_000_000,
        description="Largest DICOM frame decoded (rows x columns x samples, read from the header "
        "before decoding): bigger files are refused rather than exhausting memory.",
    )
    hook_time_limit: float = Field(
        30.0, description="Seconds a pre- or post-annotation hook may take per invocation."
    )
    hook_memory_limit: int = Field(
        1024, description="Megabytes of address space a Python-file hook's process may use."
    )
    hook_attempts: int = Field(
        3,
        description="Invocations of a failing hook per data object before the object is counted "
        "as failed (FailedNonRetryableError).",
    )
    max_body: int = Field(
        1 << 20,
        description="Bytes a request body may have (REST API, SageMaker API, console forms); "
        "larger ones get 413 before they are read. 1 MiB, as the SageMaker API.",
    )
    max_anonymous_body: int = Field(
        16 << 10,
        description="Bytes the body of a request without credentials may have (sign-in, "
        "invitations, password resets).",
    )
    max_answer_body: int = Field(
        64 << 20,
        description="Bytes a worker's answer may have: room for a segmentation mask of the "
        "largest image (masks are PNGs of a few label colours: a few MB at 100 megapixels).",
    )
    media_read_attempts: int = Field(
        5,
        description="Failed reads of a data object's media (denied, unreachable, not a file, a "
        "link out of the data roots) before the object fails with the reason; a missing file "
        "fails it at once.",
    )
    template_origins: CommaList = Field(
        default_factory=list,
        description="Origins (https://cdn.example.com) every task frame may load scripts, styles, "
        "fonts and media from, besides a job's own allowed_origins (comma-separated in the "
        "environment); empty means only this server.",
    )
    sagemaker_region: str = Field(
        "us-east-1", description="Region written into the ARNs of the SageMaker-compatible API."
    )
    sagemaker_account_id: str = Field(
        "000000000000",
        description="12-digit account id written into the ARNs of the SageMaker-compatible API.",
    )
    audit_retention_days: int = Field(
        0,
        description="Days audit entries are kept in the database; 0 keeps them for ever. Pruning "
        "keeps the hash chain verifiable from the last pruned entry.",
    )
    request_log: str = Field(
        "stderr",
        description="Where one JSON line per request goes (request id, route template, status, "
        "duration, client, actor; never paths, queries, tokens or cookies): stderr, a file path, "
        "or empty for nowhere.",
    )
    metrics_dir: str = Field(
        "",
        description="Folder where this host's server and runner processes keep their Prometheus "
        "metrics (prometheus-client's multiprocess mode), so that /metrics on any server of the "
        "host reports the host's totals; empty means <data_dir>/metrics/<hostname>. One folder "
        "per host, on a local disk.",
    )
    audit_log: str = Field(
        "",
        description="Where audit entries are also streamed as JSON lines: a file path, "
        "syslog (the local syslog socket) or syslog://host:port (UDP); empty means nowhere.",
    )

    @field_validator("template_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            listed = _json_list(value)
            value = listed if listed is not None else value.replace(",", " ").split()
        for origin in value if isinstance(value, list) else []:
            # Each goes into the frame's Content-Security-Policy as it is.
            if not str(origin).startswith(("https://", "http://")) or any(
                c in str(origin) for c in " ;'\",\n"
            ):
                raise ValueError(f"{origin!r} is not an origin such as https://cdn.example.com")
        return value

    @field_validator("data_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: object) -> object:
        if isinstance(value, str):
            listed = _json_list(value)
            return listed if listed is not None else [p for p in value.split(":") if p]
        return value

    @field_validator(
        "trusted_proxies", "oidc_admin_groups", "workforce_cidrs", "admin_cidrs", mode="before"
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            listed = _json_list(value)
            if listed is not None:
                return listed
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", "workforce_cidrs", "admin_cidrs")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IPv4 or IPv6 address or CIDR") from None
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'truthset.db'}"

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def allowed_roots(self) -> list[Path]:
        return [self.data_dir.resolve(), *(root.resolve() for root in self.data_roots)]

    @field_validator("sagemaker_account_id")
    @classmethod
    def _check_account(cls, value: str) -> str:
        if not (len(value) == 12 and value.isdigit()):
            raise ValueError("must be 12 digits")
        return value

    @property
    def s3_endpoint(self) -> str:
        """The S3 endpoint in use: the setting, else the standard AWS variables; empty for AWS."""
        return (
            self.s3_endpoint_url
            or os.environ.get("AWS_ENDPOINT_URL_S3", "")
            or os.environ.get("AWS_ENDPOINT_URL", "")
        ).rstrip("/")

    def media_origins(self) -> str:
        """Origins besides our own that task frames may load media from (presigned S3 URLs)."""
        if self.media_delivery != "presign":
            return ""
        endpoint = self.s3_endpoint
        if not endpoint:
            # Presigned AWS URLs name the bucket in the host (bucket.s3.<region>.amazonaws.com).
            return "https://*.amazonaws.com"
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        # Virtual-hosted addressing puts the bucket in front of the endpoint's host.
        return origin if self.s3_path_style else f"{origin} {parts.scheme}://*.{parts.netloc}"

    def ensure_secret_key(self) -> str:
        """Returns the secret key, generating and storing one in the data dir the first time."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        if self.environment == "production":
            raise ValueError("TRUTHSET_SECRET_KEY must be set in production")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / SECRET_KEY_FILE
        try:
            # Created exclusively: of processes starting at once, one writes the key and the
            # others read it (a plain write could leave two processes with different keys).
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        key = ""
        for _ in range(50):  # another process may be writing it this instant
            key = path.read_text().strip()
            if key:
                break
            time.sleep(0.02)
        self.secret_key = SecretStr(key)
        return key

    def check_production(self) -> None:
        """Refuses settings that are only safe on a developer's machine."""
        if self.environment != "production":
            return
        if not self.secret_key.get_secret_value():
            raise ValueError("TRUTHSET_SECRET_KEY must be set in production")
        if self.fast_password_hashing:
            raise ValueError(
                "TRUTHSET_FAST_PASSWORD_HASHING is for tests and refused in production"
            )
        if not self.public_base_url.startswith("https://"):
            raise ValueError("TRUTHSET_PUBLIC_BASE_URL must be an https:// URL in production")
        if self.oidc_issuer and not self.oidc_issuer.startswith("https://"):
            raise ValueError("TRUTHSET_OIDC_ISSUER must be an https:// URL in production")
