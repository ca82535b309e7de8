"""The shape of the code: no import cycles between the project's modules, no first-party
import hidden in a function without a reason, and each room importing only the rooms below it.

``python tools/imports.py`` prints the same graph (modules, edges, cycles, deferred imports).
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("project_imports", ROOT / "tools" / "imports.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def graph():
    return _tool().build()


def test_the_graph_sees_the_whole_project(graph):
    # A walk that found nothing would pass every other test here.
    assert len(graph.modules) > 100
    for module in ("lms.certificates.services", "grading.services.grades",
                   "courses.services.progress", "grading.autograder.engine", "aimd_grading"):
        assert module in graph.modules
    edges = graph.edges()
    assert "lms.certificates.services" in edges["courses.services.progress"]
    assert "courses.services.progress" in edges["grading.services.grades"]


def test_no_import_cycle_between_the_projects_modules(graph):
    cycles = graph.cycles()
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    tool = _tool()
    made = tool.Graph(modules={"a": Path("a.py"), "b": Path("b.py"), "c": Path("c.py")})
    made.imports = [tool.Import("a", "b", 1, False, ""), tool.Import("b", "c", 1, True, ""),
                    tool.Import("c", "a", 1, False, "")]
    assert made.cycles() == [["a", "b", "c"]]
    made.imports.pop()
    assert made.cycles() == []


def test_every_first_party_import_inside_a_function_says_why(graph):
    # Allowed for optional backends, heavy libraries and Django's ready(); each says which.
    silent = [f"{graph.modules[i.source].relative_to(ROOT)}:{i.line} imports {i.target}"
              for i in graph.deferred() if not i.comment]
    assert silent == []


# Who may import whom, room by room (a room imports only the rooms listed for it).
ALLOWED = {
    "lms.accounts": set(),
    "courses": {"lms.accounts", "lms.certificates"},
    "grading": {"lms.accounts", "courses", "lms.core"},
    "lms.certificates": {"lms.accounts", "courses", "grading"},
    "lms.outcomes": {"lms.accounts", "courses", "lms.certificates", "lms.core"},
    "lms.reports": {"lms.accounts", "courses", "grading", "lms.certificates", "lms.core",
                    "lms.outcomes"},
    "lms.lti": {"lms.accounts", "courses", "grading", "lms.core"},
}


# The statistics are the last step of the one-way flow (learner -> ... -> certificate ->
# statistic): every service that changes what they count (enrolments, certificates, profiles)
# tells them what it changed by an explicit call into this one module, whatever its room. The
# module reads only the models of the rooms below it (checked below), so no cycle can form.
STATISTICS = "lms.reports.aggregates"
STATISTICS_PACKAGE = "lms.reports"  # its package's __init__, run by the import
# Likewise the grades going back to LTI platforms: grading tells this one module of every
# grade change (scores_publish_on_commit); it imports no grading service, so no cycle forms.
LTI_OUTCOMES = "lms.lti.services"


def _room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "lms" and len(parts) > 1 else parts[0]


def test_the_lowest_rooms_import_only_what_is_below_them(graph):
    wrong = []
    for imp in graph.imports:
        source, target = _room(imp.source), _room(imp.target)
        if source in ALLOWED and target != source and target in {
                "lms.accounts", "courses", "grading", "lms.certificates", "lms.reports",
                "lms.core", "lms.outcomes", "lms.lti"} and target not in ALLOWED[source] \
                and imp.target not in (STATISTICS, STATISTICS_PACKAGE) \
                and not (source == "grading" and imp.target in (LTI_OUTCOMES, "lms.lti")):
            wrong.append(f"{imp.source} -> {imp.target}")
    assert wrong == []


def test_the_statistics_step_reads_only_models_of_the_rooms_below(graph):
    outside = sorted(imp.target for imp in graph.imports if imp.source == STATISTICS
                     and _room(imp.target) != "lms.reports"
                     and _room(imp.target) in ALLOWED
                     and not (imp.target.endswith(".models") or ".models." in imp.target
                              or imp.target in {"courses", "lms", "lms.accounts",
                                                "lms.certificates"}))
    assert outside == []
    # And nothing of the reports' own beyond its models (which import no other room).
    own = {imp.target for imp in graph.imports if imp.source == STATISTICS
           and _room(imp.target) == "lms.reports"}
    assert own <= {"lms.reports", "lms.reports.models"}
