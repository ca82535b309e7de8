"""gunicorn's settings file, read from the working directory whatever the command line says.

Only the metrics' bookkeeping lives here (the command line keeps the rest, see Dockerfile and
docker-compose.yml): with ``PROMETHEUS_MULTIPROC_DIR`` set, gunicorn's processes add up their
request and database figures through files in that directory (``lms.core.prometheus``). The
master empties it before it starts its workers, and forgets a worker's live gauges when the
worker exits.
"""

from lms.core.prometheus import multiprocess_dir_clean, process_dead


def on_starting(server) -> None:
    multiprocess_dir_clean()


def child_exit(server, worker) -> None:
    process_dead(worker.pid)
