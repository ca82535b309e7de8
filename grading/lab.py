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
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from grading.autograder.notebooks import NotebookInvalid
from grading.hub import HubClient, HubError, HubNotFound, HubUnavailable, ServerState
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
    """The learner's server and, while it is not ready, the hub's last progress event: while it
    starts ``{"progress": 50, "message": "Spawning server..."}``; after a failed start the hub's
    ``{"failed": True, "message": "Spawn failed: Timeout"}`` (empty when the hub has none)."""
    name = hub_username(user)
    with lab_client() as hub:
        state = hub.server_state(name)
        progress = {}
        if not state.ready:
            try:
                progress = hub.server_progress(name, timeout=1.0)
            except (HubNotFound, HubError):
                progress = {}  # 400 "not starting": no spawn to tell about
    return state, progress


@dataclass(frozen=True)
class LabProgressShown:
    """What the waiting page shows of a progress event: a percentage and a message."""

    percent: int
    message: str
    failed: bool = False
    timed_out: bool = False


# The hub's own words (JupyterHub's progress events) in the learner's language; other
# spawners' messages (pulling an image, a pod scheduled on a node) name the cluster's insides,
# so learners see a plain "Starting…" for them (the bar still moves with their percentage).
_HUB_MESSAGES = (
    (re.compile(r"^Server requested"), gettext_lazy("Your lab has been requested.")),
    (re.compile(r"^Spawning server"), gettext_lazy("Starting your lab's server…")),
    (re.compile(r"^Server ready"), gettext_lazy("Your lab is ready. Opening the notebook…")),
)


def lab_progress_shown(progress: dict, *, ready: bool = False) -> LabProgressShown:
    """The waiting page's bar and message for a hub progress event (see ``lab_progress``)."""
    hub_message = str(progress.get("message") or "")
    if progress.get("failed"):
        timed_out = bool(re.search(r"time(d)? ?out|didn't respond|did not respond",
                                   hub_message, re.IGNORECASE))
        message = (gettext("Your lab did not start in time. The notebook service may be busy; "
                           "try again in a minute.") if timed_out else
                   gettext("Your lab could not be started. Try again; if it keeps failing, "
                           "tell the programme staff."))
        return LabProgressShown(percent=100, message=message, failed=True, timed_out=timed_out)
    if ready or progress.get("ready"):
        return LabProgressShown(percent=100, message=str(_HUB_MESSAGES[2][1]))
    try:
        percent = min(100, max(0, int(progress.get("progress") or 0)))
    except (TypeError, ValueError):
        percent = 0
    message = next((str(text) for pattern, text in _HUB_MESSAGES if pattern.match(hub_message)),
                   gettext("Starting…"))
    return LabProgressShown(percent=percent, message=message)


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
