"""gunicorn serving the site with production settings (DEBUG off) and collected static files,
as the image runs it, for the tests that need the real server: its error pages, its logs."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.grading.test_worker import _free_port, _reachable, wait_for
from tests.security.test_production_settings import ROOT, _production_env


@contextlib.contextmanager
def production_gunicorn(directory: Path, *args: str, environ: dict | None = None
                        ) -> Iterator[tuple[int, Path]]:
    """(port, the file of everything gunicorn printed); ``args`` added to its command line,
    ``environ`` to its environment."""
    static_root = directory / "static"
    log = directory / "gunicorn.log"
    env = {**_production_env(), "DJANGO_STATIC_ROOT": str(static_root), **(environ or {})}
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput",
                                "-v0"], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=300)
    assert collected.returncode == 0, collected.stderr
    port = _free_port()
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "gunicorn", "lms.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "1", *args], cwd=ROOT, env=env, stdout=output,
            stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _reachable(port) or server.poll() is not None, timeout=120,
                 what="gunicorn to listen")
        assert server.poll() is None, log.read_text()
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=30)
