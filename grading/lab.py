"""Learners' labs: open an assignment in JupyterLab, and submit it from there.

Everything crosses over HTTP through ``grading.hub`` (no shared folder), so this works the
same with local, Docker and Kubernetes spawners:

- **Open**: make sure the learner has a hub user and a running server, then copy the
  released notebook and its data files into ``<course-slug>/<assignment-key>/`` in their home
  **only when not there yet**: a learner's work is never overwritten. "Get a fresh copy"
  saves the released notebook beside the old one under a new name.
- **Submit**: pull the notebook's bytes from the learner's server (exactly as saved) and hand
  them to ``grading.services.submissions.submission_create``: the same checks, storage and
  queue as an upload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from grading.autograder.notebooks import NotebookInvalid
from grading.hub import HubClient, HubNotFound, HubUnavailable, ServerState
from grading.models import Assignment
from grading.services.submissions import SubmitOutcome, submission_create
from lms.core.oidc import hub_username

logger = logging.getLogger(__name__)


class LabNotConfigured(HubUnavailable):
    """No hub is configured (JUPYTERHUB_URL / JUPYTERHUB_API_TOKEN are empty)."""


class NotebookMissing(Exception):
    """The assignment's notebook is not where it was put in the learner's lab."""

    def __init__(self, path: str):
        super().__init__(path)
        self.path = path


def lab_client() -> HubClient:
    if not settings.JUPYTERHUB_URL or not settings.JUPYTERHUB_API_TOKEN:
        raise LabNotConfigured("JUPYTERHUB_URL and JUPYTERHUB_API_TOKEN are not set")
    return HubClient(base_url=settings.JUPYTERHUB_URL, token=settings.JUPYTERHUB_API_TOKEN,
                     timeout=settings.JUPYTERHUB_TIMEOUT)


@dataclass(frozen=True)
class LabPaths:
    directory: str
    notebook: str


def lab_paths(assignment: Assignment) -> LabPaths:
    """Where the assignment lives in a learner's home: ``<course-slug>/<key>/<key>.ipynb``."""
    course = assignment.module.get_parent()
    directory = f"{course.slug}/{assignment.key}"
    return LabPaths(directory=directory, notebook=f"{directory}/{assignment.key}.ipynb")


def lab_url(path: str) -> str:
    """The browser's way to ``path`` in the learner's lab (the hub signs them in first)."""
    return (f"{settings.JUPYTERHUB_PUBLIC_URL.rstrip('/')}/hub/user-redirect/lab/tree/"
            f"{quote(path)}")


def lab_start(*, user) -> ServerState:
    """The learner's server, asked for when it is not running (returns at once)."""
    name = hub_username(user)
    with lab_client() as hub:
        hub.user_ensure(name)
        state = hub.server_state(name)
        if state.ready or state.starting:
            return state
        logger.info("starting the lab of user %s (%s)", user.pk, name)
        return hub.server_start(name)


def lab_progress(*, user) -> tuple[ServerState, dict]:
    name = hub_username(user)
    with lab_client() as hub:
        state = hub.server_state(name)
        progress = hub.server_progress(name, timeout=1.0) if state.starting else {}
    return state, progress


def _released_files(assignment: Assignment) -> list[tuple[str, bytes]]:
    files = []
    with assignment.released.open("rb") as stream:
        files.append((f"{assignment.key}.ipynb", stream.read()))
    for data_file in assignment.data_files.visible():
        with data_file.file.open("rb") as stream:
            files.append((data_file.name, stream.read()))
    return files


def lab_files_ensure(*, assignment: Assignment, user, server_url: str,
                     fresh: bool = False) -> str:
    """Put the assignment into the learner's lab where missing; the notebook's path.

    With ``fresh`` the released notebook is saved as ``<key>-fresh-<time>.ipynb`` beside the
    learner's copy (which is left as it is) and that path is returned.
    """
    paths = lab_paths(assignment)
    with lab_client() as hub:
        hub.directory_ensure(server_url, paths.directory)
        opened = paths.notebook
        for name, data in _released_files(assignment):
            target = f"{paths.directory}/{name}"
            if fresh and name == f"{assignment.key}.ipynb":
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
                target = f"{paths.directory}/{assignment.key}-fresh-{stamp}.ipynb"
                opened = target
            elif hub.exists(server_url, target):
                continue  # never overwrite the learner's work
            hub.file_put(server_url, target, data)
            logger.info("copied %s into the lab of user %s", target, user.pk)
    return opened


def lab_submit(*, assignment: Assignment, user) -> SubmitOutcome:
    """Pull the notebook from the learner's running server and submit it."""
    paths = lab_paths(assignment)
    name = hub_username(user)
    with lab_client() as hub:
        state = hub.server_state(name)
        if not state.ready or not state.url:
            raise HubUnavailable(f"the lab of {name} is not running")
        try:
            size = hub.stat(state.url, paths.notebook).get("size") or 0
            if size > settings.GRADING_MAX_NOTEBOOK_BYTES:  # refused before it is fetched
                raise NotebookInvalid(
                    gettext("The notebook is %(size)s bytes; the limit is %(limit)s.")
                    % {"size": f"{size:,}", "limit": f"{settings.GRADING_MAX_NOTEBOOK_BYTES:,}"})
            data = hub.file_bytes(state.url, paths.notebook)
        except HubNotFound as exc:
            raise NotebookMissing(paths.notebook) from exc
    logger.info("pulled %s (%d bytes) from the lab of user %s", paths.notebook, len(data),
                user.pk)
    return submission_create(assignment=assignment, learner=user, data=data)
