"""Request checking against SageMaker's own API model (botocore's service-2.json).

botocore checks only presence, types and minimums before sending; AWS checks the rest on the
server: maximum lengths and counts, ranges, patterns and enum values. So does this module, from
the same model, so every constraint is checked and every message names the field as it was
sent (`HumanTaskConfig.TaskKeywords[2]`). Members the model does not know are dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from truthset.web.sagemaker.errors import ApiError

MAX_REPORTED = 10

# Java regex classes the model uses that Python's re lacks, by the nearest Python equivalent:
# letters, digits and marks as \w; separators as the Unicode space characters; punctuation and
# symbols as the ASCII and Latin-1 ones.
_JAVA_CLASSES = {
    r"\p{L}": r"\w",
    r"\p{N}": r"\w",
    r"\p{M}": r"\w",
    r"\p{Z}": " \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000",
    r"\p{S}": r"!-/:-@\[-`{-~\u00a1-\u00bf\u00d7\u00f7",
    r"\p{P}": r"!-/:-@\[-`{-~\u00a1-\u00bf\u2010-\u2027\u2030-\u205e",
}


@cache
def service_model(service: str = "sagemaker") -> ServiceModel:
    """Loaded on the first request of the service (about half a second), then kept."""
    return botocore.session.get_session().get_service_model(service)


def operation_model(name: str, service: str = "sagemaker") -> OperationModel:
    return service_model(service).operation_model(name)


@cache
def _pattern(java: str) -> re.Pattern[str]:
    python = java
    for token, replacement in _JAVA_CLASSES.items():
        python = python.replace(token, replacement)
    return re.compile(python)


def validate(operation: str, params: Any, service: str = "sagemaker") -> dict[str, Any]:
    """The request with unknown members dropped and timestamps as naive UTC datetimes;
    raises a ValidationException listing every problem (the first few in full)."""
    shape = operation_model(operation, service).input_shape
    problems: list[str] = []
    if shape is None:
        return {}
    if not isinstance(params, dict):
        raise ApiError("SerializationException", "the request body must be a JSON object")
    cleaned = _check(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        shown = "; ".join(problems[:MAX_REPORTED])
        raise ApiError("ValidationException", f"{count} validation {noun} detected: {shown}")
    return cleaned  # type: ignore[no-any-return]


def _where(path: str) -> str:
    return path or "the request"


def _check(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        return _check_structure(shape, value, path, problems)
    if isinstance(shape, ListShape):
        return _check_list(shape, value, path, problems)
    if isinstance(shape, MapShape):
        return _check_map(shape, value, path, problems)
    if kind == "string":
        return _check_string(shape, value, path, problems)
    if kind in ("integer", "long"):
        return _check_integer(shape, value, path, problems)
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path} must be true or false")
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path} must be a number")
        return value
    if kind == "timestamp":
        return _check_timestamp(value, path, problems)
    return value


def _check_structure(shape: StructureShape, value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{_where(path)} must be an object")
        return value
    members = shape.members
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(f"{_join(path, name)} is required")
    cleaned = {}
    for name, item in value.items():
        if name in members and item is not None:
            cleaned[name] = _check(members[name], item, _join(path, name), problems)
    return cleaned


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _count_limits(shape: Shape, size: int, path: str, what: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        problems.append(f"{path} must have at least {low} {what}, got {size}")
    if high is not None and size > high:
        problems.append(f"{path} must have at most {high} {what}, got {size}")


def _check_list(shape: ListShape, value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, list):
        problems.append(f"{path} must be a list")
        return value
    _count_limits(shape, len(value), path, "items", problems)
    member = shape.member
    return [_check(member, item, f"{path}[{i}]", problems) for i, item in enumerate(value)]


def _check_map(shape: MapShape, value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, dict):
        problems.append(f"{path} must be an object")
        return value
    _count_limits(shape, len(value), path, "entries", problems)
    key_shape, value_shape = shape.key, shape.value
    return {
        _check(key_shape, key, f"{path} key", problems): _check(
            value_shape, item, f"{path}[{key!r}]", problems
        )
        for key, item in value.items()
    }


def _check_string(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    if not isinstance(value, str):
        problems.append(f"{path} must be a string")
        return value
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        problems.append(f"{path} must be at least {low} characters long")
    elif high is not None and len(value) > high:
        problems.append(f"{path} must be at most {high} characters long, got {len(value)}")
    elif (enum := shape.metadata.get("enum")) and value not in enum:
        problems.append(f"{path} must be one of {', '.join(enum)}; got {value!r}")
    elif (pattern := shape.metadata.get("pattern")) and not _pattern(pattern).fullmatch(value):
        problems.append(f"{path} {_short(value)} must match the pattern {pattern}")
    return value


def _short(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _check_integer(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{path} must be an integer")
        return value
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(f"{path} must be at least {low}, got {value}")
    if high is not None and value > high:
        problems.append(f"{path} must be at most {high}, got {value}")
    return value


def _check_timestamp(value: Any, path: str, problems: list[str]) -> datetime | None:
    """botocore sends epoch seconds; ISO 8601 strings are taken too."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, str):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):
        problems.append(f"{path} must be a timestamp (epoch seconds or ISO 8601)")
        return None
    return moment.astimezone(UTC).replace(tzinfo=None)
