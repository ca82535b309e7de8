"""Notebooks too deeply nested or with too many cells are refused with a reason, before the
recursive parsers see them: learners' uploads, instructors' sources and the command line."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from nbformat.v4 import new_code_cell, new_notebook, new_output

from grading.autograder.notebooks import (
    MAX_CELLS,
    MAX_DEPTH,
    NotebookInvalid,
    json_depth,
    notebook_load,
)
from grading.models import Assignment, Submission
from grading.services.assignments import assignment_source_set
from tests.courses.conftest import admin_login
from tests.courses.factories import module_create
from tests.grading.conftest import SOURCE, notebook_with

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 5 * 1024 * 1024
RIGHT = "def square(x):\n    return x * x"
DEEP = "nested more than"


def deep_arrays(depth: int = 100_000) -> bytes:
    return b"[" * depth + b"]" * depth


def with_deep_metadata(data: bytes, depth: int = 900) -> bytes:
    """``data`` (a notebook) with ``depth`` nested lists in its metadata."""
    notebook = json.loads(data)
    notebook["metadata"]["deep"] = "@DEEP@"
    return json.dumps(notebook).replace('"@DEEP@"', "[" * depth + "]" * depth).encode()


def source_bytes() -> bytes:
    return nbformat.writes(SOURCE).encode()


@pytest.mark.parametrize("data", [deep_arrays(), with_deep_metadata(source_bytes()),
                                  with_deep_metadata(source_bytes(), MAX_DEPTH - 1)],
                         ids=["100000-deep-arrays", "900-deep-metadata", "just-too-deep"])
def test_too_deep_notebooks_are_refused_with_a_reason(data):
    with pytest.raises(NotebookInvalid, match=f"{DEEP} {MAX_DEPTH} levels"):
        notebook_load(data, max_bytes=LIMIT)


def test_a_notebook_at_the_depth_limit_with_a_rich_output_loads():
    notebook = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    # A Plotly choropleth's GeoJSON: about 20 levels, as real outputs nest.
    figure = {"data": [{"type": "choropleth", "geojson": {"type": "FeatureCollection",
              "features": [{"type": "Feature", "geometry": {
                  "type": "MultiPolygon", "coordinates": [[[[127.0, 37.5], [127.1, 37.6]]]]}}]}}],
              "layout": {"title": {"text": "[[[ brackets \" in { text"}}}
    notebook.cells[1].outputs = [new_output("display_data",
                                            data={"application/vnd.plotly.v1+json": figure})]
    # the notebook itself and its metadata are 2 levels; the rest up to MAX_DEPTH
    data = with_deep_metadata(nbformat.writes(notebook).encode(), MAX_DEPTH - 2)
    assert json_depth(data) == MAX_DEPTH

    loaded = notebook_load(data, max_bytes=LIMIT)

    assert loaded.cells[1].outputs[0].data["application/vnd.plotly.v1+json"] == figure


@pytest.mark.parametrize(("data", "depth"), [
    (b'{"a": "[[[{{{", "b": [1, {"c": "\\\\"}]}', 3),  # brackets in strings, an escaped \
    (b'{"a": "\\"[[[", "b": "\\\\\\"{{"}', 1),  # escaped quotes do not end a string
    ('{"한국어": ["[", {}]}'.encode(), 3),
    (b"", 0),
    (b'"never closed \\" [[[', 0),
])
def test_depth_is_counted_outside_strings(data, depth):
    assert json_depth(data) == depth


def test_too_many_cells_are_refused_before_validation():
    notebook = new_notebook(cells=[new_code_cell(f"x = {i}") for i in range(MAX_CELLS)])
    assert len(notebook_load(nbformat.writes(notebook).encode(), max_bytes=LIMIT).cells) \
        == MAX_CELLS
    notebook.cells.append(new_code_cell("one more"))

    with pytest.raises(NotebookInvalid, match="5,001 cells; the limit is 5,000"):
        notebook_load(nbformat.writes(notebook).encode(), max_bytes=LIMIT)


# --- Through the site ------------------------------------------------------------------------


def upload(client, data):
    return client.post(reverse("grading:submit", args=["squares"]),
                       {"notebook": SimpleUploadedFile("squares.ipynb", data)},
                       HTTP_ACCEPT="application/json")


@pytest.mark.django_db
def test_a_learners_too_deep_upload_gets_a_400_with_the_reason(client, released_assignment,
                                                               enrolled_learner):
    client.force_login(enrolled_learner)

    for data in (deep_arrays(), with_deep_metadata(notebook_with(RIGHT))):
        response = upload(client, data)

        assert response.status_code == 400
        assert not response.json()["ok"]
        assert DEEP in response.json()["message"]
    assert not Submission.objects.exists()
    assert upload(client, notebook_with(RIGHT)).status_code == 200  # nothing else changed


@pytest.mark.django_db
def test_an_instructors_too_deep_source_is_refused_by_the_service(assignment):
    before = assignment.source_sha256

    for data in (deep_arrays(), with_deep_metadata(source_bytes())):
        with pytest.raises(NotebookInvalid, match=DEEP):
            assignment_source_set(assignment=assignment, data=data)

    assignment.refresh_from_db()
    assert assignment.source_sha256 == before


@pytest.mark.django_db
@pytest.mark.parametrize("make", [deep_arrays, lambda: with_deep_metadata(source_bytes())],
                         ids=["arrays", "metadata"])
def test_an_instructors_too_deep_upload_in_the_admin_gets_the_form_error(
        client, instructor, course, make):
    module = module_create(parent=course, title="새 과제", slug="new-one")
    admin_login(client, instructor)
    response = client.post(reverse("wagtailsnippets_grading_assignment:add"), {
        "key": "new-one", "title": "New", "module": module.pk,
        "late_penalty_percent_per_day": "0", "late_penalty_cap_percent": "100",
        "counting": "best", "time_limit_seconds": "60",
        "source_file": SimpleUploadedFile("s.ipynb", make())})

    assert response.status_code == 200
    assert DEEP in str(response.context["form"].errors["source_file"])
    assert not Assignment.objects.filter(key="new-one").exists()


@pytest.mark.parametrize("which", ["--source", "--submission"])
def test_the_command_line_refuses_a_too_deep_notebook_in_one_line(tmp_path, which):
    good = tmp_path / "good.ipynb"
    good.write_bytes(source_bytes())
    deep = tmp_path / "deep.ipynb"
    deep.write_bytes(deep_arrays())
    files = {"--source": good, "--submission": good, which: deep}

    done = subprocess.run([sys.executable, "manage.py", "grade_notebook",
                           "--source", str(files["--source"]),
                           "--submission", str(files["--submission"]), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert f"grade_notebook: The notebook's data is {DEEP} {MAX_DEPTH} levels" in done.stderr
