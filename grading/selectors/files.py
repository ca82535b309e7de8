"""The files an assignment holds now (its source notebook and data files), as the edit page
lists them: names, sizes and upload times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grading.models import Assignment


@dataclass
class AttachedFile:
    name: str
    size: int | None  # None when the storage cannot tell (the file is missing)
    uploaded_at: datetime | None
    hidden: bool = False
    pk: int | None = None  # the data file's id (None for the source notebook)


def _size(field) -> int | None:
    try:
        return field.size
    except (OSError, NotImplementedError):
        return None


def _stored_at(field) -> datetime | None:
    """When the file was stored: every upload is stored under a new name, so the storage's
    time of the file is the time of its upload."""
    try:
        return field.storage.get_modified_time(field.name)
    except (OSError, NotImplementedError):
        return None


def attached_files(*, assignment: Assignment) -> dict:
    """``{"source": AttachedFile | None, "data_files": [AttachedFile, ...]}``."""
    source = None
    if assignment.source:
        source = AttachedFile(name=f"{assignment.key}.ipynb", size=_size(assignment.source),
                              uploaded_at=assignment.source_uploaded_at
                              or _stored_at(assignment.source))
    files = [AttachedFile(name=f.name, size=_size(f.file), uploaded_at=_stored_at(f.file),
                          hidden=f.hidden, pk=f.pk)
             for f in assignment.data_files.order_by("hidden", "name")]
    return {"assignment": assignment, "source": source, "data_files": files,
            "source_sha256": assignment.source_sha256}
