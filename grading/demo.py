"""The demo programme's notebook assignments: uploaded and released when the demo is seeded.

The module pages of the demo programme (``courses/demo_content/programme.yaml``) place three
``notebook_assignment`` blocks whose keys name the notebooks of
``courses/demo_content/assignments/`` (made by its ``build.py``). Without an
:class:`~grading.models.Assignment` behind each key the demo's learners could read about the
assignments but never download or submit them, so seeding creates them, uploads each source
with the CSV it reads, and releases it through the real release check (the sandbox grades the
source and the released version): synchronously by default, so the assignments are usable as
soon as ``seed_demo`` returns, or on the worker (``on_worker=True``: ``make demo`` seeds in a
few seconds and the worker releases them when it starts, a few seconds after the site is up).

Idempotent: an assignment is found by key and left as it is (an instructor may have changed
its policy); its source and data files are uploaded again only when the shipped files differ
from the stored ones, and the release runs only while the assignment is not released.
A failing release check is logged, never raised: the rest of the demo stays usable, and the
assignment's release page shows the report.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import transaction

from courses.demo import DEMO_DIR
from courses.models import ModulePage
from grading.models import Assignment, AssignmentDataFile, ReleaseState
from grading.services.assignments import (
    assignment_release,
    assignment_release_request,
    assignment_source_set,
    data_file_add,
)
from grading.storage import sha256

logger = logging.getLogger(__name__)

ASSIGNMENTS_DIR = DEMO_DIR / "assignments"
DATA_DIR = DEMO_DIR / "data"

# Assignment key -> the data files its notebook reads by bare name (beside the notebook).
DEMO_ASSIGNMENTS: dict[str, tuple[str, ...]] = {
    "sensor-spc": ("line_sensors.csv",),
    "pm-classifier": ("bearing_health.csv",),
    "defect-inspector": ("surface_patches.csv",),
}
# Assignment key -> hidden data files: only its tests read them (pm-classifier's evaluation
# month after the learners' data, labels included).
DEMO_HIDDEN_FILES: dict[str, tuple[str, ...]] = {
    "pm-classifier": ("bearing_health_holdout.csv",),
}

# The demo's grading policy: lenient enough to try things out, strict enough to show every
# rule at work (late penalty and its cap, limited attempts, best attempt counts, time limit).
POLICY = {
    "due_at": None,
    "late_penalty_percent_per_day": 10,
    "late_penalty_cap_percent": 50,
    "max_attempts": 5,
    "counting": "best",
    "time_limit_seconds": 60,
}


def source_path(key: str) -> Path:
    return ASSIGNMENTS_DIR / f"{key}.ipynb"


def _module_and_title(key: str) -> tuple[ModulePage, str] | None:
    """The live Korean (default locale) module whose body places ``key``, and the title of
    its notebook assignment block."""
    modules = ModulePage.objects.live().filter(locale__language_code="ko").order_by("path")
    for module in modules:
        if key not in module.assignment_keys:
            continue
        for block in module.body:
            if block.block_type == "notebook_assignment" and block.value["assignment_key"] == key:
                return module, block.value["title"] or module.title
    return None


def _files_sync(assignment: Assignment, key: str) -> bool:
    """Upload the shipped source and data files where they differ; True if anything did."""
    changed = False
    source = source_path(key).read_bytes()
    if assignment.source_sha256 != sha256(source):
        assignment_source_set(assignment=assignment, data=source)
        changed = True
    stored = dict(AssignmentDataFile.objects.filter(assignment=assignment)
                  .values_list("name", "sha256"))
    files = [(name, False) for name in DEMO_ASSIGNMENTS[key]]
    files += [(name, True) for name in DEMO_HIDDEN_FILES.get(key, ())]
    for name, hidden in files:
        data = (DATA_DIR / name).read_bytes()
        if changed or stored.get(name) != sha256(data):
            data_file_add(assignment=assignment, name=name, data=data, hidden=hidden)
            changed = True
    if changed:
        assignment.refresh_from_db()
    return changed


def _release(assignment: Assignment) -> Assignment:
    """Run the release check; a failure is logged and leaves the assignment unreleased."""
    try:
        with transaction.atomic():  # a savepoint: an error inside cannot break the caller's
            assignment = assignment_release(assignment_id=assignment.pk)
    except Exception:  # noqa: BLE001 - e.g. no sandbox here; the demo must seed regardless
        logger.warning("demo assignment %s: the release check could not run", assignment.key,
                       exc_info=True)
        assignment.refresh_from_db()
        return assignment
    if not assignment.is_released:
        logger.warning("demo assignment %s was not released: %s", assignment.key,
                       "; ".join(assignment.release_report.get("problems", [])) or "no report")
    return assignment


def demo_assignments_seed(*, release: bool = True, on_worker: bool = False) -> list[Assignment]:
    """Create, upload and release the demo programme's notebook assignments (idempotent).

    ``release=False`` uploads without running the release check (six sandbox grades, about
    14 s): for tests of the site's pages, which do not grade anything. ``on_worker=True``
    sends the checks to the grading queue (on commit) instead of running them here.
    """
    assignments = []
    for key in DEMO_ASSIGNMENTS:
        found = _module_and_title(key)
        if found is None:
            logger.warning("demo assignment %s: no live Korean module places it; skipped", key)
            continue
        module, title = found
        assignment, created = Assignment.objects.get_or_create(
            key=key, defaults={"title": title, "module": module, **POLICY})
        _files_sync(assignment, key)
        if release and on_worker and assignment.release_state != ReleaseState.CHECKING \
                and not assignment.is_released:
            assignment_release_request(assignment=assignment)
        elif release and not assignment.is_released:
            assignment = _release(assignment)
        logger.info("demo assignment %s: %s%s", key, "created, " if created else "",
                    assignment.get_release_state_display())
        assignments.append(assignment)
    return assignments
