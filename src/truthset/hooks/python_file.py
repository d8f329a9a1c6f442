"""Python-file hooks: an unchanged Lambda handler run in a sandboxed child process.

One child serves a whole batch of events (as a warm Lambda container serves many), so startup
is paid once per batch. Each event has a time limit; a child that overruns it, dies, or answers
more than the response limit is killed, the event fails with the reason, and a fresh child
takes the next event. The child starts with a clean environment (no TRUTHSET_* variables: no
database URL, no secret key) in a fresh working folder, and limits itself before the hook's
code loads (sandbox.py): memory, file sizes, and with Landlock the files it can open.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from truthset.hooks.base import HookLimits, Outcome
from truthset.settings import Settings

SANDBOX = Path(__file__).with_name("sandbox.py")
# What a hook may read besides the Python installation: shared libraries, certificates, name
# resolution and time zones.
SYSTEM_READ = (
    "/usr/lib",
    "/usr/lib64",
    "/lib",
    "/lib64",
    "/usr/local/lib",
    "/usr/share/zoneinfo",
    "/usr/share/ca-certificates",
    "/etc/ssl",
    "/etc/pki",
    "/etc/ca-certificates",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/localtime",
    "/etc/services",
    "/etc/protocols",
    "/dev/null",
    "/dev/urandom",
    "/dev/random",
)


def protected_paths(settings: Settings) -> list[Path]:
    """What a hook must never read: the data folder (database, secret key, local output) and
    the SQLite database file wherever it is."""
    paths = [settings.data_dir.resolve()]
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        paths.append(Path(url.removeprefix("sqlite:///")).resolve().parent)
    return paths


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def read_roots(protected: list[Path]) -> list[str]:
    """The Python installation and system folders, less any that contain a protected path."""
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    candidates.update(entry for entry in sys.path if entry and os.path.isabs(entry))
    candidates.update(SYSTEM_READ)
    roots = []
    for candidate in sorted(candidates):
        path = Path(candidate).resolve()
        if not path.exists():
            continue
        if any(_inside(p, path) or _inside(path, p) for p in protected):
            continue
        roots.append(str(path))
    return roots


def hook_environment(
    settings: Settings, workdir: Path, name: str, memory_mb: int
) -> dict[str, str]:
    """A clean environment: what Lambda's runtime sets, and the S3 store the deployment uses,
    so boto3 inside the hook reads payload files with no code changes."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir / "tmp"),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_CONFIG_FILE": str(workdir / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(workdir / ".aws" / "credentials"),
    }
    region = (
        settings.s3_region
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    )
    env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = region
    if settings.s3_endpoint:
        env["AWS_ENDPOINT_URL_S3"] = settings.s3_endpoint
    if settings.s3_access_key_id:
        env["AWS_ACCESS_KEY_ID"] = settings.s3_access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = settings.s3_secret_access_key.get_secret_value()
    else:
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            if key in os.environ:
                env[key] = os.environ[key]
    (workdir / ".aws").mkdir()
    style = "path" if settings.s3_path_style else "auto"
    (workdir / ".aws" / "config").write_text(f"[default]\ns3 =\n  addressing_style = {style}\n")
    return env


class PythonFileHook:
    """A hook file's handler, called event by event in a child process (a context manager)."""

    def __init__(self, source: str, name: str, settings: Settings, limits: HookLimits) -> None:
        self.source = source
        self.name = name
        self.settings = settings
        self.limits = limits
        self.workdir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def __enter__(self) -> PythonFileHook:
        self.workdir = Path(tempfile.mkdtemp(prefix="truthset-hook-"))
        (self.workdir / "payload").mkdir()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def folder(self) -> Path:
        """The child's working folder (payload copies for it go here)."""
        assert self.workdir is not None, "use the hook as a context manager"
        return self.workdir

    def _start(self) -> subprocess.Popen[bytes]:
        work = self.folder / "run"
        shutil.rmtree(work, ignore_errors=True)
        (work / "tmp").mkdir(parents=True)
        (work / "lambda_function.py").write_text(self.source)
        protected = protected_paths(self.settings)
        config = {
            "name": self.name,
            "file": str(work / "lambda_function.py"),
            "memory_mb": self.limits.memory_mb,
            "seconds": self.limits.seconds,
            "read_roots": [*read_roots(protected), str(self.folder / "payload")],
            "write_roots": [str(work)],
            "protected": [str(p) for p in protected],
        }
        env = hook_environment(self.settings, work, self.name, self.limits.memory_mb)
        self._stderr = (work / "stderr.log").open("wb")
        self._buffer = b""
        return subprocess.Popen(
            [sys.executable, "-I", str(SANDBOX), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=work,
            env=env,
            start_new_session=True,  # its own process group: a timeout kills all it started
            close_fds=True,
        )

    def _stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                os.killpg(self.process.pid, 9)
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()
            self._stderr.close()
        self.process = None

    def invoke(self, event: dict[str, Any]) -> Outcome:
        if self.process is None or self.process.poll() is not None:
            self._stop()
            self.process = self._start()
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps({"event": event}).encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return self._failed("the hook process ended before it took the event")
        line, problem = self._read_line(self.process.stdout)
        if problem is not None:
            return self._failed(problem)
        try:
            reply = json.loads(line)
        except json.JSONDecodeError:
            return self._failed("the hook process wrote something that is not JSON")
        if reply.get("ok"):
            return Outcome(value=reply.get("result"))
        return Outcome(error=f"the hook raised an exception: {reply.get('error', '')}"[-2000:])

    def _read_line(self, stdout: IO[bytes]) -> tuple[bytes, str | None]:
        deadline = time.monotonic() + self.limits.seconds
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return b"", f"the hook did not answer within {self.limits.seconds:g} s"
                chunk = os.read(stdout.fileno(), 1 << 20)
                if not chunk:
                    return b"", f"the hook process ended ({self._exit_reason()})"
                self._buffer += chunk
                if len(self._buffer) > self.limits.max_response + 64:
                    return b"", (
                        f"the hook's response is larger than {self.limits.max_response} bytes"
                    )
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line, None

    def _exit_reason(self) -> str:
        assert self.process is not None
        code = self.process.wait(timeout=5)
        tail = (self.folder / "run" / "stderr.log").read_bytes()[-1500:].decode(errors="replace")
        what = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        if "MemoryError" in tail:
            what += f"; out of memory (limit {self.limits.memory_mb} MB)"
        return f"{what}: {tail.strip()}" if tail.strip() else what

    def _failed(self, reason: str) -> Outcome:
        self._stop()  # the next event gets a fresh process
        return Outcome(error=reason)
