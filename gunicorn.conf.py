"""gunicorn's settings file, read from the working directory whatever the command line says.

Two things live here (the command line keeps the rest, see Dockerfile and docker-compose.yml):

- the access log's logger, which keeps the secrets of mailed links out of it
  (``lms.core.accesslog``);
- the metrics' bookkeeping: with ``PROMETHEUS_MULTIPROC_DIR`` set, gunicorn's processes add up
  their request and database figures through files in that directory
  (``lms.core.prometheus``). The master empties it before it starts its workers, and forgets
  a worker's live gauges when the worker exits.
"""

from lms.core.prometheus import multiprocess_dir_clean, process_dead

logger_class = "lms.core.accesslog.AccessLogger"


def on_starting(server) -> None:
    multiprocess_dir_clean()


def child_exit(server, worker) -> None:
    process_dead(worker.pid)
