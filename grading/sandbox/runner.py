"""The process that runs a notebook's cells inside the sandbox (see docs/grading-engine.md).

Started by the sandbox backend as ``python runner.py`` with the protocol on stdin/stdout:
one JSON object per line each way. It uses only the standard library and IPython, and is
never imported by the site.

Trust boundary: everything here runs before any learner code, and keeps what decides a
result out of the learner's reach:
- the protocol file descriptors are duplicated away and fds 0-2 point to /dev/null, so
  learner code cannot write protocol lines by printing;
- learner and locked cells run through IPython (magics work), test cells run with the
  ``compile``/``exec`` captured here, never through ``run_cell``, input or AST transformers,
  custom exception handlers or traceback display that learner code may have replaced;
- every cell runs in a worker thread, so learner frames never lead to this loop's frame;
- an audit hook, which cannot be removed, refuses process creation, signals, tracing and
  heap or cross-thread frame introspection.
"""

import ast
import io
import json
import os
import sys
import threading

_exec, _compile, _ast_parse = exec, compile, ast.parse
OUTPUT_CAP = 20_000

BLOCKED_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "sys.settrace",
    "sys.setprofile", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys.addaudithook", "socket.connect", "socket.bind",
})


def _audit(event: str, args: tuple) -> None:
    if event in BLOCKED_EVENTS:
        raise PermissionError(f"{event} is not allowed while grading")
    if event == "sys._getframe" and args and _is_runner_frame(args[0]):
        raise PermissionError("inspecting the grader is not allowed")
    if event == "object.__getattr__" and args[1] in ("tb_frame", "gi_frame", "cr_frame",
                                                     "ag_frame") and _points_to_runner(args):
        raise PermissionError("inspecting the grader is not allowed")


def _is_runner_frame(frame) -> bool:
    return frame is not None and frame.f_code.co_filename == __file__


def _points_to_runner(args: tuple) -> bool:
    target = getattr(args[0], "tb_frame", None) if args[1] == "tb_frame" else None
    return _is_runner_frame(target)


class _Capture(io.TextIOBase):
    """A bounded text sink standing in for sys.stdout or sys.stderr during a cell."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.written = False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        if text:
            self.written = True
        if self.size < OUTPUT_CAP:
            self.parts.append(text[: OUTPUT_CAP - self.size])
            self.size += len(self.parts[-1])
        return len(text)

    def value(self) -> str:
        return "".join(self.parts)


def _split_last_expression(source: str):
    """Compile a test like IPython: the value of a trailing expression is kept."""
    tree = _ast_parse(source, "<test>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = _compile(tree, "<test>", "exec")
    return body, (_compile(last, "<test>", "eval") if last else None)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def main() -> None:
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)

    os.environ.setdefault("IPYTHONDIR", os.path.join(os.getcwd(), ".ipython"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="NoColor")
    shell.display_formatter.active_types = ["text/plain"]
    transform = TransformerManager().transform_cell  # a pristine copy, not the shell's
    namespace = shell.user_ns
    sys.addaudithook(_audit)

    def reply(message: dict) -> None:
        proto_out.write(json.dumps(message) + "\n")
        proto_out.flush()

    reply({"op": "ready"})
    for line in proto_in:
        command = json.loads(line)
        if command["op"] == "stop":
            break
        outcome = _run_cell(command, shell, namespace, transform)
        outcome["nonce"] = command["nonce"]
        reply(outcome)
        if outcome["status"] == "timeout":
            break  # the cell's thread cannot be stopped: the backend ends the sandbox
    proto_out.flush()
    os._exit(0)


def _run_cell(command: dict, shell, namespace: dict, transform) -> dict:
    stdout, stderr = _Capture(), _Capture()
    box: dict = {}
    code, kind = command["code"], command["kind"]

    def learner_cell() -> None:
        result = shell.run_cell(code, store_history=False, silent=False)
        error = result.error_before_exec or result.error_in_exec
        box["error"] = _describe(error) if error else None

    def test_cell() -> None:
        try:
            body, last = _split_last_expression(transform(code))
            _exec(body, namespace)
            value = eval(last, namespace) if last else None  # noqa: S307 - the test's own code
            box["value"] = None if value is None else repr(value)[:200]
            box["error"] = None
        except BaseException as error:  # noqa: BLE001 - every failure of a test is reported
            box["error"] = _describe(error)

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    worker = threading.Thread(target=test_cell if kind == "test" else learner_cell,
                              daemon=True)
    try:
        worker.start()
        worker.join(command.get("timeout", 30))
    finally:
        sys.stdout, sys.stderr = saved
    if worker.is_alive():
        return {"status": "timeout"}
    if "error" not in box:
        return {"status": "error", "error": "the cell ended without a result"}
    return {
        "status": "error" if box["error"] else "ok",
        "error": box["error"],
        "value": box.get("value"),
        "stderr": stderr.written,
        "stdout": stdout.value() if kind != "test" else "",
    }


if __name__ == "__main__":
    main()
