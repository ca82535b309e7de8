"""The one interface every sandbox backend offers, and the registry that picks a backend.

A sandbox runs ``runner.py`` (the JSON-lines protocol, see docs/grading-engine.md) somewhere
the learner's code cannot reach the site: its secrets, its database, the network. Backends:

- ``local``: bubblewrap namespaces plus rlimits on this host (``local.LocalSandbox``); the
  default on Linux, and the only one that needs nothing but the worker itself;
- ``docker``: a throw-away container with no network, a read-only root, no capabilities and
  a non-root user (``docker.DockerSandbox``);
- ``kubernetes``: a one-pod Job behind a deny-all NetworkPolicy with a restrictive
  securityContext (``kubernetes.KubernetesSandbox``).

Whatever the backend, the grader sees the same five things (``Sandbox``): a host directory
whose files the runner sees as its working directory (``/home/grader``), ``wait_ready``,
``send``, ``receive`` and ``kill``. A sandbox is used for one submission and then killed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from grading.autograder.sandbox.local import WORKDIR, Limits, PipeSandbox, SandboxUnavailable

__all__ = [
    "BACKENDS", "DEFAULT_BACKEND", "WORKDIR", "Limits", "PipeSandbox", "Sandbox",
    "SandboxUnavailable", "create_sandbox", "sandbox_class",
]

BACKENDS = ("local", "docker", "kubernetes")
DEFAULT_BACKEND = "local"


@runtime_checkable
class Sandbox(Protocol):
    """One runner in one fresh sandbox, for one submission.

    ``workdir`` is a private host directory: files put there before the first ``send``
    (a notebook's data files) are what the runner finds in its working directory.
    """

    workdir: Path

    def wait_ready(self, *, timeout: float) -> bool:
        """Wait for the runner's ``{"op": "ready"}`` (once); False if it did not start."""
        ...

    def send(self, message: dict) -> None:
        """Write one command to the runner."""
        ...

    def receive(self, *, timeout: float) -> dict | None:
        """The runner's next message; None if it ended or said nothing within ``timeout``."""
        ...

    def kill(self) -> None:
        """End the runner and everything it started, and remove ``workdir``."""
        ...


def sandbox_class(name: str) -> type:
    """The sandbox class of backend ``name`` (one of ``BACKENDS``)."""
    if name == "local":
        from grading.autograder.sandbox.local import LocalSandbox

        return LocalSandbox
    if name == "docker":
        from grading.autograder.sandbox.docker import DockerSandbox

        return DockerSandbox
    if name == "kubernetes":
        from grading.autograder.sandbox.kubernetes import KubernetesSandbox

        return KubernetesSandbox
    raise ValueError(f"unknown sandbox backend {name!r}; choose one of: {', '.join(BACKENDS)}")


def create_sandbox(name: str = DEFAULT_BACKEND, *, limits: Limits | None = None,
                   preload: tuple[str, ...] = (), **options) -> Sandbox:
    """Start a sandbox of backend ``name``; ``options`` go to that backend (e.g. ``image``)."""
    return sandbox_class(name)(limits=limits, preload=preload, **options)
