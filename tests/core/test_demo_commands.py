"""The demo as a newcomer runs it, in subprocesses against a temporary ``var/``: ``make demo``'s
set-up steps, the README's command lines exactly as written (so README and code cannot drift),
and Ctrl-C on the demo's process runner.

No PostgreSQL or Redis: like ``make demo``, SQLite and the embedded broker under ``var/``,
and none of the test settings' variables (the commands must work from ``var/demo.env``).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# What a fresh shell has; everything else (the test settings' DJANGO_*, DATABASE_URL, ...) goes.
KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "TERM")


@dataclass
class Demo:
    var: Path
    env: dict[str, str]


def _run(args, *, env, cwd=ROOT, timeout=300, check=True, shell=False):
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True,  # noqa: S603
                            timeout=timeout, shell=shell)
    if check:
        assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    """``make demo`` up to the processes: demo_env, then demo_setup (migrate, seed, hub client)
    with nothing in the environment but LMS_VAR_DIR (the temporary var/)."""
    var = tmp_path_factory.mktemp("demo-var")
    env = {key: os.environ[key] for key in KEPT if key in os.environ}
    env["LMS_VAR_DIR"] = str(var)
    env["PATH"] = f"{Path(PYTHON).parent}:{env.get('PATH', '')}"
    _run([PYTHON, "manage.py", "demo_env", str(var / "demo.env")],
         env={**env, "DJANGO_DEBUG": "1"})  # as the Makefile: the file does not exist yet
    started = time.monotonic()
    setup = _run([PYTHON, "manage.py", "demo_setup"], env=env, timeout=600)
    assert "The demo is ready to start" in setup.stdout
    print(f"demo_setup: {time.monotonic() - started:.1f} s")  # noqa: T201 - shown with -s
    return Demo(var=var, env=env)


# --- The README's commands -------------------------------------------------------------------

def readme_commands() -> list[str]:
    """The ``manage.py`` and ``curl`` lines of the README's shell code blocks, continuation
    lines joined and trailing comments dropped; synopses with ``[optional]`` parts are not
    commands to run."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if not words or "[" in line:
                continue
            if words[0] in (".venv/bin/python", "python") and words[1:2] == ["manage.py"] \
                    or words[0] == "curl":
                commands.append(shlex.join(words))
    return commands


def test_the_readme_has_the_commands_this_test_runs():
    commands = readme_commands()

    names = {shlex.split(c)[2] for c in commands if "manage.py" in c}
    assert {"export_stats", "api_token", "export_enrolments", "generate_synthetic",
            "verify_credential"} <= names
    assert any(c.startswith("curl ") for c in commands)


@pytest.fixture(scope="module")
def workdir(demo, tmp_path_factory) -> Path:
    """A copy of the project's top level (links) where the commands run as written: the
    files they write stay out of the project."""
    work = tmp_path_factory.mktemp("readme")
    for entry in ROOT.iterdir():
        if entry.name not in ("var", ".git"):
            (work / entry.name).symlink_to(entry)
    if not (work / ".venv").exists():
        (work / ".venv").symlink_to(Path(sys.prefix))
    return work


@pytest.fixture(scope="module")
def site(demo) -> str:
    """The demo's site (runserver, as the Procfile's web), for the README's curl lines."""
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], cwd=ROOT,
        env=demo.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)
    yield f"http://localhost:{port}"
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def test_the_readme_commands_work_as_written_after_make_demo(demo, workdir, site):
    # Given the demo, and the Open Badge the tour downloads from "My learning" (here: the
    # credential of one of the seeded certificates, saved under the name the README uses)
    _run([PYTHON, "manage.py", "shell", "-c",
          "import json, pathlib; "
          "from lms.certificates.models import Certificate; "
          "from lms.certificates.credentials.issue import credential_issue; "
          "c = Certificate.objects.filter(revoked_at__isnull=True).earliest('pk'); "
          f"pathlib.Path({str(workdir / 'AIMD-2026-000001.json')!r}).write_text("
          "json.dumps(credential_issue(certificate=c)))"], env=demo.env)
    token = None
    ran = []

    # When each README command runs as written (the site's address and the API token are
    # the ones of this run)
    for command in readme_commands():
        line = command.replace("http://localhost:8000", site)
        if "<token>" in line:
            assert token, "the README shows `api_token create` before using its token"
            line = line.replace("<token>", token)
        result = _run(line, env=demo.env, cwd=workdir, shell=True, timeout=300, check=False)  # noqa: S604 - the README's own lines, run as a shell runs them

        # Then it succeeds and prints no traceback
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, command
        if "api_token create" in command:
            token = result.stdout.strip().splitlines()[-1]
        if command.startswith("curl ") and "/api/years/" in command:
            assert '"certified"' in result.stdout, result.stdout[:500]
        if "verify_credential" in command:
            assert "VALID" in result.stdout
        ran.append(command)
    assert (workdir / "stats.xlsx").stat().st_size > 0
    assert (workdir / "enrolments.csv").read_text(encoding="utf-8").count("\n") > 100
    assert len(ran) >= 7


def test_variables_set_in_the_environment_win_over_var_demo_env(demo):
    # Given var/demo.env, which sets DJANGO_DEBUG=1
    code = "from django.conf import settings; print(settings.DEBUG, settings.LMS_SITE_NAME)"

    # When a command runs with nothing else, and with the variables set
    plain = _run([PYTHON, "manage.py", "shell", "-c", code], env=demo.env)
    overridden = _run([PYTHON, "manage.py", "shell", "-c", code], check=False, env={
        **demo.env, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 50,
        "LMS_SITE_NAME": "from-the-environment"})

    # Then the file gives the demo's settings, and the environment overrides them
    assert plain.stdout.split()[-1] == "True", plain.stdout + plain.stderr
    assert overridden.stdout.split()[-2:] == ["False", "from-the-environment"], \
        overridden.stdout + overridden.stderr


def test_a_deployment_with_its_own_database_does_not_read_a_leftover_demo_env(demo):
    # Given var/demo.env (DJANGO_DEBUG=1) left in a checkout that is then deployed for real
    code = "from django.conf import settings; print(settings.DEBUG)"
    deployed = {**demo.env, "DATABASE_URL": f"sqlite:///{demo.var / 'other.sqlite3'}"}

    # When it runs with its own database and no secret key
    refused = _run([PYTHON, "manage.py", "shell", "-c", code], check=False, env=deployed)
    # or with one
    running = _run([PYTHON, "manage.py", "shell", "-c", code], check=False,
                   env={**deployed, "DJANGO_SECRET_KEY": "y" * 50})

    # Then the demo's DEBUG does not reach it: production refuses to start without its key
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in refused.stderr
    assert running.stdout.split()[-1] == "False", running.stdout + running.stderr


# --- Ctrl-C on the process runner ------------------------------------------------------------

class Output:
    """A process's output, collected by a thread as it comes."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, *, count: int = 1, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.text)) >= count:
                return True
            time.sleep(0.2)
        return False


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_the_demo_processes_cleanly(demo, tmp_path):
    # Given the Procfile's worker and beat, and its site on a free port, started by the runner
    # the way `make demo` starts them (its own process group, like a job in a terminal)
    from lms.core.procfile import procfile_read

    processes = procfile_read(ROOT / "Procfile")
    port = _free_port()
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"web: {processes['web'].replace('127.0.0.1:8000', f'127.0.0.1:{port}')}\n"
        f"worker: {processes['worker']}\nbeat: {processes['beat']}\n", encoding="utf-8")
    runner = subprocess.Popen(  # noqa: S603
        [PYTHON, "-m", "lms.core.procfile", "--env", str(demo.var / "demo.env"),
         str(procfile)], cwd=ROOT, env=demo.env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = Output(runner.stdout)
    try:
        # The worker runs the release checks demo_setup queued (make demo: after the site is up)
        assert output.wait_for(r"celery@\S+ ready", timeout=120), output.text
        assert output.wait_for(r"release of [\w-]+: released", count=3, timeout=240), \
            output.text
        assert output.wait_for(r"Quit the server|Starting development server", timeout=60)
        pgids = [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", output.text)]
        assert len(pgids) == 3

        # When Ctrl-C reaches the runner's process group
        os.killpg(runner.pid, signal.SIGINT)
        code = runner.wait(timeout=90)
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
    time.sleep(0.5)
    text = output.text

    # Then it exits 0, with every process and everything they started gone, no error logged,
    # and no sandbox pool made once the shutdown began
    assert code == 0, text
    assert [pgid for pgid in pgids if _group_alive(pgid)] == []
    assert "ERROR" not in text, text
    assert "Traceback" not in text, text
    shutdown = text.index("stopping every process")
    assert "sandbox pool of" not in text[shutdown:], text[shutdown:]
    for name in ("web", "worker", "beat"):
        assert f"{name} stopped (exit code" in text


def test_demo_env_adds_what_an_older_file_lacks(tmp_path):
    # Given a var/demo.env from before the settings read it (no DJANGO_DEBUG)
    from io import StringIO

    from django.core.management import call_command

    file = tmp_path / "demo.env"
    file.write_text("JUPYTERHUB_API_TOKEN=kept\nLMS_OAUTH_CLIENT_SECRET=kept-too\n",
                    encoding="utf-8")

    # When make demo runs demo_env again
    out = StringIO()
    call_command("demo_env", str(file), stdout=out)

    # Then the secrets stay and the missing lines are added
    text = file.read_text(encoding="utf-8")
    assert "JUPYTERHUB_API_TOKEN=kept\n" in text
    assert "LMS_OAUTH_CLIENT_SECRET=kept-too\n" in text
    assert "DJANGO_DEBUG=1\n" in text
    assert text.count("JUPYTERHUB_API_TOKEN=") == 1
    assert "added DJANGO_DEBUG" in out.getvalue()
