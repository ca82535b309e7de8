"""The Docker backend: a judge and a learner process in two throw-away containers, one pair
per submission.

Isolation, flag by flag (see ``docker_command``):

- ``--network none``: only a loopback interface, so no exfiltration and no calls home; the
  two containers talk over a Unix socket in a small directory only they mount (``LINK``),
  which the learner listens on and the judge connects to (the socket is removed once used);
- ``--read-only`` root filesystem; the only writable places are the container's work
  directory (``/home/grader``, a bind mount of a fresh host directory), the link directory
  and a small ``noexec`` tmpfs on ``/tmp``;
- ``--user 65534:65534`` (nobody), ``--cap-drop ALL`` and ``no-new-privileges``: no root,
  no capabilities, no way to gain either through a set-uid binary;
- ``--security-opt seccomp=`` the project's profile (``seccomp.json`` beside this file,
  written by ``grading.autograder.seccomp``): no new processes, tracing, mounts, namespaces,
  BPF, io_uring and the rest; each runner then refuses exec to itself as well;
- cgroup limits on memory (with ``--memory-swap`` equal, so no swap), CPUs and the number of
  processes/threads (``--pids-limit``), and the same rlimits as the local backend (CPU
  seconds, file size, open files, no core dumps) as ``--ulimit``;
- nothing of the host's environment: only the variables listed here are set (no ``-e NAME``
  passthrough, no ``--env-file``), so no secret of the worker reaches a container.

The image must contain the project's grading environment: the same Python and libraries as
the labs, and ``grading/autograder/inside/``. The project's own image (``Dockerfile``, built
as ``aimd-lms``) does: it is ``python:3.11-slim`` with the project pip-installed, so the
runners are in ``IMAGE_INSIDE``. Its ENV holds no secrets (the build-time secret key is set on
a RUN line only), which matters because a container always sees its image's ENV. The image
must already be on the host (``--pull never``): grading never pulls.

The work and link directories are paths on the worker's filesystem that the Docker daemon
bind-mounts: when the worker itself runs in a container (with the daemon's socket), those
paths must be the same on the host, e.g. a shared ``TMPDIR`` mounted at the same place in both.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from grading.autograder.sandbox.local import (
    ROLES,
    WORKDIR,
    Limits,
    PipeSandbox,
    SandboxPairBase,
    SandboxUnavailable,
)

DEFAULT_IMAGE = "aimd-lms:latest"
# Where the Dockerfile's ``pip install .`` puts the runners (python:3.11-slim, /usr/local).
IMAGE_INSIDE = "/usr/local/lib/python3.11/site-packages/grading/autograder/inside"
LINK = "/run/aimd-link"  # the directory of the pair's socket, in both containers
SECCOMP_PROFILE = Path(__file__).with_name("seccomp.json")
TMP_SIZE = "64m"

# The whole environment of a runner. Threaded math libraries start one thread per host
# core, which the pids limit would refuse and the CPU quota could not use anyway.
SANDBOX_ENV = {
    "HOME": WORKDIR,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def link_argument(role: str) -> str:
    """The runner's link argument: the learner listens on the socket, the judge connects."""
    return f"{'listen' if role == 'learner' else 'connect'}:{LINK}/link"


def docker_command(*, role: str, image: str, workdir: Path, linkdir: Path, limits: Limits,
                   preload: tuple[str, ...], name: str, docker: str = "docker",
                   cpus: float = 1.0, pids_limit: int = 128, inside: str = IMAGE_INSIDE,
                   seccomp_profile: Path = SECCOMP_PROFILE) -> list[str]:
    """The ``docker run`` argv that starts the ``role`` runner with its commands on
    stdin/stdout."""
    if role not in ROLES:
        raise ValueError(f"unknown sandbox role {role!r}")
    command = [
        docker, "run", "--rm", "-i", "--name", name, "--hostname", "grader", "--pull", "never",
        "--network", "none", "--read-only", "--user", "65534:65534",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--security-opt", f"seccomp={seccomp_profile}",
        "--pids-limit", str(pids_limit),
        "--memory", str(limits.memory_bytes), "--memory-swap", str(limits.memory_bytes),
        "--cpus", f"{cpus:g}",
        "--ulimit", f"cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        "--ulimit", f"fsize={limits.file_bytes}:{limits.file_bytes}",
        "--ulimit", f"nofile={limits.open_files}:{limits.open_files}",
        "--ulimit", "core=0:0",
        "--tmpfs", f"/tmp:rw,noexec,nosuid,size={TMP_SIZE}",  # noqa: S108 - in the container
        "-v", f"{workdir}:{WORKDIR}:rw", "-v", f"{linkdir}:{LINK}:rw", "--workdir", WORKDIR,
    ]
    for key, value in SANDBOX_ENV.items():
        command += ["--env", f"{key}={value}"]
    command += [image, "python", "-I", f"{inside}/{role}.py", ",".join(preload),
                link_argument(role)]
    return command


class DockerSandbox(PipeSandbox):
    """One runner (``role``) in one fresh container with its own work directory; used for
    one submission, then killed (``kill`` also removes the container and the directory).

    Files the sandbox user creates inside subdirectories of its own belong to uid 65534 on
    the host and may outlive ``kill`` when the worker runs as another user; everything else
    is removed.
    """

    def __init__(self, *, role: str = "learner", linkdir: Path, limits: Limits | None = None,
                 preload: tuple[str, ...] = (), image: str = DEFAULT_IMAGE,
                 docker: str = "docker", cpus: float = 1.0, pids_limit: int = 128) -> None:
        binary = shutil.which(docker)
        if binary is None:
            raise SandboxUnavailable(
                f"the docker client ({docker!r}) is not installed or not on PATH; "
                "install it or choose another sandbox backend")
        self.docker, self.role = binary, role
        self.name = f"aimd-grade-{uuid.uuid4().hex[:16]}-{role}"
        self.preload = tuple(preload)
        self._tmp = tempfile.TemporaryDirectory(prefix=f"grade-{role}-",
                                                ignore_cleanup_errors=True)
        self.workdir = Path(self._tmp.name) / "work"
        self.workdir.mkdir()
        self.workdir.chmod(0o777)  # the container's uid 65534 writes here
        self.command = docker_command(role=role, image=image, workdir=self.workdir,
                                      linkdir=linkdir, limits=limits or Limits(),
                                      preload=preload, name=self.name, docker=binary,
                                      cpus=cpus, pids_limit=pids_limit)
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )

    def kill(self) -> None:
        # The container first: killing only the client would leave it running.
        try:
            subprocess.run(  # noqa: S603 - fixed argv, no shell
                [self.docker, "kill", self.name], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=15, check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            pass  # best effort: ``--rm`` and the client's end below still apply
        self._end_process()
        self._tmp.cleanup()


class DockerPair(SandboxPairBase):
    """The learner's and the judge's containers of one submission, and their link
    directory (removed with them)."""

    def __init__(self, *, limits: Limits | None = None, preload: tuple[str, ...] = (),
                 **options) -> None:
        self._link = tempfile.TemporaryDirectory(prefix="grade-link-",
                                                 ignore_cleanup_errors=True)
        linkdir = Path(self._link.name)
        linkdir.chmod(0o777)  # uid 65534 in the learner's container makes the socket here
        self.preload = tuple(preload)
        try:
            self.learner = DockerSandbox(role="learner", linkdir=linkdir, limits=limits,
                                         preload=preload, **options)
        except BaseException:
            self._link.cleanup()
            raise
        try:
            self.judge = DockerSandbox(role="judge", linkdir=linkdir, limits=limits,
                                       preload=preload, **options)
        except BaseException:
            self.learner.kill()
            self._link.cleanup()
            raise

    def kill(self) -> None:
        super().kill()
        self._link.cleanup()
