"""Name rules shared by jobs, teams and label attributes (Ground Truth's, reference section 2.1)."""

from __future__ import annotations

import re

from truthset.errors import Invalid

_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*")


def check_name(value: str, what: str, max_length: int = 63) -> str:
    """Checks a job or team name: 1-63 characters, letters, digits and inner hyphens."""
    if not 1 <= len(value) <= max_length or not _NAME.fullmatch(value):
        raise Invalid(
            f"{what} {value!r} is invalid: use 1-{max_length} letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    return value


def check_label_attribute_name(
    value: str, needs_ref: bool, task_type: str, what: str = "label attribute name"
) -> str:
    """Checks a label attribute name, including the `-ref` rule of the task type whose labels
    it names."""
    check_name(value, what, max_length=127)
    if value.endswith("-metadata"):
        raise Invalid(f"{what} {value!r} must not end in '-metadata'")
    if value in ("source", "source-ref"):
        raise Invalid(f"{what} {value!r} is reserved")
    if needs_ref and not value.endswith("-ref"):
        raise Invalid(f"{what} {value!r} must end in '-ref' for {task_type} jobs")
    if not needs_ref and value.endswith("-ref"):
        raise Invalid(f"{what} {value!r} must not end in '-ref' for {task_type} jobs")
    return value
