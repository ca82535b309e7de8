"""The seccomp programs of the grading sandboxes, built with libseccomp (pyseccomp).

Two programs, both "allow unless listed" with the refused calls failing with ``EPERM``:

- ``base_program()``: what bubblewrap installs (``--seccomp``) before it starts the runner:
  no new processes (fork, vfork, clone without ``CLONE_THREAD``; ``clone3`` answers
  ``ENOSYS`` so that glibc makes its threads with ``clone``), no tracing or reading other
  processes' memory, no mounts or namespaces, no BPF, perf events, userfaultfd, io_uring,
  keyrings, kernel modules, sockets other than Unix ones, and the rest of the list below;
- ``runner_program()``: the same plus ``execve``/``execveat``, installed by the runner on
  all its threads once it has started (``inside/confine.py``; bubblewrap itself must still
  exec the runner, so the base program cannot refuse exec).

``docker_profile()`` is the base list as a Docker/Kubernetes seccomp profile (JSON), shipped
as ``deploy/seccomp/grading.json``; the runner adds the exec ban itself there too.
"""

from __future__ import annotations

import errno
import functools
import io
import json

CLONE_THREAD = 0x00010000
AF_UNIX = 1

REFUSED = (
    "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    "pidfd_open", "pidfd_send_signal", "kcmp", "mount", "umount2", "move_mount", "fsopen",
    "fsmount", "fsconfig", "fspick", "open_tree", "mount_setattr", "pivot_root", "chroot",
    "unshare", "setns", "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
    "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "quotactl", "syslog",
    "iopl", "ioperm", "personality", "fanotify_init", "vhangup", "uselib", "sysfs",
)
EXEC = ("execve", "execveat")


class SeccompUnavailable(RuntimeError):
    """libseccomp cannot be loaded here (Debian's libseccomp2 and pyseccomp are needed)."""


def _filter(*, exec_too: bool):
    try:
        import pyseccomp as seccomp  # the worker's only use of libseccomp (ctypes)
    except (ImportError, OSError, TypeError) as exc:
        raise SeccompUnavailable(
            f"the grading sandbox needs libseccomp (Debian: libseccomp2) and pyseccomp: {exc}"
        ) from exc

    program = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    denied = seccomp.ERRNO(errno.EPERM)
    for name in REFUSED + (EXEC if exec_too else ()):
        try:
            program.add_rule(denied, name)
        except OSError:  # not a system call on this architecture (e.g. iopl on arm64)
            continue
    program.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    program.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    program.add_rule(denied, "socket", seccomp.Arg(0, seccomp.NE, AF_UNIX))
    return program


def _bpf(program) -> bytes:
    import tempfile

    with tempfile.TemporaryFile() as file:
        program.export_bpf(file)
        file.seek(0)
        return file.read()


@functools.cache
def base_program() -> bytes:
    """The BPF program bubblewrap installs (everything refused but exec)."""
    return _bpf(_filter(exec_too=False))


@functools.cache
def runner_program() -> bytes:
    """The BPF program the runner installs on itself (exec refused too)."""
    return _bpf(_filter(exec_too=True))


def docker_profile() -> dict:
    """The base list as a Docker / Kubernetes (``Localhost``) seccomp profile."""
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "defaultErrnoRet": errno.EPERM,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                          "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        "syscalls": [
            {"names": list(REFUSED), "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM},
            {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM,
             "args": [{"index": 0, "value": CLONE_THREAD, "valueTwo": 0,
                       "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
            {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM,
             "args": [{"index": 0, "value": AF_UNIX, "op": "SCMP_CMP_NE"}]},
        ],
    }


def docker_profile_json() -> str:
    buffer = io.StringIO()
    json.dump(docker_profile(), buffer, indent=2)
    return buffer.getvalue() + "\n"
