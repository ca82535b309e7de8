"""The process that runs a notebook's cells inside the sandbox (see docs/grading-engine.md).

Started by the sandbox backend as ``python -I runner.py`` with the protocol on stdin/stdout:
one JSON object per line each way. It uses only the standard library and IPython, and is
never imported by the site.

Trust boundary: ``main`` runs before any learner code and keeps everything that decides a
result out of the learner's reach:
- every function and value the result depends on (``compile``, ``exec``, ``repr``, the
  reply encoder, ``os.write``...) is captured into ``main``'s closures before learner code
  runs, so patching builtins, ``json``, ``ast`` or IPython cannot change how a test runs or
  how its result is reported;
- the protocol file descriptors are duplicated away and fds 0-2 point to /dev/null, so
  printing cannot write protocol lines;
- learner and locked cells run through IPython (magics work); test cells are compiled and
  executed directly, never through ``run_cell``, input or AST transformers, custom exception
  handlers or traceback display that learner code may have replaced;
- every cell runs in its own low-level thread started by ``main``; learner frames' ``f_back``
  chains end there and never reach ``main``'s frame;
- an audit hook, which cannot be removed, refuses process creation, signals, tracing, heap
  and cross-thread frame introspection, and sockets (and, where Python raises the event,
  threads started by learner code: 3.11 does not; see docs/grading-engine.md).
"""

import ast
import io
import json
import os
import sys

OUTPUT_CAP = 20_000
BLOCKED_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "sys.settrace",
    "sys.setprofile", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys.addaudithook", "socket.connect", "socket.bind",
    "socket.sendto", "threading.settrace", "threading.setprofile",
})


class _Capture(io.TextIOBase):
    """A bounded text sink standing in for sys.stdout or sys.stderr during a cell."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.written = False

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if text:
            self.written = True
        if self.size < OUTPUT_CAP:
            self.parts.append(text[: OUTPUT_CAP - self.size])
            self.size += len(self.parts[-1])
        return len(text)

    def value(self) -> str:
        return "".join(self.parts)


def main() -> None:  # noqa: C901 - one closure scope on purpose (see the module docstring)
    import _thread

    # --- Everything the verdict depends on, captured before learner code exists. ----------
    _compile, _exec, _eval, _repr, _type = compile, exec, eval, repr, type
    _str, _float, _isinstance, _len = str, float, isinstance, len
    _translate, _encode, _str_join = str.translate, str.encode, str.join
    _dict_get = dict.get
    _sys, Capture, cap, blocked = sys, _Capture, OUTPUT_CAP, BLOCKED_EVENTS
    _decode = json.JSONDecoder().decode
    _os_write, _os_exit = os.write, os._exit
    _start_thread, _allocate_lock = _thread.start_new_thread, _thread.allocate_lock
    _expr_type, _expression, _only_ast = ast.Expr, ast.Expression, ast.PyCF_ONLY_AST
    _escape = {i: f"\\u{i:04x}" for i in range(32)}
    _escape.update({ord('"'): '\\"', ord("\\"): "\\\\", 0x2028: "\\u2028", 0x2029: "\\u2029"})
    allow_thread = [False]

    def audit(event: str, args: tuple) -> None:
        if event in blocked:
            raise PermissionError(f"{event} is not allowed while grading")
        if event == "_thread.start_new_thread" and not allow_thread[0]:
            raise PermissionError("starting threads is not allowed while grading")

    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)

    os.environ.setdefault("IPYTHONDIR", os.path.join(os.getcwd(), ".ipython"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.inputtransformer2 import TransformerManager
    from IPython.core.interactiveshell import InteractiveShell

    for name in filter(None, (_sys.argv[1] if _len(_sys.argv) > 1 else "").split(",")):
        try:  # shared start-up work, done before learner code (see SandboxPool)
            __import__(name)
        except Exception:  # noqa: BLE001, S112 - a missing library only costs speed
            continue

    shell = InteractiveShell.instance(colors="NoColor")
    shell.display_formatter.active_types = ["text/plain"]
    run_cell = shell.run_cell
    transform = TransformerManager().transform_cell
    namespace = shell.user_ns
    sys.addaudithook(audit)

    def quote(text) -> str:
        return '"' + _translate(_str(text), _escape) + '"'

    def reply(fields: list) -> None:
        parts = []
        for key, value in fields:
            if value is None:
                encoded = "null"
            elif value is True or value is False:
                encoded = "true" if value else "false"
            else:
                encoded = quote(value)
            parts.append(quote(key) + ":" + encoded)
        _os_write(proto_out, _encode("{" + _str_join(",", parts) + "}\n", "utf-8"))

    def describe(error) -> str:
        try:
            text = f"{_type(error).__name__}: {error}"
        except BaseException:  # noqa: BLE001 - a learner's __str__ may raise
            text = _type(error).__name__
        return text[:2000]

    def compile_test(source: str):
        if "%" in source or "!" in source:
            source = transform(source)  # magics in a test: IPython's syntax, then compile
        tree = _compile(source, "<test>", "exec", _only_ast)
        last = None
        if tree.body and _isinstance(tree.body[-1], _expr_type):
            last = _expression(tree.body.pop().value)
        body = _compile(tree, "<test>", "exec")
        return body, (_compile(last, "<test>", "eval") if last is not None else None)

    def run(command: dict) -> list:
        code, kind = command["code"], command["kind"]
        stdout, stderr = Capture(), Capture()
        box = {}
        done = _allocate_lock()
        done.acquire()

        def learner_cell() -> None:
            try:
                result = run_cell(code, store_history=False, silent=False)
                error = result.error_before_exec or result.error_in_exec
                box["error"] = describe(error) if error is not None else None
            except BaseException as error:  # noqa: BLE001
                box["error"] = describe(error)
            finally:
                done.release()

        def test_cell() -> None:
            try:
                body, last = compile_test(code)
                _exec(body, namespace)
                value = _eval(last, namespace) if last is not None else None
                box["value"] = None if value is None else _repr(value)[:200]
                box["error"] = None
            except BaseException as error:  # noqa: BLE001 - every failure is reported
                box["value"] = None
                box["error"] = describe(error)
            finally:
                done.release()

        saved = _sys.stdout, _sys.stderr
        _sys.stdout, _sys.stderr = stdout, stderr
        allow_thread[0] = True
        try:
            _start_thread(test_cell if kind == "test" else learner_cell, ())
        finally:
            allow_thread[0] = False
        finished = done.acquire(timeout=command.get("timeout", 30))
        _sys.stdout, _sys.stderr = saved
        if not finished:
            return [("status", "timeout")]
        error = _dict_get(box, "error", "the cell ended without a result")
        return [
            ("status", "error" if error is not None else "ok"),
            ("error", error),
            ("value", _dict_get(box, "value")),
            ("stderr", stderr.written is True),
            ("stdout", stdout.value()[:cap] if kind != "test" else ""),
        ]

    reply([("op", "ready")])
    for line in proto_in:
        command = _decode(line)
        if command["op"] == "stop":
            break
        fields = run(command)
        reply([("nonce", command["nonce"]), *fields])
        if fields[0][1] == "timeout":
            break  # a cell's thread cannot be stopped: the backend ends the sandbox
    _os_exit(0)


if __name__ == "__main__":
    main()
