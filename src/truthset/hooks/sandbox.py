"""The process a Python-file hook runs in (started by python_file.py as `python -I sandbox.py`).

Standard library only, and nothing of truthset is imported: this file runs as a script in a
fresh interpreter. Before the hook's code is loaded it limits itself: address space and file
sizes (setrlimit), and, where the kernel has Landlock, the files it may open at all: the Python
installation and the system's libraries and certificates to read, its own working folder to
write. The database file, the secret key and every other folder stay out of reach, /proc of
other processes included. Without Landlock an audit hook refuses opens of the protected paths
(weaker: code that reaches the C library through ctypes gets past it, so ctypes is refused too).

Protocol on stdin/stdout, one JSON object a line:
    parent -> {"event": {...}}          child -> {"ok": true, "result": ...}
                                        child -> {"ok": false, "error": "..."}
The hook's own output (print, logging) goes to stderr.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import resource
import sys
import time
import traceback
import uuid
from typing import Any

# Landlock (linux/landlock.h): syscall numbers are the same on every architecture since 5.13.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
# Access rights by ABI version: execute .. make_sym (ABI 1), refer (2), truncate (3), ioctl_dev (5).
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1, 2, 4, 8
_ALL_V1 = (1 << 13) - 1
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _landlock(read_roots: list[str], write_roots: list[str]) -> bool:
    """Restricts file access to the given folders; False when the kernel has no Landlock."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return False
    handled = _ALL_V1 | (_REFER if abi >= 2 else 0) | (_TRUNCATE if abi >= 3 else 0)
    handled |= _IOCTL_DEV if abi >= 5 else 0
    attr = _RulesetAttr(handled, 0, 0)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)  # older kernels refuse unknown fields
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return False
    read = _EXECUTE | _READ_FILE | _READ_DIR
    for roots, access in ((read_roots, read), (write_roots, handled)):
        for root in roots:
            try:
                fd = os.open(root, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # a folder this system does not have
            # A rule on a file may only carry file rights.
            rights = access if os.path.isdir(root) else access & (_EXECUTE | _READ_FILE | 2)
            rule = _PathBeneath(rights, fd)
            libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
            os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    done = bool(libc.syscall(_RESTRICT_SELF, ruleset, 0) == 0)
    os.close(ruleset)
    return done


def _audit_guard(protected: list[str]) -> None:
    """The fallback without Landlock: refuse opening protected paths and the C-level escapes."""
    roots = [os.path.realpath(p) for p in protected]

    def guard(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and isinstance(args[0], str | bytes):
            path = os.path.realpath(os.fsdecode(args[0]))
            if path.startswith("/proc/") and not path.startswith(f"/proc/{os.getpid()}/"):
                raise PermissionError(f"hooks may not open {path}")
            if any(path == r or path.startswith(r + os.sep) for r in roots):
                raise PermissionError(f"hooks may not open {path}")
        elif event.startswith(("ctypes.", "os.system", "subprocess.", "os.exec", "os.posix_spawn")):
            raise PermissionError(f"hooks may not use {event}")

    sys.addaudithook(guard)


def _limit(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 20, 256 << 20))


class LambdaContext:
    """The parts of AWS Lambda's context object handlers use."""

    def __init__(self, name: str, memory_mb: int, seconds: float) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/truthset/hooks/{name}"
        self.log_stream_name = self.aws_request_id
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _serve(handler: Any, config: dict[str, Any], out: Any) -> None:
    for line in sys.stdin:
        event = json.loads(line)["event"]
        context = LambdaContext(config["name"], config["memory_mb"], config["seconds"])
        try:
            result = handler(event, context)
            text = json.dumps({"ok": True, "result": result})
        except Exception:
            text = json.dumps({"ok": False, "error": traceback.format_exc(limit=8)[-4000:]})
        out.write(text + "\n")
        out.flush()


def main() -> None:
    config = json.loads(sys.argv[1])
    # The protocol keeps the real stdout; whatever the hook prints goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    _limit(config["memory_mb"])
    if not _landlock(config["read_roots"], config["write_roots"]):
        _audit_guard(config["protected"])
    spec = importlib.util.spec_from_file_location("lambda_function", config["file"])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["lambda_function"] = module
    try:
        spec.loader.exec_module(module)
        handler = module.lambda_handler
    except Exception:
        message = "the hook file could not be loaded: " + traceback.format_exc(limit=4)[-3000:]
        for _line in sys.stdin:
            out.write(json.dumps({"ok": False, "error": message}) + "\n")
            out.flush()
        return
    _serve(handler, config, out)


if __name__ == "__main__":
    main()
