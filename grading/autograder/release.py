"""The released notebook: nbgrader's own "generate assignment" preprocessors, in-process.

``released_notebook`` runs the preprocessors of ``nbgrader generate_assignment`` in its
order (lock cells, clear solutions and outputs, check metadata, checksums, clear hidden
tests and the marking scheme, checksums again), without nbgrader's CLI, course directory or
database: the steps that need those (``IncludeHeaderFooter``, ``InstantiateTests``,
``SaveCells``) have nothing to do for a single uploaded notebook. nbgrader is imported on
first use only (about two seconds), which happens in a worker, never in a web request.

The notebook also records which assignment it is (``metadata.aimd.assignment``), so that a
submission of the wrong notebook can be told apart.
"""

from __future__ import annotations

import functools

import nbformat
from nbformat import NotebookNode


@functools.cache
def _preprocessors() -> list:
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    return [LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(),
            ComputeChecksums(), ClearHiddenTests(), ClearMarkScheme(), ComputeChecksums(),
            CheckCellMetadata()]


def released_notebook(source: NotebookNode, *, assignment_key: str) -> NotebookNode:
    """The student version of ``source``, as ``nbgrader generate_assignment`` makes it."""
    notebook = nbformat.from_dict(nbformat.from_dict(source))  # a deep copy
    resources: dict = {"nbgrader": {"assignment": assignment_key, "notebook": "assignment"}}
    for preprocessor in _preprocessors():
        notebook, resources = preprocessor.preprocess(notebook, resources)
    notebook.metadata.setdefault("aimd", {})["assignment"] = assignment_key
    # Learners' labs open it with Python straight away (no "select a kernel" question).
    notebook.metadata.setdefault("kernelspec", {"name": "python3", "language": "python",
                                                "display_name": "Python 3 (ipykernel)"})
    return notebook


def assignment_key_of(notebook: NotebookNode) -> str | None:
    """The assignment a released notebook (or a learner's copy of it) belongs to."""
    aimd = notebook.metadata.get("aimd")
    return aimd.get("assignment") if isinstance(aimd, dict) else None
