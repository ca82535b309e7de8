"""The learner's feedback page for a graded submission, made as nbgrader's GenerateFeedback
makes it: a notebook rebuilt from the result, exported by nbconvert's ``HTMLExporter`` with
nbgrader's feedback template (``feedback/index.html.j2``).

The notebook comes from ``GradeResult.steps`` only (see
``grading.autograder.engine.StepOutcome``), so hidden tests are already gone from it. The page
is made safe to serve from the site:

- learner-controlled text (answers, added cells, printed output, error messages) is escaped:
  code through Pygments, output through ``ansi2html``, learner markdown shown as text; only
  text outputs and PNG figures are built, never HTML, SVG or scripts (a figure is inlined as
  a ``data:`` image, which the page's policy allows, after the engine checked it is a PNG
  within its size caps and encoded it again);
- the instructor's markdown is rendered, then sanitised (no scripts, styles, images or links
  other than to anchors on the page);
- nothing is loaded from the network: MathJax and the widget scripts are replaced by empty
  macros, nbgrader's bootstrap CSS is inlined without comments or web fonts;
- every word of the page comes from ``labels`` (the site passes them translated).

Our template, ``grading/autograder/feedback_templates/lms_feedback/index.html.j2``, extends
nbgrader's and overrides the blocks that print words or learner text. The exporter is built
once per process (``_exporter``); nbgrader itself is not imported (about two seconds).
"""

from __future__ import annotations

import importlib.util
import re
import threading
from pathlib import Path
from typing import Any

import bleach
import markupsafe
import nbformat
from jinja2 import DictLoader
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pygments.formatters import HtmlFormatter
from traitlets.config import Config

from grading.autograder.engine import GradeResult, StepOutcome
from grading.autograder.markdown import notebook_markdown_html

TEMPLATE_BASEDIR = Path(__file__).resolve().parent / "feedback_templates"
TEMPLATE_NAME = "lms_feedback"

def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogues; the site translates it (``labels``)."""
    return message


# Every word on the page, as the site shows it in English. The site passes them translated
# (``labels``); keys other than these are refused (a typo would otherwise leave English on a
# translated page).
DEFAULT_LABELS: dict[str, str] = {
    "score": gettext_noop("Score"),
    "passed": gettext_noop("Passed"),
    "failed": gettext_noop("Failed"),
    "not_run": gettext_noop("Not run"),
    "manual": gettext_noop("Graded by an instructor"),
    "hidden_tests": gettext_noop("Hidden tests (not shown)"),
    "answer": gettext_noop("Your answer"),
    "task": gettext_noop("Your task"),
    "test_cell": gettext_noop("Test"),
    "coding_response": gettext_noop("Code answer"),
    "written_response": gettext_noop("Written answer"),
    "top": gettext_noop("Top"),
    "figure": gettext_noop("A figure your code drew"),
}

EXTRA_CSS = """
div.input, div.output_area, div.text_cell { display: flex; }
div.prompt { flex: none; padding: 0.4em; text-align: right; font-family: monospace;
             color: #303f9f; }
div.inner_cell, div.output_subarea, div.nbgrader_cell { flex: 1; min-width: 0; }
div.cell { margin-bottom: 1em; }
div.output_subarea pre { border: none; background: none; margin: 0; padding: 0.4em; }
div.output_error pre { background: #fdd; white-space: pre-wrap; }
pre.learner-text { white-space: pre-wrap; background: none; border: none; padding: 0;
                   font-size: inherit; }
p.hidden-tests { margin: 0.4em 0 0; color: #777777; font-style: italic; }
div.nbgrader_cell .panel-heading .label { margin-right: 0.5em; }
div.output_png img { max-width: 100%; height: auto; }
"""

# Instructor markdown after rendering: these tags, these attributes, links to anchors only.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
})
ALLOWED_ATTRIBUTES = frozenset({"class", "id", "title", "colspan", "rowspan", "align"})


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in ALLOWED_ATTRIBUTES:
        return True
    return tag == "a" and name == "href" and value.startswith("#")


def instructor_markdown(source: str) -> markupsafe.Markup:
    """The instructor's markdown as HTML without scripts, styles, images or outside links,
    read as JupyterLab reads it (GFM: ``~one~`` tilde strikes out too)."""
    html = notebook_markdown_html(source)
    return markupsafe.Markup(bleach.clean(  # noqa: S704 - sanitised just here
        html, tags=ALLOWED_TAGS, attributes=_allowed_attribute, protocols=[], strip=True,
        strip_comments=True))


def _nbgrader_templates() -> Path:
    """nbgrader's formgrader templates, found without importing nbgrader."""
    spec = importlib.util.find_spec("nbgrader")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nbgrader is not installed; the feedback page needs its template")
    return (Path(next(iter(spec.submodule_search_locations))) / "server_extensions"
            / "formgrader" / "templates")


def _bootstrap_css(templates: Path) -> str:
    """nbgrader's bootstrap.min.css without comments (URLs) and web fonts (loaded by URL)."""
    path = templates.parent / "static" / "node_modules" / "bootstrap" / "dist" / "css" \
        / "bootstrap.min.css"
    css = path.read_text(encoding="utf-8") if path.is_file() else ""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    return re.sub(r"@font-face\s*\{[^}]*\}", "", css)


def _overrides(templates: Path) -> DictLoader:
    """Files looked up before any template path: what would load from the network."""
    return DictLoader({
        "mathjax.html.j2": "{%- macro mathjax(url='') -%}{%- endmacro -%}",
        "jupyter_widgets.html.j2": "{%- macro jupyter_widgets(base_url='', semver='', "
                                   "renderer_url='') -%}{%- endmacro -%}",
        "bootstrap.min.css": _bootstrap_css(templates),
    })


_lock = threading.Lock()
_exporter: HTMLExporter | None = None
_css: list[str] = []


def _get_exporter() -> HTMLExporter:
    """The exporter, configured as GenerateFeedback configures it, built once per process."""
    global _exporter
    if _exporter is None:
        templates = _nbgrader_templates()
        config = Config()
        config.HTMLExporter.template_name = TEMPLATE_NAME
        config.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_BASEDIR), str(templates)]
        # so that our template can extend nbgrader's as 'feedback/index.html.j2'
        config.HTMLExporter.extra_template_paths = [str(templates)]
        # its CSS is made here once; it would also read the user's custom.css
        config.CSSHTMLHeaderPreprocessor.enabled = False
        exporter = HTMLExporter(config=config, extra_loaders=[_overrides(templates)],
                                filters={"instructor_markdown": instructor_markdown})
        _css[:] = [HtmlFormatter(style="default").get_style_defs(".highlight"), EXTRA_CSS]
        _exporter = exporter
    return _exporter


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def _number(value: float) -> str:
    return f"{round(value, 2):g}"


def _metadata(step: StepOutcome) -> dict[str, Any]:
    """nbgrader's cell metadata (what GetGrades would add) and ours for the template."""
    graded = step.max_score is not None
    role = step.kind
    title = {"answer": "answer", "test": "test_cell", "task": "task"}.get(role)
    toc = None
    if role in ("test", "task"):
        toc = "test_cell" if role == "test" else "task"
    elif role == "answer" and graded:
        toc = "coding_response" if step.cell_type == "code" else "written_response"
    verdict = None
    if role == "test" and step.passed is not None:
        verdict = "passed" if step.passed else "failed" if step.ran else "not_run"
    elif graded and (step.score is None or role in ("answer", "task")):
        verdict = "manual"  # waiting for the instructor ("–"), or graded by hand
    elif step.cell_type == "code" and title and not step.ran:
        verdict = "not_run"
    score_text = None
    if graded:
        score = "–" if step.score is None else _number(step.score)
        score_text = f"{score} / {_number(step.max_score)}"
    meta: dict[str, Any] = {"lms": {
        "role": role, "title": title, "toc": toc, "verdict": verdict, "score_text": score_text,
        "hidden": step.hidden_tests, "learner": role in ("answer", "plain"),
    }}
    if role != "plain":
        meta["nbgrader"] = {
            "grade": graded and role != "locked", "solution": role == "answer",
            "locked": role in ("locked", "test"), "task": role == "task",
            "grade_id": step.grade_id, "points": step.max_score, "score": step.score,
            "schema_version": 3,
        }
    return meta


def _outputs(step: StepOutcome) -> list:
    """What the learner's code printed, its figures (PNG) and the error; never HTML."""
    outputs = []
    if step.stdout and step.kind != "test":
        outputs.append(new_output("stream", name="stdout", text=step.stdout))
    if step.kind != "test":
        outputs.extend(new_output("display_data", data={"image/png": image})
                       for image in step.images if _BASE64.fullmatch(image))
    error = step.error
    if error and step.kind == "test" and step.hidden_tests:
        error = None  # only "failed", which the heading says
    if error and step.kind != "test" and error in step.stdout:
        error = None  # IPython already printed the traceback
    if error:
        name, _, value = error.partition(": ")
        outputs.append(new_output("error", ename=name, evalue=value, traceback=[error]))
    return outputs


def feedback_notebook(result: GradeResult) -> nbformat.NotebookNode:
    """The notebook the page is made from: one cell per step, outputs as text."""
    notebook = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    })
    count = 0
    for index, step in enumerate(result.steps):
        metadata = _metadata(step)
        if step.cell_type == "markdown":
            cell = new_markdown_cell(step.source_shown, metadata=metadata)
        else:
            count += step.ran
            cell = new_code_cell(step.source_shown, metadata=metadata, outputs=_outputs(step),
                                 execution_count=count if step.ran else None)
        cell.id = f"step-{index + 1}"  # the same page for the same result
        notebook.cells.append(cell)
    return notebook


def feedback_html(result: GradeResult, *, title: str,
                  labels: dict[str, str] | None = None) -> str:
    """The feedback page for ``result`` as one self-contained HTML document.

    ``title`` names the notebook (escaped here). ``labels`` replaces some or all of
    ``DEFAULT_LABELS`` (already translated); unknown keys raise ValueError. A
    ``result.message`` (a notebook that did not run to its end, or hit the sandbox's disk or
    file-size limit) is shown at the top: pass a result with a translated message
    (``dataclasses.replace``) to translate it.
    """
    unknown = set(labels or {}) - set(DEFAULT_LABELS)
    if unknown:
        raise ValueError(f"unknown feedback labels: {', '.join(sorted(unknown))}")
    words = {**DEFAULT_LABELS, **(labels or {})}
    notebook = feedback_notebook(result)
    with _lock:
        exporter = _get_exporter()
        resources = {
            "metadata": {"name": title},
            "inlining": {"css": list(_css)},
            "nbgrader": {"notebook": markupsafe.escape(title), "score": result.score,
                         "max_score": result.max_score, "late_penalty": 0},
            "lms": {"labels": words, "status": result.status,
                    "message": result.message,
                    "score_text": f"{_number(result.score)} / {_number(result.max_score)}"},
        }
        html, _ = exporter.from_notebook_node(notebook, resources=resources)
    return html
