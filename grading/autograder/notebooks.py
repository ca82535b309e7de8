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


def instructor_names(source: NotebookNode) -> set[str]:
    """The names the source's locked and test cells bind, the modules any of its code cells
    imports and the plain cells' definitions the judge makes itself (``judge_setup``),
    answers aside: the judge keeps its own and never takes the learner's, even where a
    locked cell or an import failed before binding them (a learner cannot replace an
    instructor's data, helper, module or expected value)."""
    names = set(judge_setup(source).names)
    for cell in source.cells:
        if cell.cell_type == "code" and _has_role(cell) and not is_solution(cell):
            names |= bound_names(cell.source)
    return names - answer_names(source)


# --- What the judge binds itself: the source's imports and plain definitions ------------------
#
# The instructor's source is the authority on what a test's names mean. Its plain cells (no
# nbgrader metadata) reach learners as ordinary, editable cells, and the judge never runs the
# learner's copy; so without this a name bound only there (``import numpy as np`` in a first
# cell, an expected value, a helper) would be looked up in the learner's process, where the
# learner can bind it to anything. The judge therefore runs, from the source (never the
# submission), every import of every code cell and the plain cells' statements that are pure
# definitions, and those names are the judge's own. A plain-cell name the judge cannot make
# itself (read from the learner as before) is named by the release check when a test or
# instructor code in the judge uses it, so that the instructor locks its cell.

# Built-ins a pure definition may call: they build data and read nothing outside.
PURE_BUILTINS = frozenset({
    "list", "dict", "set", "frozenset", "tuple", "range", "int", "float", "complex", "str",
    "bool", "bytes", "sorted", "reversed", "len", "sum", "min", "max", "abs", "round", "zip",
    "enumerate", "pow", "divmod", "chr", "ord", "slice", "object", "Exception", "ValueError",
    "TypeError", "KeyError", "IndexError", "RuntimeError", "NotImplementedError",
    "ImportError", "ModuleNotFoundError", "AttributeError"})
# Calls in a plain cell's expression statement that only show their arguments: they do not
# make an instructor's value the learner's (``df.head()``, ``print(x)``, ``plt.plot(x)``).
SHOWING_FUNCTIONS = frozenset({"print", "display", "len", "type", "repr", "str", "sorted",
                               "list", "sum", "min", "max", "round", "abs"})
SHOWING_METHODS = frozenset({"head", "tail", "describe", "info", "value_counts", "unique",
                             "nunique", "isna", "isnull", "notna", "sum", "mean", "median",
                             "std", "var", "min", "max", "count", "corr", "copy", "to_string",
                             "keys", "items", "values", "get", "groupby", "agg", "plot",
                             "hist", "scatter", "format", "round", "all", "any", "astype",
                             "reshape", "tolist", "item"})
SHOWING_MODULES = ("matplotlib", "seaborn", "IPython", "pprint")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class JudgeSetup:
    """What the judge runs before the first step (``code``: snippets run one by one, a
    failure stopping none of the others), the names they bind (``names``: instructor names,
    never looked up in the learner's process), and the names the source's plain cells bind
    that the judge does not make itself (``unguarded``: name → the cell's number, from 1)."""

    code: tuple[str, ...] = ()
    names: frozenset = frozenset()
    unguarded: dict = field(default_factory=dict)


def _parsed(source: str) -> ast.Module | None:
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError):
        return None


def _module_imports(body: list[ast.stmt]) -> list[ast.stmt]:
    """The absolute imports that bind names at the module level: at the top of the cell and
    inside its top-level ``if``/``try``/``with``/loops, never in a function or class."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom)
                                            and not node.level):
            found.append(node)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            inner = list(getattr(node, "body", [])) + list(getattr(node, "orelse", [])) + \
                list(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                inner += handler.body
            found += _module_imports(inner)
    return found


def _import_names(node: ast.stmt) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}


def _loaded(node: ast.AST | None, *, into_functions: bool = True) -> set[str]:
    """Every name ``node`` reads (in function bodies too, unless ``into_functions`` is
    False: then only what runs when the statement itself runs)."""
    if node is None:
        return set()
    names: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Load):
            names.add(item.id)
        if not into_functions and item is not node and isinstance(
                item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(item))
    return names


class _Purity:
    """Which statements of the source's plain cells the judge may run itself, at start: a
    statement is pure when running it there can only define things (imports, functions,
    classes, constants and values built by library calls from them), without calling learner
    code or needing what a learner cell, a locked cell or the notebook's order would bind."""

    def __init__(self, known: set[str], modules: set[str]) -> None:
        self.known = set(known)  # names bound in the judge by earlier pure statements
        self.modules = set(modules)  # names bound by imports: calls rooted there are fine

    def expression(self, node: ast.AST | None, local: frozenset = frozenset()) -> bool:
        if node is None:
            return True
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.known or node.id in local or node.id in PURE_BUILTINS
        if isinstance(node, ast.Attribute):
            return self.expression(node.value, local)
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, ast.Attribute):
                root = root.value
            if not isinstance(root, ast.Name) or not (
                    root.id in self.modules or (root.id in PURE_BUILTINS
                                                and isinstance(node.func, ast.Name))):
                return False
            return self.expression(node.func, local) and all(
                self.expression(a, local) for a in node.args) and all(
                self.expression(k.value, local) for k in node.keywords)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return all(self.expression(e, local) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(self.expression(e, local) for e in node.keys + node.values)
        if isinstance(node, ast.Starred):
            return self.expression(node.value, local)
        if isinstance(node, ast.BinOp):
            return self.expression(node.left, local) and self.expression(node.right, local)
        if isinstance(node, ast.UnaryOp):
            return self.expression(node.operand, local)
        if isinstance(node, (ast.BoolOp,)):
            return all(self.expression(v, local) for v in node.values)
        if isinstance(node, ast.Compare):
            return all(self.expression(v, local) for v in [node.left, *node.comparators])
        if isinstance(node, ast.IfExp):
            return all(self.expression(v, local) for v in (node.test, node.body, node.orelse))
        if isinstance(node, ast.Subscript):
            return self.expression(node.value, local) and self.expression(node.slice, local)
        if isinstance(node, ast.Slice):
            return all(self.expression(v, local) for v in (node.lower, node.upper, node.step))
        if isinstance(node, ast.JoinedStr):
            return all(self.expression(v, local) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return self.expression(node.value, local) and self.expression(node.format_spec,
                                                                           local)
        if isinstance(node, ast.Lambda):
            return self._arguments(node.args, local)
        return False

    def _arguments(self, args: ast.arguments, local: frozenset) -> bool:
        every = args.posonlyargs + args.args + args.kwonlyargs + [
            a for a in (args.vararg, args.kwarg) if a]
        return all(self.expression(d, local) for d in args.defaults + args.kw_defaults) and \
            all(self.expression(a.annotation, local) for a in every)

    def statement(self, node: ast.stmt, local: frozenset = frozenset()) -> bool:
        """Whether ``node`` is a pure definition (``local``: a class body's names so far)."""
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
            return not isinstance(node, ast.ImportFrom) or not node.level
        if isinstance(node, ast.Expr):  # a docstring
            return isinstance(node.value, ast.Constant)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return all(self.expression(d, local) for d in node.decorator_list) and \
                self._arguments(node.args, local) and self.expression(node.returns, local)
        if isinstance(node, ast.ClassDef):
            if not all(self.expression(e, local) for e in
                       [*node.bases, *node.decorator_list, *(k.value for k in node.keywords)]):
                return False
            inside = set(local)
            for item in node.body:
                if not self.statement(item, frozenset(inside)):
                    return False
                inside |= bound_names(ast.unparse(item))
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            plain = all(isinstance(t, ast.Name) or (
                isinstance(t, (ast.Tuple, ast.List))
                and all(isinstance(e, ast.Name) for e in t.elts)) for t in targets)
            return plain and node.value is not None and self.expression(node.value, local)
        if isinstance(node, ast.Try):
            return all(self.statement(s, local) for s in
                       node.body + node.orelse + node.finalbody
                       + [s for h in node.handlers for s in h.body]) and all(
                self.expression(h.type, local) for h in node.handlers)
        if isinstance(node, ast.If):
            return self.expression(node.test, local) and all(
                self.statement(s, local) for s in node.body + node.orelse)
        return False


def _only_shows(node: ast.stmt, modules: set[str]) -> bool:
    """Whether an expression statement of a plain cell only shows values (``df.head()``,
    ``print(x)``, ``plt.plot(x, y)``): it changes none of the names it reads."""
    if not isinstance(node, ast.Expr):
        return False
    for item in ast.walk(node.value):
        if isinstance(item, (ast.NamedExpr, ast.Lambda, ast.Await, ast.Yield)):
            return False
        if not isinstance(item, ast.Call):
            continue
        root = item.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(item.func, ast.Name) and item.func.id in SHOWING_FUNCTIONS:
            continue
        if isinstance(item.func, ast.Attribute) and item.func.attr in SHOWING_METHODS:
            continue
        if isinstance(root, ast.Name) and root.id in modules:
            continue  # checked by the caller: a showing library's function
        return False
    return True


def judge_setup(source: NotebookNode) -> JudgeSetup:
    """What the judge runs from the source before the first step, and the names it binds so
    (see the section's comment).

    1. Every import at a module level of every code cell of the source (plain, solution,
       locked and test cells): each runs on its own, so a module the judge lacks fails only
       that import (a test using it fails with a ``NameError``, which the release check
       names), and never makes the name the learner's.
    2. The plain cells' pure definitions, in order (``_Purity``: imports, functions,
       classes, and assignments of values built from constants, built-ins and library calls
       on what came before). A name the learner's answers bind (``answer_names``) is left to
       the learner; so is a name that a plain cell also binds otherwise, that a solution
       cell or a plain cell's other statement may change (``data.append(x)``), or whose
       value needs such a name: the judge's copy would differ from what the notebook means.
       Those are ``unguarded``: the judge reads them from the learner's process, as before,
       and the release check asks the instructor to lock the cell a test needs them from.
    """
    answers = answer_names(source)
    imports: list[ast.stmt] = []
    cells: list[tuple[int, ast.Module]] = []
    solution_reads: set[str] = set()
    for number, cell in enumerate(source.cells, start=1):
        if cell.cell_type != "code":
            continue
        tree = _parsed(cell.source)
        if tree is None:
            continue
        imports += _module_imports(tree.body)
        if not _has_role(cell):
            cells.append((number, tree))
        elif is_solution(cell):
            solution_reads |= _loaded(tree)
    modules = set().union(*(_import_names(n) for n in imports)) - answers
    showing = {name for n in imports for name in _import_names(n)
               if (getattr(n, "module", None) or n.names[0].name).startswith(SHOWING_MODULES)}

    purity = _Purity(modules, modules)
    pure: list[tuple[ast.stmt, set[str], set[str]]] = []  # node, what it binds, reads
    tainted: set[str] = set()  # names the judge must not make: the learner's, as before
    mentioned: set[str] = set(solution_reads)  # names something may change in place
    defined: dict[str, int] = {}  # every name a plain cell binds, by its first cell
    for number, tree in cells:
        for node in tree.body:
            binds = bound_names(ast.unparse(node)) - modules
            for name in binds:
                defined.setdefault(name, number)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue  # run in step 1
            if purity.statement(node) and not binds & answers:
                direct = {node.name} if isinstance(node, _DEFINITIONS) else binds
                tainted |= binds - direct  # what its functions declare global
                pure.append((node, direct, _loaded(node, into_functions=False) - modules))
                purity.known |= direct
            else:
                tainted |= binds
                if not _only_shows(node, showing):
                    mentioned |= _loaded(node)
    # Data something may change in place (a solution's ``data.append(x)``) differs in the
    # judge; so does a value made from a name the judge will not make, and a value aliased
    # by one that is changed. Functions and classes are not data: calling one changes none.
    changed = True
    while changed:
        changed = False
        for node, binds, reads in pure:
            data = not isinstance(node, _DEFINITIONS)
            now = set(binds) if reads & tainted else set()
            if data and binds & (mentioned | tainted):
                now |= binds | reads  # ``B = A`` then ``B.append(x)`` changes A too
            if not now <= tainted:
                tainted |= now
                changed = True
    names = set(modules)
    code = [ast.unparse(node) for node in imports]
    for node, binds, _reads in pure:
        if not isinstance(node, (ast.Pass, ast.Expr)) and not binds & tainted:
            code.append(ast.unparse(node))
            names |= binds
    unguarded = {name: number for name, number in defined.items()
                 if name not in names and name not in answers}
    return JudgeSetup(code=tuple(code), names=frozenset(names), unguarded=unguarded)


def unguarded_uses(source: NotebookNode) -> dict[str, list[str]]:
    """For the release check: the names only an unlocked plain cell binds, which the judge
    cannot make itself (``judge_setup``), that instructor code in the judge reads, each with
    where: the tests and locked cells by grade id, the plain cells' functions by name. The
    judge looks such a name up in the learner's process, where the learner can bind it to
    anything: the instructor should lock its cell (nbgrader's "Read-only")."""
    setup = judge_setup(source)
    risky = set(setup.unguarded) - instructor_names(source)
    if not risky:
        return {}
    uses: dict[str, set[str]] = {}
    for cell in source.cells:
        if cell.cell_type != "code" or is_solution(cell) or not (is_grade(cell)
                                                                 or is_locked(cell)):
            continue
        tree = _parsed(cell.source)
        for name in (_loaded(tree) if tree is not None else set()) & risky:
            uses.setdefault(name, set()).add(grade_id(cell) or "?")
    for code in setup.code:
        tree = _parsed(code)
        for node in tree.body if tree is not None else []:
            if isinstance(node, _DEFINITIONS):
                for name in _loaded(node) & risky:
                    uses.setdefault(name, set()).add(f"{node.name}()")
    return {name: sorted(places) for name, places in sorted(uses.items())}
