"""Python-file hooks run in a sandboxed child: results, failures of every kind, and what the
hook's code cannot reach."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from truthset.hooks.base import HookLimits
from truthset.hooks.python_file import PythonFileHook
from truthset.settings import Settings


@pytest.fixture
def hook_settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    (data / "truthset.db").write_bytes(b"SQLite format 3\x00 pretend")
    (data / "secret-key").write_text("the-deployment-secret")
    return Settings(
        data_dir=data,
        secret_key="the-deployment-secret",  # type: ignore[arg-type]
        s3_endpoint_url="http://127.0.0.1:9",
        s3_access_key_id="hook-key",
        s3_secret_access_key="hook-secret",  # type: ignore[arg-type]
    )


def hook(
    source: str, settings: Settings, seconds: float = 10, memory_mb: int = 1024
) -> PythonFileHook:
    limits = HookLimits(seconds=seconds, memory_mb=memory_mb)
    return PythonFileHook(textwrap.dedent(source), "hook.py", settings, limits)


def test_a_handler_answers_event_after_event_in_one_process(hook_settings: Settings) -> None:
    source = """
        import os
        CALLS = []
        def lambda_handler(event, context):
            CALLS.append(event["n"])
            print("a hook's print goes to stderr, not into the answer")
            return {"n": event["n"], "calls": len(CALLS), "pid": os.getpid(),
                    "left": context.get_remaining_time_in_millis() > 0}
    """
    with hook(source, hook_settings) as runner:
        first = runner.invoke({"n": 1})
        second = runner.invoke({"n": 2})
    assert first.error is None and first.value["n"] == 1 and first.value["left"]
    # A warm process keeps module state between events, as a Lambda container does.
    assert second.value["calls"] == 2 and second.value["pid"] == first.value["pid"]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        (
            "def lambda_handler(event, context):\n    raise ValueError('no such field')",
            "ValueError: no such field",
        ),
        (
            "import time\ndef lambda_handler(event, context):\n    time.sleep(30)",
            "did not answer within 1 s",
        ),
        ("def lambda_handler(event, context):\n    return {1, 2}", "is not JSON serializable"),
        (
            "def lambda_handler(event, context):\n    return 'x' * (10 * 1024 * 1024)",
            "larger than 6291456 bytes",
        ),
        ("import os\ndef lambda_handler(event, context):\n    os._exit(3)", "exit code 3"),
        ("def lambda_handler(event, context):\n    return bytearray(2 * 1024 ** 3)", "MemoryError"),
        ("def lambda_handler(event context):\n    pass", "could not be loaded"),
    ],
    ids=["exception", "timeout", "garbage", "10 MB", "exit", "memory", "syntax"],
)
def test_a_failing_hook_fails_the_event_and_the_next_event_gets_a_fresh_process(
    hook_settings: Settings, source: str, reason: str
) -> None:
    guarded = source.replace(
        "def lambda_handler(event, context):",
        "def lambda_handler(event, context):\n    if event.get('ok'): return 'fine'",
        1,
    )
    with hook(guarded, hook_settings, seconds=1, memory_mb=512) as runner:
        failed = runner.invoke({"ok": False})
        after = runner.invoke({"ok": True})
    assert failed.value is None and reason in str(failed.error)
    if reason != "could not be loaded":
        assert after.value == "fine"


def test_a_hostile_hook_cannot_read_the_database_the_secret_key_or_the_server(
    hook_settings: Settings,
) -> None:
    source = """
        import glob, os
        def read(path):
            try:
                with open(path, "rb") as handle:
                    return handle.read(64).decode(errors="replace")
            except OSError as error:
                return "refused: " + type(error).__name__
        def lambda_handler(event, context):
            parent = os.getppid()
            paths = [event["db"], event["key"], f"/proc/{parent}/environ",
                     f"/proc/{parent}/cmdline", f"/proc/{parent}/fd/0", "/etc/shadow"]
            found = {path: read(path) for path in paths}
            found["listing"] = glob.glob(event["data"] + "/*")
            found["env"] = dict(os.environ)
            found["cwd"] = os.getcwd()
            return found
    """
    data = hook_settings.data_dir
    event = {"db": str(data / "truthset.db"), "key": str(data / "secret-key"), "data": str(data)}
    with hook(source, hook_settings) as runner:
        seen = runner.invoke(event).value
    for path in [event["db"], event["key"], "/etc/shadow"]:
        assert seen[path].startswith("refused"), path
    assert all(v.startswith("refused") for k, v in seen.items() if k.startswith("/proc/"))
    assert seen["listing"] == []
    assert not any(name.startswith("TRUTHSET_") for name in seen["env"])
    assert "the-deployment-secret" not in repr(seen)
    assert not seen["cwd"].startswith(str(data))
    # What a hook does need: the configured S3 store, for boto3 to read payload files.
    assert seen["env"]["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:9"
    assert seen["env"]["AWS_ACCESS_KEY_ID"] == "hook-key"


def test_a_hook_may_write_its_own_folder_and_import_boto3(hook_settings: Settings) -> None:
    source = """
        import boto3, tempfile
        def lambda_handler(event, context):
            with tempfile.NamedTemporaryFile("w", delete=False) as handle:
                handle.write("scratch")
            client = boto3.client("s3")
            return {"scratch": handle.name, "endpoint": client.meta.endpoint_url}
    """
    with hook(source, hook_settings) as runner:
        result = runner.invoke({})
    assert result.error is None, result.error
    assert result.value["endpoint"] == "http://127.0.0.1:9"
