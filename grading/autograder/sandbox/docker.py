"""The Docker backend: the runner in a throw-away container, one per submission.

Isolation, flag by flag (see ``docker_command``):

- ``--network none``: only a loopback interface, so no exfiltration and no calls home;
- ``--read-only`` root filesystem; the only writable places are the submission's work
  directory (``/home/grader``, a bind mount of a fresh host directory) and a small
  ``noexec`` tmpfs on ``/tmp``;
- ``--user 65534:65534`` (nobody), ``--cap-drop ALL`` and ``no-new-privileges``: no root,
  no capabilities, no way to gain either through a set-uid binary;
- cgroup limits on memory (with ``--memory-swap`` equal, so no swap), CPUs and the number of
  processes/threads (``--pids-limit``: no fork bomb), and the same rlimits as the local
  backend (CPU seconds, file size, open files, no core dumps) as ``--ulimit``;
- nothing of the host's environment: only the variables listed here are set (no ``-e NAME``
  passthrough, no ``--env-file``), so no secret of the worker reaches the container.

The image must contain the project's grading environment: the same Python and libraries as
the labs, and ``grading/autograder/sandbox/runner.py``. The project's own image (``Dockerfile``, built
as ``aimd-lms``) does: it is ``python:3.11-slim`` with the project pip-installed, so the
runner is at ``IMAGE_RUNNER``. Its ENV holds no secrets (the build-time secret key is set on
a RUN line only), which matters because a container always sees its image's ENV. The image
must already be on the host (``--pull never``): grading never pulls.

The work directory is a path on the worker's filesystem that the Docker daemon bind-mounts:
when the worker itself runs in a container (with the daemon's socket), that path must be the
same on the host, e.g. a shared ``TMPDIR`` mounted at the same place in both.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from grading.autograder.sandbox.base import WORKDIR, Limits, PipeSandbox, SandboxUnavailable

DEFAULT_IMAGE = "aimd-lms:latest"
# Where the Dockerfile's ``pip install .`` puts the runner (python:3.11-slim, /usr/local).
IMAGE_RUNNER = "/usr/local/lib/python3.11/site-packages/grading/autograder/sandbox/runner.py"
TMP_SIZE = "64m"

# The whole environment of the runner. Threaded math libraries start one thread per host
# core, which the pids limit would refuse and the CPU quota could not use anyway.
SANDBOX_ENV = {
    "HOME": WORKDIR,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def docker_command(*, image: str, workdir: Path, limits: Limits, preload: tuple[str, ...],
                   name: str, docker: str = "docker", cpus: float = 1.0,
                   pids_limit: int = 128, runner: str = IMAGE_RUNNER) -> list[str]:
    """The ``docker run`` argv that starts the runner with the protocol on stdin/stdout."""
    command = [
        docker, "run", "--rm", "-i", "--name", name, "--hostname", "grader", "--pull", "never",
        "--network", "none", "--read-only", "--user", "65534:65534",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
        "--pids-limit", str(pids_limit),
        "--memory", str(limits.memory_bytes), "--memory-swap", str(limits.memory_bytes),
        "--cpus", f"{cpus:g}",
        "--ulimit", f"cpu={limits.cpu_seconds}:{limits.cpu_seconds + 1}",
        "--ulimit", f"fsize={limits.file_bytes}:{limits.file_bytes}",
        "--ulimit", f"nofile={limits.open_files}:{limits.open_files}",
        "--ulimit", "core=0:0",
        "--tmpfs", f"/tmp:rw,noexec,nosuid,size={TMP_SIZE}",  # noqa: S108 - in the container
        "-v", f"{workdir}:{WORKDIR}:rw", "--workdir", WORKDIR,
    ]
    for key, value in SANDBOX_ENV.items():
        command += ["--env", f"{key}={value}"]
    command += [image, "python", "-I", runner, ",".join(preload)]
    return command


class DockerSandbox(PipeSandbox):
    """One runner in one fresh container with its own work directory; used for one
    submission, then killed (``kill`` also removes the container and the work directory).

    Files the sandbox user creates inside subdirectories of its own belong to uid 65534 on
    the host and may outlive ``kill`` when the worker runs as another user; everything else
    is removed.
    """

    def __init__(self, *, limits: Limits | None = None, preload: tuple[str, ...] = (),
                 image: str = DEFAULT_IMAGE, docker: str = "docker", cpus: float = 1.0,
                 pids_limit: int = 128) -> None:
        binary = shutil.which(docker)
        if binary is None:
            raise SandboxUnavailable(
                f"the docker client ({docker!r}) is not installed or not on PATH; "
                "install it or choose another sandbox backend")
        self.docker = binary
        self.name = f"aimd-grade-{uuid.uuid4().hex[:16]}"
        self._tmp = tempfile.TemporaryDirectory(prefix="grade-", ignore_cleanup_errors=True)
        self.workdir = Path(self._tmp.name) / "work"
        self.workdir.mkdir()
        self.workdir.chmod(0o777)  # the container's uid 65534 writes here
        self.command = docker_command(image=image, workdir=self.workdir,
                                      limits=limits or Limits(), preload=preload,
                                      name=self.name, docker=binary, cpus=cpus,
                                      pids_limit=pids_limit)
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
