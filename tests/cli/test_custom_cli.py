"""The template and hook commands, as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import cli  # noqa: F401  (the fixture)
from truthset.hooks.http import endpoint_secret

TEMPLATE = "<crowd-form><h2>{{ task.input.source }}</h2><p>{{ task.input.labels | to_json }}</p></crowd-form>"


def test_templates_are_stored_and_previewed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    (tmp_path / "review.liquid").write_text(TEMPLATE)
    assert "stored" in cli("template", "create", "review", str(tmp_path / "review.liquid"))
    assert "review" in cli("template", "list")
    out = tmp_path / "preview.html"
    line = json.dumps({"source": "a <b>bold</b> claim"})
    assert "wrote" in cli("template", "preview", "review", "--input", line, "--output", str(out))
    html = out.read_text()
    assert "a &lt;b&gt;bold&lt;/b&gt; claim" in html and "<p>null</p>" in html
    assert "http://127.0.0.1:8080/static/crowd/crowd-html-elements.js" in html
    # A file works as well as a stored name; errors are printed with exit code 1.
    (tmp_path / "broken.liquid").write_text("{% if task.input %}never closed")
    assert "error" in cli(
        "template", "preview", str(tmp_path / "broken.liquid"), "--input", "{}", code=1
    )
    assert "not valid JSON" in cli("template", "preview", "review", "--input", "{nope", code=1)
    cli("template", "create", "review", str(tmp_path / "review.liquid"), code=1)
    assert "deleted" in cli("template", "delete", "review")


def test_hooks_are_registered_under_lambda_arns(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    (tmp_path / "pre.py").write_text(
        "def lambda_handler(event, context):\n    return {'taskInput': event['dataObject']}\n"
    )
    arn = cli("hook", "register", "SageMaker-pre", str(tmp_path / "pre.py")).strip()
    assert arn == "arn:aws:lambda:us-east-1:000000000000:function:SageMaker-pre"
    cli("hook", "register", "notify", "https://hooks.example.org/gt")
    listed = cli("hook", "list")
    assert "SageMaker-pre" in listed and "https://hooks.example.org/gt" in listed
    secret = cli("hook", "secret", "https://hooks.example.org/gt").strip()
    assert secret == endpoint_secret("cli-test-key", "https://hooks.example.org/gt")
    (tmp_path / "bad.py").write_text("def handler(event, context):\n    pass\n")
    assert "defines no lambda_handler" in cli(
        "hook", "register", "bad", str(tmp_path / "bad.py"), code=1
    )
    assert "deleted" in cli("hook", "delete", "notify")
    assert "no hook named" in cli("hook", "delete", "notify", code=1)
