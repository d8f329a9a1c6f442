"""Which hook a job uses: parsing what the CLI, REST and SageMaker API name, registered hooks,
and opening a hook to invoke.

A job stores its hooks in its options as one of:
    {"kind": "python", "name": "pre.py", "source": "<the file>"}
    {"kind": "http", "url": "https://..."}
    {"kind": "lambda", "arn": "arn:aws:lambda:<region>:<account>:function:<name>"}
    {"kind": "registered", "name": "<name>"}   (looked up at each use, as a Lambda ARN is)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from truthset.db.tables import Hook as HookRow
from truthset.deployment import Deployment
from truthset.errors import Invalid, NotFound
from truthset.hooks.aws_lambda import LambdaHook
from truthset.hooks.base import Hook, HookLimits
from truthset.hooks.http import HttpHook
from truthset.hooks.python_file import PythonFileHook
from truthset.names import check_name

LAMBDA_ARN = re.compile(r"arn:aws[a-z\-]*:lambda:([a-z0-9\-]*):([0-9]{12}):function:([^:]+)(:.+)?")
# Ground Truth's pass-through Lambdas: the same as no hook.
PASSTHROUGH = ("PRE-PassThrough", "ACS-PassThrough")
MAX_SOURCE_CHARS = 1_000_000
KINDS = ("python", "http", "lambda", "registered")


@dataclass(frozen=True)
class HookInfo:
    name: str
    kind: str
    url: str | None
    created_at: datetime


def hook_arn(dep: Deployment, name: str) -> str:
    """The Lambda ARN a registered hook answers to in the SageMaker API."""
    settings = dep.settings
    return f"arn:aws:lambda:{settings.sagemaker_region}:{settings.sagemaker_account_id}:function:{name}"


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _registered(dep: Deployment, name: str) -> bool:
    with dep.db.read() as conn:
        return conn.scalar(select(HookRow.id).where(HookRow.name_key == name.lower())) is not None


def from_arn(dep: Deployment, arn: str, where: str) -> dict[str, Any] | None:
    """A Lambda ARN as a hook: a registered hook of that function name, Ground Truth's
    PassThrough (None), or the real Lambda function."""
    match = LAMBDA_ARN.fullmatch(arn)
    if match is None:
        raise Invalid(f"{where}: {arn!r} is not a Lambda function ARN")
    function = match.group(3)
    if function in PASSTHROUGH:
        return None
    if _registered(dep, function):
        return {"kind": "registered", "name": function}
    return {"kind": "lambda", "arn": arn}


def python_hook(source: str, name: str, where: str) -> dict[str, Any]:
    if len(source) > MAX_SOURCE_CHARS:
        raise Invalid(f"{where}: {name} is longer than {MAX_SOURCE_CHARS} characters")
    try:
        tree = compile(source, name, "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    except SyntaxError as error:
        raise Invalid(f"{where}: {name} line {error.lineno}: {error.msg}") from None
    if not any(getattr(node, "name", None) == "lambda_handler" for node in tree.body):  # type: ignore[attr-defined]
        raise Invalid(f"{where}: {name} defines no lambda_handler(event, context)")
    return {"kind": "python", "name": name, "source": source}


def from_cli(dep: Deployment, value: str, where: str) -> dict[str, Any] | None:
    """`--pre-hook` / `--post-hook`: a .py file, an http(s) URL or a Lambda ARN."""
    if value.startswith("arn:"):
        return from_arn(dep, value, where)
    if _is_url(value):
        return {"kind": "http", "url": value}
    path = Path(value).expanduser()
    if not path.is_file():
        raise Invalid(f"{where}: {value} is not a file, an http(s) URL or a Lambda ARN")
    return python_hook(path.read_text(), path.name, where)


def check_hook(dep: Deployment, value: Any, where: str) -> dict[str, Any] | None:
    """A hook as the REST API takes it (a URL or ARN string, or the stored object), checked."""
    if value is None:
        return None
    if isinstance(value, str):
        if value.startswith("arn:"):
            return from_arn(dep, value, where)
        if _is_url(value):
            return {"kind": "http", "url": value}
        raise Invalid(f"{where}: give an http(s) URL, a Lambda ARN or a hook object")
    if not isinstance(value, dict) or value.get("kind") not in KINDS:
        raise Invalid(f"{where}: a hook object needs a kind: {', '.join(KINDS)}")
    kind = value["kind"]
    if kind == "python":
        return python_hook(str(value.get("source", "")), str(value.get("name", "hook.py")), where)
    if kind == "http" and _is_url(str(value.get("url", ""))):
        return {"kind": "http", "url": value["url"]}
    if kind == "lambda":
        return from_arn(dep, str(value.get("arn", "")), where)
    if kind == "registered" and _registered(dep, str(value.get("name", ""))):
        return {"kind": "registered", "name": value["name"]}
    raise Invalid(f"{where}: the {kind} hook is incomplete or names nothing known")


def describe(spec: dict[str, Any] | None) -> str:
    """A hook in a line, for describe and the console."""
    if spec is None:
        return "PassThrough"
    return str(spec.get("url") or spec.get("arn") or spec.get("name"))


def limits(dep: Deployment) -> HookLimits:
    settings = dep.settings
    return HookLimits(seconds=settings.hook_time_limit, memory_mb=settings.hook_memory_limit)


def open_hook(dep: Deployment, spec: dict[str, Any]) -> Hook:
    """A hook ready to be entered (`with open_hook(...) as hook: hook.invoke(event)`)."""
    kind = spec["kind"]
    if kind == "registered":
        with dep.db.read() as conn:
            row = conn.execute(
                select(HookRow.__table__).where(HookRow.name_key == str(spec["name"]).lower())
            ).first()
        if row is None:
            raise NotFound(f"the registered hook {spec['name']!r} was deleted")
        spec = (
            {"kind": "python", "name": f"{row.name}.py", "source": row.source}
            if row.kind == "python"
            else {"kind": "http", "url": row.url}
        )
        kind = spec["kind"]
    if kind == "python":
        return PythonFileHook(str(spec["source"]), str(spec["name"]), dep.settings, limits(dep))
    if kind == "http":
        return HttpHook(str(spec["url"]), dep.secret_key, limits(dep))
    return LambdaHook(str(spec["arn"]), limits(dep))


def register_hook(dep: Deployment, name: str, target: str) -> HookInfo:
    """Registers (or replaces) a hook under a name: a .py file or an http(s) URL."""
    check_name(name, "hook name")
    if _is_url(target):
        values: dict[str, Any] = {"kind": "http", "url": target, "source": None}
    else:
        path = Path(target).expanduser()
        if not path.is_file():
            raise Invalid(f"{target} is neither a file nor an http(s) URL")
        spec = python_hook(path.read_text(), path.name, "hook")
        values = {"kind": "python", "source": spec["source"], "url": None}
    now = dep.clock.now()
    with dep.db.write() as conn:
        found = conn.execute(
            update(HookRow).where(HookRow.name_key == name.lower()).values(**values)
        ).rowcount
        if not found:
            conn.execute(
                insert(HookRow).values(name=name, name_key=name.lower(), created_at=now, **values)
            )
    return HookInfo(name, values["kind"], values["url"], now)


def list_hooks(dep: Deployment) -> list[HookInfo]:
    with dep.db.read() as conn:
        rows = conn.execute(select(HookRow.__table__).order_by(HookRow.name_key)).all()
    return [HookInfo(r.name, r.kind, r.url, r.created_at) for r in rows]


def delete_hook(dep: Deployment, name: str) -> None:
    with dep.db.write() as conn:
        if not conn.execute(delete(HookRow).where(HookRow.name_key == name.lower())).rowcount:
            raise NotFound(f"no hook named {name!r}")
