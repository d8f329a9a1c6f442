"""Renders worker task UIs: Ground Truth's Liquid templates with its filters (reference 8.4), and
the Content-Security-Policy of the sandboxed frame they run in.

Filters behave as Ground Truth's on missing values: `to_json` of nothing is `null`,
`grant_read_access` and `skip_autoescape` of nothing are empty. Ground Truth's element script
and stylesheet (`assets.crowd.aws`, v1 and v2) are replaced by ours. A template may load scripts,
styles and media from origins the job (option `allowed_origins`) or the deployment
(TRUTHSET_TEMPLATE_ORIGINS) allows, or ship its own files beside it (served from here).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from liquid import Environment, RenderContext, is_undefined
from liquid.builtin.output import Output, OutputNode
from liquid.exceptions import LiquidError
from markupsafe import Markup, escape

from truthset.errors import Invalid

CROWD_SCRIPT = "/static/crowd/crowd-html-elements.js"
# Ground Truth templates load AWS's element script; ours replaces it, as a module.
_AWS_SCRIPT = re.compile(
    r"<script[^>]*src=[\"']https://assets\.crowd\.aws/crowd-html-elements(?:-v2)?\.js[\"'][^>]*>\s*</script>",
    re.IGNORECASE,
)
# Its stylesheet styles AWS's elements; ours carry their own styles.
_AWS_STYLESHEET = re.compile(
    r"<link[^>]*href=[\"']https://assets\.crowd\.aws/[^\"']*\.css[\"'][^>]*>", re.IGNORECASE
)
# Relative references a template makes to files of its own (src="app.js", href="style.css").
# A reference to a file of the template's own: `src="lib/app.js"` or `href="./style.css"`
# (group 1 the whole value, group 2 the name without `./`).
_RELATIVE_REF = re.compile(
    r"""\b(?:src|href)\s*=\s*["']((?:\./)?([A-Za-z0-9_][A-Za-z0-9_./-]*))["']"""
)
_FORM = re.compile(r"<crowd-form\b", re.IGNORECASE)
_CROWD_ELEMENT = re.compile(r"<crowd-[a-z]", re.IGNORECASE)
_OWN_FORM = re.compile(r"<crowd-entity-annotation\b", re.IGNORECASE)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
MAX_TEMPLATE_CHARS = 128_000
MAX_ASSETS = 50
MAX_ASSET_BYTES = 5 * 1024 * 1024

# The task frame runs the job's template. Its sandbox (an opaque origin, no cookies of ours)
# is what protects the portal; the policy keeps the frame's traffic to this server, the media
# store and the origins the job or deployment allows. The image tools decode photos in a
# Worker started from a blob: URL (docs/crowd-elements-image-tools.md).
_FRAME_POLICY = (
    "sandbox allow-scripts allow-forms allow-modals; default-src 'self' data: blob:; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'{o}; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'{o}; font-src 'self' data:{o}; "
    "img-src 'self' data: blob:{m}{o}; media-src 'self' data: blob:{m}{o}; "
    "connect-src 'self'{m}{o}; frame-src 'self'{o}; frame-ancestors 'self'"
)


def _to_json(value: Any) -> str:
    return json.dumps(None if is_undefined(value) else value, ensure_ascii=False, default=str)


class _JsonOutputNode(OutputNode):
    """`{{ value }}` of an object, or of a list holding objects, prints JSON: the A2I samples
    write `initial-value="{{ task.input.selectedAiServiceResponse.blocks }}"` and AWS's element
    parses that attribute as JSON. Strings, numbers and lists of them print as Liquid does."""

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        value = self.expression.evaluate(context)
        if isinstance(value, dict) or (
            isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value)
        ):
            text = json.dumps(value, ensure_ascii=False)
            return buffer.write(str(escape(text)) if context.autoescape else text)
        return super().render_to_output(context, buffer)


class _JsonOutput(Output):
    node_class = _JsonOutputNode


def _environment(sign: Callable[[str], str]) -> Environment:
    env = Environment(autoescape=True)
    env.add_tag(_JsonOutput)
    env.filters["to_json"] = _to_json
    env.filters["skip_autoescape"] = lambda value: Markup("" if is_undefined(value) else str(value))
    env.filters["grant_read_access"] = lambda value: (
        sign(str(value)) if value and not is_undefined(value) else ""
    )
    return env


def frame_policy(media: str, origins: Iterable[str]) -> str:
    """The task frame's Content-Security-Policy. `origins` are checked origins (no spaces or
    semicolons can reach here: job_requests.check_origins and the settings validator)."""
    extra = "".join(f" {origin}" for origin in origins)
    return _FRAME_POLICY.format(m=f" {media}" if media else "", o=extra)


def relative_assets(template: str) -> list[str]:
    """The files a template refers to by relative name (its own scripts, styles, images)."""
    names = {match.group(2) for match in _RELATIVE_REF.finditer(template)}
    return sorted(n for n in names if ".." not in n.split("/") and not n.endswith("/"))


def render(
    template: str,
    task_input: dict[str, Any],
    sign: Callable[[str], str],
    asset_url: Callable[[str], str] | None = None,
    assets: Iterable[str] = (),
) -> str:
    """The HTML a worker's browser gets for one task. Raises Invalid on template errors.
    References to the template's own files (`assets`) are pointed at `asset_url(name)`."""
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
    html = _AWS_STYLESHEET.sub("", html)
    html = _wrap_in_form(html)
    own = set(assets)
    if asset_url is not None and own:

        def point(match: re.Match[str]) -> str:
            name = match.group(2)
            if name not in own:
                return match.group(0)
            start, end = match.start(1) - match.start(0), match.end(1) - match.start(0)
            whole = match.group(0)
            return whole[:start] + asset_url(name) + whole[end:]

        html = _RELATIVE_REF.sub(point, html)
    return html


def _wrap_in_form(html: str) -> str:
    """Ground Truth's annotation elements submit without a crowd-form around them (gallery
    templates such as named-entity-recognition have none); ours deliver answers through one,
    so a template without it gets one around its body. crowd-entity-annotation brings its own,
    in its shadow root, as AWS's does: templates reach into it to add questions."""
    if _FORM.search(html) or not _CROWD_ELEMENT.search(html) or _OWN_FORM.search(html):
        return html
    body = _BODY.search(html)
    if body is None:
        return f"<crowd-form>{html}</crowd-form>"
    end = html.lower().rfind("</body>")
    end = end if end > body.end() else len(html)
    return f"{html[: body.end()]}<crowd-form>{html[body.end() : end]}</crowd-form>{html[end:]}"


def check_template(template: str) -> list[str]:
    """Problems that would stop the template from rendering (for RenderUiTemplate and job creation)."""
    try:
        _environment(lambda uri: uri).from_string(template)
    except LiquidError as error:
        return [str(error)]
    return []


def check_template_text(template: str, where: str) -> str:
    """A worker template given as text, checked; raises Invalid naming `where`."""
    if len(template) > MAX_TEMPLATE_CHARS:
        raise Invalid(f"{where}: the template is longer than {MAX_TEMPLATE_CHARS} characters")
    if problems := check_template(template):
        raise Invalid(f"{where}: not a valid Liquid template: {problems[0]}")
    return template
