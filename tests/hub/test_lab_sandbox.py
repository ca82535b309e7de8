"""A learner's lab (the local spawner of the demo) sees its own home and nothing else of the
project: not the site's settings and secrets, its database, the instructors' sources or the
other learners' labs; it runs as an unprivileged user, never as the hub's own (root in CI)."""

from __future__ import annotations

import os
import subprocess
import sys

from hub_config.sandboxed_spawner import lab_sandbox

PROBE = """
import os, sys
from pathlib import Path
project, home, other = sys.argv[1:4]
def readable(path):
    try:
        Path(path).read_bytes()
        return True
    except OSError:
        return False
print("uid", os.getuid())
print("secret", readable(os.path.join(project, "var", "demo.env")))
print("other", os.path.exists(other))
print("source", os.path.exists(os.path.join(project, "grading")))
print("lab-config", os.path.isdir(os.path.join(project, "hub_config", "lab")))
Path(home, "mine.txt").write_text("kept")
print("wrote-home", Path(home, "mine.txt").read_text())
try:
    Path(project, "planted.txt").write_text("x")
    print("wrote-project", True)
except OSError:
    print("wrote-project", False)
import numpy
print("numpy", bool(numpy.__version__))
"""


def test_a_lab_sees_its_home_and_not_the_sites_files(tmp_path):
    project = tmp_path / "project"
    (project / "var").mkdir(parents=True)
    (project / "var" / "demo.env").write_text("DJANGO_SECRET_KEY=the-sites-secret\n")
    (project / "grading").mkdir()
    (project / "hub_config" / "lab").mkdir(parents=True)
    home = project / "var" / "hub" / "home" / "u1"
    other = project / "var" / "hub" / "home" / "u2"
    home.mkdir(parents=True)
    other.mkdir(parents=True)
    (other / "answer.ipynb").write_text("{}")

    command = lab_sandbox(home=str(home), hidden=str(project),
                          shown=[str(project / "hub_config" / "lab")])
    result = subprocess.run(
        [*command, sys.executable, "-c", PROBE, str(project), str(home), str(other)],
        capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(home)})

    assert result.returncode == 0, result.stderr
    seen = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert seen["uid"] != "0"
    assert seen == {**seen, "secret": "False", "other": "False", "source": "False",
                    "lab-config": "True", "wrote-home": "kept", "wrote-project": "False",
                    "numpy": "True"}
    assert (home / "mine.txt").read_text() == "kept"  # the learner's work stays on the host
    assert not (project / "planted.txt").exists()
