"""Reading, validating and planning notebooks for grading, without importing nbgrader.

nbgrader's cell semantics (``nbgrader.utils.is_grade``/``is_solution``/``is_locked``/
``is_task``) are mirrored here because importing nbgrader costs about two seconds, too much
for the web process that validates uploads; a test checks that both agree.

The grading plan is built from the instructor's **source** notebook: test and locked cells
and every cell's points come from the source; only answer cells are taken from the
submission (by ``grade_id``, first occurrence, same cell type). Learner-added plain cells run
where the learner put them but are never graded. Deleted, duplicated, re-marked or added
graded cells and edited points therefore cannot raise a score.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

import nbformat
from nbformat import NotebookNode

# nbgrader's delimiters, matched as it does: anywhere in a line.
MARKERS = (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

# Shape limits checked before a file is parsed, so that no upload can exhaust the parsers'
# recursion (json and nbformat's validation recurse per level: a few hundred levels of
# brackets already raise RecursionError) or make nbformat validate a million cells. Real
# notebooks stay far below both: a notebook is 7 levels deep without outputs, about 20 with a
# Plotly figure of GeoJSON or a widget state; course notebooks have tens of cells, a long one
# a few hundred.
MAX_DEPTH = 100  # nested JSON arrays and objects, the notebook itself being level 1
MAX_CELLS = 5000


def _(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is shown."""
    return message


_translate: Callable[[str], str] = _


def set_translator(translate: Callable[[str], str]) -> None:
    """Translate messages with ``translate`` when they are shown (the site passes Django's
    ``gettext``; ``manage.py grade_notebook`` runs without settings and keeps English)."""
    global _translate
    _translate = translate


class NotebookInvalid(ValueError):
    """The file cannot be graded; the message says why in one line.

    The message is kept as its English template and parameters and translated when it is
    shown (``str``), in the language active then.
    """

    def __init__(self, message: str, params: dict | None = None) -> None:
        super().__init__(message)
        self.template, self.params = message, params

    def __str__(self) -> str:
        text = _translate(self.template)
        return text % self.params if self.params else text


# --- nbgrader's cell kinds -------------------------------------------------------------------


def _meta(cell: NotebookNode) -> dict | None:
    """The cell's nbgrader metadata; None unless it is an object (cell metadata is free-form
    in nbformat: a submission may carry ``"nbgrader": 5``, which marks nothing)."""
    metadata = cell.get("metadata")
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else None


def is_grade(cell: NotebookNode) -> bool:
    meta = _meta(cell)
    return bool(meta and meta.get("grade", False))


def is_solution(cell: NotebookNode) -> bool:
    meta = _meta(cell)
    return bool(meta and meta.get("solution", False))


def is_task(cell: NotebookNode) -> bool:
    meta = _meta(cell)
    return bool(meta and meta.get("task", False))


def is_locked(cell: NotebookNode) -> bool:
    meta = _meta(cell)
    if not meta or is_solution(cell):
        return False
    return True if is_grade(cell) else bool(meta.get("locked", False))


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's grade id; None unless it is a string (a list or a number names no cell)."""
    meta = _meta(cell)
    gid = meta.get("grade_id") if meta else None
    return gid if isinstance(gid, str) else None


def nbgrader_metadata(**fields) -> dict:
    """Cell metadata as nbgrader's create-assignment tool writes it (schema 3), e.g.
    ``nbgrader_metadata(grade=True, grade_id="test_square", points=2)``."""
    return {"nbgrader": {"grade": False, "solution": False, "locked": False,
                         "schema_version": 3, **fields}}


# --- Loading and validation ----------------------------------------------------------------


# A JSON string, escapes included; the closing quote is optional so that an unterminated
# string ends the scan instead of being retried from each escaped quote inside it (which would
# be quadratic).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_BRACKET_STEP = [1 if byte in b"[{" else -1 if byte in b"]}" else 0 for byte in range(256)]


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of a JSON document nest, brackets inside strings
    (escaped quotes included) aside.

    Without recursion and in time linear in the bytes, each step in C (a regular expression,
    ``bytes.translate``, ``accumulate``), so that it can run before ``json.loads``, which is
    recursive. UTF-8 never uses the bytes of quotes, backslashes or brackets inside a
    multi-byte character, so the bytes can be scanned as they are. On malformed JSON the
    number is still an upper bound of what a parser would reach.
    """
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def notebook_load(data: bytes, *, max_bytes: int) -> NotebookNode:
    """Parse and validate a notebook file; ``NotebookInvalid`` with a one-line reason if not.

    Size, nesting depth and the number of cells are checked before the parsers that cost
    more see the file (see ``MAX_DEPTH``)."""
    if len(data) > max_bytes:
        raise NotebookInvalid(_("The notebook is %(size)s bytes; the limit is %(limit)s."),
                              {"size": f"{len(data):,}", "limit": f"{max_bytes:,}"})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookInvalid(_("The file is not UTF-8 text.")) from exc
    if json_depth(data) > MAX_DEPTH:
        raise NotebookInvalid(_("The notebook's data is nested more than %(limit)s levels "
                                "deep; save it again from Jupyter."), {"limit": MAX_DEPTH})
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookInvalid(_("The file is not JSON (line %(line)s: %(error)s)."),
                              {"line": exc.lineno, "error": exc.msg}) from exc
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise NotebookInvalid(_("The JSON is not a Jupyter notebook (no cells or nbformat)."))
    if isinstance(raw["cells"], list) and len(raw["cells"]) > MAX_CELLS:
        # Counted once json has parsed the file (depth-checked and at most max_bytes, so
        # linear and bounded) and before nbformat validates each cell, which is the slow part.
        raise NotebookInvalid(_("The notebook has %(count)s cells; the limit is %(limit)s."),
                              {"count": f"{len(raw['cells']):,}", "limit": f"{MAX_CELLS:,}"})
    if raw.get("nbformat") != 4:
        raise NotebookInvalid(_("Notebook format %(version)s is not supported; save it with "
                                "Jupyter (format 4)."), {"version": raw.get("nbformat")})
    try:
        # reads() joins multi-line sources as saved on disk into strings.
        notebook = nbformat.reads(json.dumps(raw), as_version=nbformat.NO_CONVERT)
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        raise NotebookInvalid(_("The notebook is malformed: %(error)s"),
                              {"error": exc.message}) from exc
    return notebook


def source_validate(notebook: NotebookNode) -> None:
    """Check an instructor's source notebook: ids, points, markers. Raises NotebookInvalid."""
    seen: set[str] = set()
    graded = 0
    for index, cell in enumerate(notebook.cells, start=1):
        meta = _meta(cell)
        if not meta:
            continue
        gid = meta.get("grade_id")
        if not (is_grade(cell) or is_solution(cell) or is_locked(cell) or is_task(cell)):
            continue
        if not gid or not isinstance(gid, str):
            raise NotebookInvalid(_("Cell %(index)s has nbgrader metadata but no grade_id."),
                                  {"index": index})
        if gid in seen:
            raise NotebookInvalid(_("grade_id %(id)r is used by more than one cell."), {"id": gid})
        seen.add(gid)
        if is_grade(cell) or is_task(cell):
            try:
                points = float(meta.get("points"))
            except (TypeError, ValueError) as exc:
                raise NotebookInvalid(_("Cell %(id)r is graded but has no numeric points."),
                                      {"id": gid}) from exc
            if points < 0:
                raise NotebookInvalid(_("Cell %(id)r has negative points."), {"id": gid})
            graded += 1
        lines = cell.source.split("\n")
        for begin, end in MARKERS:
            if sum(begin in line for line in lines) != sum(end in line for line in lines):
                raise NotebookInvalid(_("Cell %(id)r has unbalanced %(begin)s/%(end)s markers."),
                                      {"id": gid, "begin": begin, "end": end})
    if not graded:
        raise NotebookInvalid(_("The notebook has no graded cells."))


# --- Released version and the grading plan -------------------------------------------------


def _replace_regions(text: str, begin: str, end: str, stub: str | None) -> str:
    """nbgrader's line-based rule: drop the lines from a ``begin`` marker to its ``end``
    marker, putting the stub (indented like the marker) in their place."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if begin in line:
            inside = True
            if stub is not None:
                indent = line[: len(line) - len(line.lstrip())]
                out.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def released_source(cell: NotebookNode) -> str:
    """What learners receive for a cell, as nbgrader's generate step makes it: solutions
    replaced by a stub, hidden tests removed."""
    text = cell.source
    if is_solution(cell):
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        text = (_replace_regions(text, "BEGIN SOLUTION", "END SOLUTION", stub)
                if "BEGIN SOLUTION" in text else stub)
    if is_grade(cell) and not is_solution(cell):
        text = _replace_regions(text, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", None)
    return text


@dataclass(frozen=True)
class Step:
    """One cell of the plan, in execution order."""

    kind: str  # "answer", "locked", "test", "task" or "plain"
    cell_type: str
    source: str
    grade_id: str | None = None
    points: float = 0.0
    manual: bool = False  # graded by an instructor (nbgrader's manually graded cells)
    has_hidden_tests: bool = False
    answered: bool = True  # False when the learner's answer cell was missing or mangled

    @property
    def runs(self) -> bool:
        return self.cell_type == "code"


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.steps)

    @property
    def needs_manual_grade(self) -> bool:
        return any(s.manual for s in self.steps)


def grading_plan(*, source: NotebookNode, submission: NotebookNode) -> Plan:
    """The cells to run for a submission, decided by the source (see the module docstring).

    As in nbgrader, the submission's own plain cells run in the learner's order; nbgrader
    cells (answers, locked cells, tests, tasks) are placed as in the source, locked cells and
    tests with the source's text, answers with the learner's.
    """
    roles = {grade_id(c) for c in source.cells if grade_id(c) and _has_role(c)}
    answers: dict[str, NotebookNode] = {}
    extras: dict[str | None, list[NotebookNode]] = {None: []}
    anchor: str | None = None
    for cell in submission.cells:
        gid = grade_id(cell)
        if gid in roles:
            if gid not in answers:
                answers[gid] = cell
                anchor = gid
            continue  # a duplicate of a known cell is ignored
        if cell.cell_type == "code":
            # A plain cell, or one re-marked with an unknown grade id: it runs where the
            # learner put it and is never graded.
            extras.setdefault(anchor, []).append(cell)

    plan = Plan()
    plan.steps.extend(_plain(c) for c in extras[None])
    for cell in source.cells:
        if not _has_role(cell):
            continue  # the instructor's plain cells reach learners; their copy is what runs
        gid = grade_id(cell)
        points = float(_meta(cell).get("points", 0) or 0) if is_grade(cell) or is_task(cell) \
            else 0.0
        if is_solution(cell):
            submitted = answers.get(gid)
            usable = submitted is not None and submitted.cell_type == cell.cell_type
            plan.steps.append(Step(
                kind="answer", cell_type=cell.cell_type, grade_id=gid, points=points,
                source=submitted.source if usable else released_source(cell),
                manual=is_grade(cell), answered=usable))
        elif is_task(cell):
            plan.steps.append(Step(kind="task", cell_type="markdown", source=cell.source,
                                   grade_id=gid, points=points, manual=True))
        elif is_grade(cell):
            plan.steps.append(Step(
                kind="test", cell_type=cell.cell_type, source=cell.source, grade_id=gid,
                points=points, manual=cell.cell_type != "code",
                has_hidden_tests="BEGIN HIDDEN TESTS" in cell.source))
        else:
            plan.steps.append(Step(kind="locked", cell_type=cell.cell_type, source=cell.source,
                                   grade_id=gid))
        plan.steps.extend(_plain(c) for c in extras.get(gid, []))
    return plan


def _has_role(cell: NotebookNode) -> bool:
    return is_grade(cell) or is_solution(cell) or is_locked(cell) or is_task(cell)


def _plain(cell: NotebookNode) -> Step:
    return Step(kind="plain", cell_type="code", source=cell.source)


def imported_modules(notebook: NotebookNode) -> set[str]:
    """Dotted names of the modules a notebook's code imports (``import a.b``, ``from a.b
    import c``); cells that do not parse (magics, a learner's typo) are skipped."""
    names: set[str] = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


def preload_for(notebook: NotebookNode, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Which of the ``allowed`` libraries to import ahead for this notebook: those it
    imports, their parents, and the submodules it names (``matplotlib.pyplot``)."""
    names = imported_modules(notebook)
    return tuple(m for m in allowed
                 if any(n == m or n.startswith(m + ".") or m.startswith(n + ".")
                        for n in names))


def bound_names(source: str, *, imports: bool = True) -> set[str]:
    """The names a cell's code binds at the top level (assignments, definitions, imports
    unless ``imports`` is False, loop and ``with`` targets, and ``global`` declarations in its
    functions). Comprehension variables are their own scope; magics and shell lines are left
    out; a cell that does not parse binds nothing we can know."""
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            for inner in ast.walk(node):  # what its functions declare global
                if isinstance(inner, ast.Global):
                    names.update(inner.names)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and imports:
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def answer_names(source: NotebookNode) -> set[str]:
    """The names the instructor's own solution cells bind (imports aside): the learner's
    answers. A test reads these from the learner's process first."""
    names: set[str] = set()
    for cell in source.cells:
        if cell.cell_type == "code" and is_solution(cell):
            names |= bound_names(cell.source, imports=False)
    return names


def solution_imports(source: NotebookNode) -> str:
    """The top-level import statements of the instructor's solution cells, as code: the
    judge runs them itself, so a module a test uses is the judge's own even where only the
    solution imported it (never an object the learner's process calls ``np``)."""
    lines: list[str] = []
    for cell in source.cells:
        if cell.cell_type != "code" or not is_solution(cell):
            continue
        code = "\n".join(line for line in cell.source.splitlines()
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        lines += [ast.unparse(node) for node in tree.body
                  if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(
                      node, "level", 0)]
    return "\n".join(lines)


def instructor_names(source: NotebookNode) -> set[str]:
    """The names the source's locked and test cells bind, answers aside: the judge keeps its
    own and never takes the learner's, even where a locked cell failed before binding them
    (a learner cannot replace an instructor's data, helper, module or expected value)."""
    names = bound_names(solution_imports(source))
    for cell in source.cells:
        if cell.cell_type == "code" and _has_role(cell) and not is_solution(cell):
            names |= bound_names(cell.source)
    return names - answer_names(source)
