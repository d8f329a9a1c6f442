"""Renders worker task UIs: Ground Truth's Liquid templates with its filters (reference 8.4)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from liquid import Environment
from liquid.exceptions import LiquidError
from markupsafe import Markup

from truthset.errors import Invalid

CROWD_SCRIPT = "/static/crowd/crowd-html-elements.js"
# Ground Truth templates load AWS's element script; ours replaces it, as a module.
_AWS_SCRIPT = re.compile(
    r"<script[^>]*src=[\"']https://assets\.crowd\.aws/crowd-html-elements\.js[\"'][^>]*>\s*</script>",
    re.IGNORECASE,
)
MAX_TEMPLATE_CHARS = 128_000


def _environment(sign: Callable[[str], str]) -> Environment:
    env = Environment(autoescape=True)
    env.filters["to_json"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["skip_autoescape"] = lambda value: Markup(str(value))
    env.filters["grant_read_access"] = lambda value: sign(str(value)) if value else ""
    return env


def render(template: str, task_input: dict[str, Any], sign: Callable[[str], str]) -> str:
    """The HTML a worker's browser gets for one task. Raises Invalid on template errors."""
    if len(template) > MAX_TEMPLATE_CHARS:
        raise Invalid(f"the UI template is longer than {MAX_TEMPLATE_CHARS} characters")
    try:
        html = _environment(sign).from_string(template).render(task={"input": task_input})
    except LiquidError as error:
        raise Invalid(f"UI template: {error}") from None
    script = f'<script type="module" src="{CROWD_SCRIPT}"></script>'
    html, count = _AWS_SCRIPT.subn(script, html)
    if count == 0:
        html = script + html
    return html


def check_template(template: str) -> list[str]:
    """Problems that would stop the template from rendering (for RenderUiTemplate and job creation)."""
    try:
        _environment(lambda uri: uri).from_string(template)
    except LiquidError as error:
        return [str(error)]
    return []
