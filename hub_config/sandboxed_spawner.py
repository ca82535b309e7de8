"""The local spawner of one machine (the demo): each learner's JupyterLab in a bubblewrap sandbox.

JupyterHub's local spawners run every lab as a process of the hub's own user, with everything
that user can read: the site's settings and secrets (``var/demo.env``), its database, the
instructors' sources with their solutions and hidden tests, every learner's submissions and
every other learner's lab. Here the lab sees the system's programs and libraries read-only,
the project's Python environment read-only, and of the project's files only its own home
directory (read-write) and the lab's settings; ``/tmp`` is its own. It keeps the machine's
network (the hub and the proxy reach it on the loopback), and runs as an unprivileged user
in its own user, process, IPC and host-name namespaces, so it never needs ``--allow-root``.

On more than one machine, or for real learners, use DockerSpawner or KubeSpawner
(``JUPYTERHUB_SPAWNER``), which also give each lab its own network and limits.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import List, Unicode

LAB_UID = "65534"  # inside the sandbox: nobody


def python_paths() -> list[str]:
    """The interpreter's and the environment's trees (read-only in the sandbox)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).resolve().parent.parent)}
    return sorted(p for p in paths if p and Path(p).exists())


def lab_sandbox(*, home: str, hidden: str, shown: list[str]) -> list[str]:
    """The bubblewrap argv that precedes a lab's command: ``hidden`` (the project) is an
    empty directory but for ``shown`` (read-only) and ``home`` (read-write)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise RuntimeError("bubblewrap (bwrap) is not installed: the local spawner runs each "
                           "lab in it (apt install bubblewrap)")
    command = [
        bwrap, "--die-with-parent", "--unshare-all", "--share-net",
        "--uid", LAB_UID, "--gid", LAB_UID, "--hostname", "lab",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin", "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        "--ro-bind-try", "/etc/localtime", "/etc/localtime",
        "--ro-bind-try", "/etc/fonts", "/etc/fonts",
        "--ro-bind-try", "/etc/hosts", "/etc/hosts",
        "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf",
        "--ro-bind-try", "/etc/ssl", "/etc/ssl",
        "--ro-bind-try", "/etc/mime.types", "/etc/mime.types",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",  # noqa: S108 - the lab's own
        "--tmpfs", hidden,
    ]
    for path in python_paths():
        command += ["--ro-bind", path, path]
    for path in shown:
        command += ["--ro-bind-try", path, path]
    command += ["--bind", home, home, "--remount-ro", hidden, "--chdir", home]
    return command


class SandboxedLocalSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner, with each lab in a bubblewrap sandbox (module docstring)."""

    project_dir = Unicode(help="The project's directory: nothing of it is seen in a lab but "
                               "the lab's home and ``shown_paths``.").tag(config=True)
    shown_paths = List(Unicode(), help="Paths under the project a lab may read "
                                       "(read-only).").tag(config=True)

    async def start(self):
        home = Path(self.home_dir)
        home.mkdir(parents=True, exist_ok=True)
        command = list(self.cmd)
        self.cmd = lab_sandbox(home=str(home), hidden=self.project_dir,
                               shown=list(self.shown_paths)) + command
        try:
            return await super().start()
        finally:
            self.cmd = command
