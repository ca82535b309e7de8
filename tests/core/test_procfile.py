"""The demo's process runner (``python -m lms.core.procfile``) under ``make`` in a terminal:
Ctrl-C stops every process and ``make`` ends with status 0 (honcho ended in "Error 143")."""

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lms.core.procfile import env_file_read, procfile_read

ROOT = Path(__file__).resolve().parents[2]


def test_procfile_and_env_file_are_read(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("# comment\n\nweb: python -m http.server 0\nworker: sleep 1\n",
                        encoding="utf-8")
    env = tmp_path / "demo.env"
    env.write_text("# c\nA=1\nexport B='two words'\nC=\"x=y\"\n", encoding="utf-8")

    assert procfile_read(procfile) == {"web": "python -m http.server 0", "worker": "sleep 1"}
    assert env_file_read(env) == {"A": "1", "B": "two words", "C": "x=y"}


def test_a_bad_procfile_line_is_a_clear_error(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("web python manage.py runserver\n", encoding="utf-8")

    result = subprocess.run([sys.executable, "-m", "lms.core.procfile", str(procfile)],  # noqa: S603
                            cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "expected 'name: command'" in result.stderr


def _read_until(fd: int, pattern: str, *, timeout: float, seen: list[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.append(os.read(fd, 65536))
            except OSError:
                break
        if re.search(pattern, b"".join(seen).decode("utf-8", "replace")):
            return True
    return False


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_ctrl_c_under_make_in_a_terminal_ends_make_with_status_0(tmp_path):
    # Given make running the runner in a terminal, with processes that start children of
    # their own (a shell running sleep), as the worker's pool and the hub's proxy do
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"one: {sys.executable} -c \"import subprocess, time; "
        f"subprocess.Popen(['sleep', '300']); time.sleep(300)\"\n"
        "two: sleep 300\n", encoding="utf-8")
    env = tmp_path / "demo.env"
    env.write_text("DEMO_VALUE=from-the-env-file\n", encoding="utf-8")
    (tmp_path / "Makefile").write_text(
        f"demo:\n\tcd {ROOT} && {sys.executable} -m lms.core.procfile --timeout 10 "
        f"--env {env} {procfile}\n", encoding="utf-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child: make, in the terminal's foreground as a shell would start it
        os.chdir(tmp_path)
        os.execvp("make", ["make", "--no-print-directory", "demo"])  # noqa: S606 - make itself, as a shell would start it
    seen: list[bytes] = []
    try:
        assert _read_until(fd, r"two started \(pid \d+\)", timeout=60, seen=seen), seen
        time.sleep(0.5)
        text = b"".join(seen).decode("utf-8", "replace")
        pgids = [int(p) for p in re.findall(r"started \(pid (\d+)\)", text)]

        # When the user presses Ctrl-C in that terminal
        os.write(fd, b"\x03")
        _read_until(fd, r"two stopped", timeout=30, seen=seen)
        _read_until(fd, r"$^", timeout=2, seen=seen)  # what make prints last
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    text = b"".join(seen).decode("utf-8", "replace")

    # Then make ends with status 0, not "Interrupt" or "Error", and nothing is left running
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "make: ***" not in text  # neither "Interrupt" nor "Error 143"
    assert re.search(r"SIGINT: stopping every process", text)
    for pgid in pgids:
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
