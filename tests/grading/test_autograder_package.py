"""The grading engine is a package of its own: nothing of Django or the site's apps is
imported by any of its modules, so it runs (and its tests run) without settings or a
database, as ``manage.py grade_notebook`` does."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import grading.autograder

ROOT = Path(__file__).resolve().parents[2]
SITE = ("django", "wagtail", "lms", "courses", "grading.models", "grading.services",
        "celery", "rest_framework")


def test_no_module_of_the_engine_imports_django_or_the_apps():
    modules = [m.name for m in pkgutil.walk_packages(grading.autograder.__path__,
                                                     prefix="grading.autograder.")
               if ".inside" not in m.name]  # the runners run inside the sandboxes
    probe = ("import sys\n"
             f"for name in {modules!r}:\n    __import__(name)\n"
             f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {SITE!r} "
             f"or m in {SITE!r})\n"
             "print(','.join(bad))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})

    assert done.returncode == 0, done.stderr
    assert len(modules) >= 10
    assert done.stdout.strip() == ""


def test_the_runners_use_the_standard_library_and_the_data_libraries_only():
    inside = Path(grading.autograder.__file__).with_name("inside")
    for path in inside.glob("*.py"):
        text = path.read_text()
        for forbidden in ("import django", "from django", "from grading", "import grading",
                          "import pickle", "from pickle"):
            assert forbidden not in text, (path.name, forbidden)
