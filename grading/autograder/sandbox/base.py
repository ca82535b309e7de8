"""The interfaces every sandbox backend offers, and the registry that picks a backend.

A submission is graded by two runners in two sandboxes (``inside/learner.py`` and
``inside/judge.py``; see docs/grading-engine.md), where learner code cannot reach the site:
its secrets, its database, the network. Backends:

- ``local``: bubblewrap namespaces, seccomp, a cgroup and rlimits on this host
  (``local.SandboxPair``); the default on Linux, and the only one that needs nothing but the
  worker itself;
- ``docker``: two throw-away containers with no network, a read-only root, no capabilities,
  the project's seccomp profile and a non-root user (``docker.DockerPair``);
- ``kubernetes``: a two-container pod (a Job) behind a deny-all NetworkPolicy with a
  restrictive securityContext and the project's seccomp profile
  (``kubernetes.KubernetesPair``).

Whatever the backend, the engine sees a ``Pair``: ``learner`` and ``judge``, each a
``Sandbox`` (a host directory whose files the runner finds in its working directory,
``wait_ready``, ``start``, ``send``, ``receive``), and ``wait_ready``, ``alive`` and ``kill``
for both. A pair is used for one submission and then killed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from grading.autograder.sandbox.clock import Usage
from grading.autograder.sandbox.local import (
    WORKDIR,
    Limits,
    PipeSandbox,
    SandboxPair,
    SandboxUnavailable,
)

__all__ = [
    "BACKENDS", "DEFAULT_BACKEND", "WORKDIR", "Limits", "Pair", "PipeSandbox", "Sandbox",
    "SandboxUnavailable", "create_pair", "pair_class",
]

BACKENDS = ("local", "docker", "kubernetes")
DEFAULT_BACKEND = "local"


@runtime_checkable
class Sandbox(Protocol):
    """One runner in one fresh sandbox.

    ``workdir`` is a private host directory: files put there before the first ``send``
    (the data files; the judge's also the hidden ones) are what the runner finds in its
    working directory.
    """

    workdir: Path

    def wait_ready(self, *, timeout: float) -> bool:
        """Wait for the runner's ``{"op": "ready"}`` (once); False if it did not start."""
        ...

    def start(self, *, seccomp: bytes, threads: int, timeout: float, **extra) -> None:
        """Hand the runner its kernel limits; SandboxUnavailable if it cannot take them."""
        ...

    def send(self, message: dict) -> None:
        """Write one command to the runner."""
        ...

    def receive(self, *, timeout: float,
                extend: Callable[[], float] | None = None) -> dict | None:
        """The runner's next message; None if it ended or said nothing within ``timeout``
        (and the further seconds ``extend`` grants each time that runs out, if any)."""
        ...


@runtime_checkable
class Pair(Protocol):
    """The learner's and the judge's sandboxes of one submission."""

    learner: Sandbox
    judge: Sandbox

    def wait_ready(self, *, timeout: float) -> bool: ...

    def alive(self) -> bool: ...

    def usage(self) -> Usage | None:
        """The CPU and queued time of the pair's processes (``clock``), None if not seen."""
        ...

    def kill(self) -> None:
        """End both runners and everything they started, and remove their directories."""
        ...


def pair_class(name: str) -> type:
    """The pair class of backend ``name`` (one of ``BACKENDS``)."""
    if name == "local":
        return SandboxPair
    if name == "docker":
        from grading.autograder.sandbox.docker import DockerPair  # optional backend

        return DockerPair
    if name == "kubernetes":
        from grading.autograder.sandbox.kubernetes import KubernetesPair  # optional backend

        return KubernetesPair
    raise ValueError(f"unknown sandbox backend {name!r}; choose one of: {', '.join(BACKENDS)}")


def create_pair(name: str = DEFAULT_BACKEND, *, limits: Limits | None = None,
                preload: tuple[str, ...] = (), **options) -> Pair:
    """Start a pair of backend ``name``; ``options`` go to that backend (e.g. ``image``)."""
    return pair_class(name)(limits=limits, preload=preload, **options)
