"""Shipped notebooks and module texts read as written in JupyterLab's renderer and the site's.

JupyterLab renders markdown with marked (GitHub Flavored Markdown): a pair of single tildes
strikes text out, and ``**`` that CommonMark's flanking rules do not let close stays on screen.
``grading.autograder.markdown`` renders as marked does on both counts; these tests lint every
shipped notebook's markdown cells and the demo programme's module texts with it. No database.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from grading.autograder.feedback import instructor_markdown
from grading.autograder.markdown import html_problems, markdown_problems, notebook_markdown_html

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {".venv", ".git", "var", "node_modules", "test-artifacts", ".ipynb_checkpoints"}
NOTEBOOKS = sorted(path for path in ROOT.rglob("*.ipynb")
                   if not NOT_SHIPPED & set(path.relative_to(ROOT).parts))
PROGRAMME = ROOT / "courses" / "demo_content" / "programme.yaml"


def _texts(value, where: str):
    """Every text of the programme's YAML with where it is, less code blocks (code is code)."""
    if isinstance(value, dict):
        if value.get("type") == "code":
            return
        for key, item in value.items():
            yield from _texts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


@pytest.mark.parametrize(("source", "html"), [
    ("CNC-01~03, 08:00~19:59", "<p>CNC-01<del>03, 08:00</del>19:59</p>"),  # marked: one tilde
    ("a ~~b~~ c", "<p>a <del>b</del> c</p>"),
    ("CNC-01&#126;03, 08:00&#126;19:59", "<p>CNC-01~03, 08:00~19:59</p>"),  # a reference
    ("0 ~ 120 and 3 ~ 9", "<p>0 ~ 120 and 3 ~ 9</p>"),  # a space inside: no strikethrough
    ("`a~b` and `c~d`", "<p><code>a~b</code> and <code>c~d</code></p>"),
    ("**오류 코드 `-999`**를", "<p>**오류 코드 <code>-999</code>**를</p>"),  # no closing **
    ("**오류 코드 -999 **를", "<p>**오류 코드 -999 **를</p>"),
    ("**오류 코드** `-999`를", "<p><strong>오류 코드</strong> <code>-999</code>를</p>"),
])
def test_the_site_renders_markdown_as_jupyterlab_does(source, html):
    assert notebook_markdown_html(source).strip() == html


def test_the_feedback_page_strikes_out_what_the_lab_strikes_out():
    assert "<del>03, 08:00</del>" in instructor_markdown("CNC-01~03, 08:00~19:59")


def test_the_lint_sees_strikethrough_and_stray_asterisks():
    assert markdown_problems("CNC-01~03, 08:00~19:59") == ["struck-through text (<del>)"]
    assert len(markdown_problems("온도 **오류 코드 `-999`**를")) == 2
    assert markdown_problems("`x ** 2` and\n\n~~~\ncode ~ ** ~\n~~~") == []


def test_the_shipped_notebooks_are_found():
    names = {path.name for path in NOTEBOOKS}
    assert {"sensor-spc.ipynb", "pm-classifier.ipynb", "defect-inspector.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_every_markdown_cell_of_a_shipped_notebook_reads_as_written(path):
    notebook = nbformat.read(path, as_version=4)

    problems = {cell.get("id", index): found for index, cell in enumerate(notebook.cells)
                if cell.cell_type == "markdown" and (found := markdown_problems(cell.source))}

    assert not problems


def test_every_text_of_the_demo_modules_reads_as_written():
    content = yaml.safe_load(PROGRAMME.read_text(encoding="utf-8"))
    texts = list(_texts(content, "programme"))

    problems = {where: found for where, text in texts if (found := html_problems(text))}

    assert len(texts) > 300
    assert not problems
