"""The kernel's limits, set by a runner on itself before anything it runs can act.

``confine`` installs the grader's seccomp program (built outside the sandbox by
``grading.autograder.seccomp``, handed in as bytes) on every thread of the process
(``SECCOMP_FILTER_FLAG_TSYNC``), and caps the number of threads (``RLIMIT_NPROC``, counted
per user in the sandbox's own user namespace). Once set, neither can be undone by the process:
the kernel enforces them, whatever code runs later (docs/grading-engine.md).
"""

from __future__ import annotations

import ctypes
import os
import platform
import resource

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_SYSCALL = {"x86_64": 317, "aarch64": 277}
INBOX = "/run/aimd-inbox"  # the local backend hands data files in here, read-only


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(program: bytes) -> None:
    """Load the BPF ``program`` (8-byte instructions) on all threads; OSError on failure."""
    if not program or len(program) % 8:
        raise OSError("the seccomp program is empty or malformed")
    number = SECCOMP_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(f"seccomp is not wired for {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buffer = ctypes.create_string_buffer(program, len(program))
    prog = _Filter(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    result = libc.syscall(ctypes.c_long(number), ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    if result != 0:
        raise OSError(ctypes.get_errno(), f"seccomp() failed ({result})")


def cap_threads(limit: int) -> None:
    """At most ``limit`` tasks (threads; processes are refused outright) for this user."""
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def confine(*, seccomp: bytes, threads: int) -> None:
    install_seccomp(seccomp)
    cap_threads(threads)


def copy_inbox() -> None:
    """Copy the data files the local backend handed in into the working directory (a tmpfs
    of the sandbox's own). Docker and Kubernetes put them in the working directory."""
    import shutil

    if not os.path.isdir(INBOX):
        return
    for name in os.listdir(INBOX):
        source = os.path.join(INBOX, name)
        if os.path.isdir(source):
            shutil.copytree(source, name, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, name)
