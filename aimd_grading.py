"""Helpers for nbgrader test cells that need something only the learner's process has.

When the platform grades a notebook, tests run in a judge process apart from the learner's
code (docs/grading-engine.md), and the judge puts its own module of this name in their way:
there ``load_in_learner`` loads the file in the learner's process and the test gets the result
as a value or a proxy; a learner's pickle is never loaded by the judge. In an instructor's own
kernel (``nbgrader validate``, JupyterLab) everything runs in one process, and this module does
the same things directly, so the source notebook runs unchanged in both places.
"""

from __future__ import annotations

IN_JUDGE = False


def in_learner(expression: str):
    """Evaluate ``expression`` where the learner's names live."""
    import __main__

    return eval(expression, vars(__main__))  # noqa: S307 - the instructor's own expression


def load_in_learner(path: str):
    """``joblib.load(path)`` of a file the learner's code saved (FileNotFoundError if none)."""
    import joblib

    return joblib.load(path)


def learner_file(path: str, limit: int = 64 * 1024 * 1024) -> bytes:
    """The bytes of a file the learner's code wrote, at most ``limit`` of them."""
    with open(path, "rb") as file:
        return file.read(limit)


def learner_call(obj, method: str, *args):
    """``getattr(obj, method)(*args)``: in the judge, a learner object answers explicitly
    (``learner_call(point, "__str__")``) where ``str(point)`` is refused."""
    return getattr(obj, method)(*args)
