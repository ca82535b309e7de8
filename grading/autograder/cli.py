"""``python manage.py grade_notebook``: grade one notebook without the site.

It needs no database, no settings and no secrets (manage.py runs it before Django is set
up), so other tools can call it anywhere the project is installed. Exit 0 for any graded
result, 2 with one line on stderr for unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import NotebookInvalid
from grading.autograder.sandbox.local import SandboxUnavailable


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="manage.py grade_notebook",
                                description="Grade a submission against an nbgrader source "
                                            "notebook in the grading sandbox.")
    p.add_argument("--source", required=True, type=Path, help="the instructor's source")
    p.add_argument("--submission", required=True, type=Path, help="the learner's notebook")
    p.add_argument("--data", type=Path, default=None, help="data files the notebook reads")
    p.add_argument("--hidden-data", type=Path, default=None,
                   help="data files only the tests read (never the learner's code)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds for the notebook")
    p.add_argument("--feedback", type=Path, default=None,
                   help="write the learner's feedback page (HTML) here, as the site serves it")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        for flag, folder in (("--data", args.data), ("--hidden-data", args.hidden_data)):
            if folder is not None and not folder.is_dir():
                raise NotebookInvalid(f"{flag} {folder} is not a directory")
        if args.feedback is not None and not args.feedback.parent.is_dir():
            raise NotebookInvalid(f"--feedback: {args.feedback.parent} is not a directory")
        result = notebook_grade(source=args.source.read_bytes(),
                                submission=args.submission.read_bytes(),
                                data_dir=args.data, hidden_dir=args.hidden_data,
                                timeout=args.timeout)
        if args.feedback is not None:
            from grading.autograder.feedback import feedback_html  # heavy: only when asked

            args.feedback.write_text(feedback_html(result, title=args.source.stem),
                                     encoding="utf-8")
    except (OSError, NotebookInvalid, SandboxUnavailable) as exc:
        sys.stderr.write(f"grade_notebook: {exc}\n")
        return 2
    if args.json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(f"{result.status}: {result.score:g} / {result.max_score:g}"
                         + (f" ({result.message})" if result.message else "") + "\n")
    return 0
