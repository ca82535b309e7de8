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
- the grader sends the whole plan (every cell, with a secret nonce per cell) in one line
  before any learner code runs; the runner then closes its input, so nothing learner code
  starts (a thread, say) can read a later command, a hidden test or a nonce from the pipe;
  fds 0-2 point to /dev/null, so printing cannot write protocol lines, and a forged line
  without the cell's nonce only makes the grader stop (a dead kernel: no marks);
- learner and locked cells run through IPython (magics work); test cells are compiled and
  executed directly, never through ``run_cell``, input or AST transformers, custom exception
  handlers or traceback display that learner code may have replaced;
- every cell runs in its own low-level thread started by ``main``; learner frames' ``f_back``
  chains end there and never reach ``main``'s frame. A test's thread runs a chain of C
  callables only (``deque.extend(map(operator.call, [exec, eval, done.release]))``): no
  Python frame of the runner sits under the test, so learner code called by a test finds
  nothing to tamper with, and ``done`` is released only if the test's code ran to its end;
- the tests' code objects are refused to learner code (``f_code``, ``__code__``, ...), so a
  function called by a hidden test cannot read its constants or source;
- an audit hook, which cannot be removed, refuses process creation, signals, tracing, heap
  and cross-thread frame introspection, ctypes' raw memory readers, symlinks and sockets.
  The sandbox mounts no ``/proc``, so ``/proc/self/mem`` does not exist.
"""

import ast
import io
import json
import os
import sys
import time
from collections import deque
from functools import partial
from operator import call

OUTPUT_CAP = 20_000
BLOCKED_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec", "os.system",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "sys.settrace",
    "sys.setprofile", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "sys.addaudithook", "socket.connect", "socket.bind",
    "socket.sendto", "threading.settrace", "threading.setprofile", "os.symlink",
    # ctypes' raw memory readers (loading libraries and calling them stays allowed: numpy
    # and scikit-learn need it; docs/grading-engine.md says what this does not cover).
    "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata",
})
CODE_ATTRIBUTES = frozenset({"f_code", "__code__", "gi_code", "cr_code", "ag_code"})


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


def main() -> None:  # noqa: C901, PLR0915 - one closure scope on purpose (module docstring)
    import _thread

    # --- Everything the verdict depends on, captured before learner code exists. ----------
    _compile, _exec, _eval, _repr, _type = compile, exec, eval, repr, type
    _str, _isinstance, _len, _id, _getattr = str, isinstance, len, id, getattr
    _translate, _encode, _str_join = str.translate, str.encode, str.join
    _dict_get = dict.get
    _sys, Capture, cap, blocked = sys, _Capture, OUTPUT_CAP, BLOCKED_EVENTS
    code_attributes = CODE_ATTRIBUTES
    _decode = json.JSONDecoder().decode
    _os_write, _os_exit, _os_close = os.write, os._exit, os.close
    _start_thread, _allocate_lock, _count = (_thread.start_new_thread, _thread.allocate_lock,
                                             _thread._count)
    _deque, _partial, _call, _monotonic = deque, partial, call, time.monotonic
    _expr_type, _expression, _only_ast = ast.Expr, ast.Expression, ast.PyCF_ONLY_AST
    _ast_call, _ast_name, _ast_load = ast.Call, ast.Name, ast.Load
    _fix_locations = ast.fix_missing_locations
    _escape = {i: f"\\u{i:04x}" for i in range(32)}
    _escape.update({ord('"'): '\\"', ord("\\"): "\\\\", 0x2028: "\\u2028", 0x2029: "\\u2029"})
    # Lone surrogates cannot be encoded; a learner printing one must not break a reply.
    _escape.update(dict.fromkeys(range(55296, 57344), "\\ufffd"))
    test_codes: set = set()  # ids of the tests' code objects (kept alive in ``keep``)
    keep: list = []
    inside = [False]

    def audit(event: str, args: tuple) -> None:
        if event in blocked:
            raise PermissionError(f"{event} is not allowed while grading")
        if event == "object.__getattr__" and not inside[0] and args[1] in code_attributes:
            inside[0] = True
            try:
                code = _getattr(args[0], args[1], None)
            finally:
                inside[0] = False
            if _id(code) in test_codes:
                raise PermissionError("the tests' code cannot be read while grading")

    def remember(code) -> None:
        keep.append(code)
        test_codes.add(_id(code))
        for const in code.co_consts:
            if _type(const) is _type(code):
                remember(const)

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
            text = "error"
        return text[:2000] if _type(text) is _str else "error"

    def compile_test(source: str):
        if "%" in source or "!" in source:
            source = transform(source)  # magics in a test: IPython's syntax, then compile
        tree = _compile(source, "<test>", "exec", _only_ast)
        last = None
        if tree.body and _isinstance(tree.body[-1], _expr_type):
            # The trailing expression, as __repr(<expression>): its text is the partial
            # credit (nbgrader reads the cell's text/plain output).
            value = tree.body.pop().value
            last = _fix_locations(_expression(_ast_call(
                _ast_name("__aimd_repr__", _ast_load()), [value], [])))
        body = _compile(tree, "<test>", "exec")
        remember(body)
        if last is not None:
            last = _compile(last, "<test>", "eval")
            remember(last)
        return body, last

    def wait(started, done, failed, timeout: float, baseline: int) -> str:
        """"ok" when the chain ran to its end, "error" when it stopped, else "timeout".

        A thread counts in ``_thread._count()`` only once it runs (``started``); after that,
        the count falling back to ``baseline`` means the chain stopped (an exception, or a
        SystemExit, which Python ends the thread on without calling any hook).
        """
        deadline = _monotonic() + timeout
        if not started.acquire(timeout=timeout):
            return "timeout"
        while True:
            if done.acquire(timeout=0.002):
                return "ok"
            if failed.acquire(blocking=False) or _count() <= baseline:
                # Released just before the thread ended?
                return "ok" if done.acquire(blocking=False) else "error"
            if _monotonic() > deadline:
                return "timeout"

    def run_test(code: str, timeout: float) -> list:
        errors: list = []
        try:
            body, last = compile_test(code)
        except BaseException as error:  # noqa: BLE001 - a test that does not compile fails
            return [("status", "error"), ("error", describe(error)), ("value", None),
                    ("stderr", False), ("stdout", "")]
        stderr = Capture()
        results = _deque()
        started, done, failed = _allocate_lock(), _allocate_lock(), _allocate_lock()
        started.acquire()
        done.acquire()
        failed.acquire()

        def on_error(unraisable) -> None:
            errors.append(describe(unraisable.exc_value))
            failed.release()

        chain = [started.release, _partial(_exec, body, namespace)]
        if last is not None:
            chain.append(_partial(_eval, last, namespace, {"__aimd_repr__": _repr}))
        chain.append(done.release)
        saved = _sys.stdout, _sys.stderr, _sys.unraisablehook
        _sys.stdout, _sys.stderr, _sys.unraisablehook = Capture(), stderr, on_error
        baseline = _count()
        _start_thread(results.extend, (map(_call, chain),))
        outcome = wait(started, done, failed, timeout, baseline)
        _sys.stdout, _sys.stderr, _sys.unraisablehook = saved
        if outcome == "timeout":
            return [("status", "timeout")]
        value = None
        if outcome == "ok" and last is not None and _len(results) >= 3:
            text = results[2]
            value = text[:200] if _type(text) is _str else None
        error = None
        if outcome != "ok":
            error = errors[0] if errors and _type(errors[0]) is _str else "error"
        return [("status", outcome), ("error", error), ("value", value),
                ("stderr", stderr.written is True), ("stdout", "")]

    def run_cell_step(code: str, timeout: float) -> list:
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

        saved = _sys.stdout, _sys.stderr
        _sys.stdout, _sys.stderr = stdout, stderr
        _start_thread(learner_cell, ())
        finished = done.acquire(timeout=timeout)
        _sys.stdout, _sys.stderr = saved
        if not finished:
            return [("status", "timeout")]
        error = _dict_get(box, "error", "the cell ended without a result")
        if error is not None and _type(error) is not _str:
            error = "error"
        return [
            ("status", "error" if error is not None else "ok"),
            ("error", error),
            ("value", None),
            ("stderr", stderr.written is True),
            ("stdout", stdout.value()[:cap]),
        ]

    reply([("op", "ready")])
    line = proto_in.readline()
    proto_in.close()  # nothing after the plan: learner code cannot read commands
    plan = _decode(line) if line else {"op": "stop"}
    if plan.get("op") != "plan":
        _os_exit(0)
    sys.addaudithook(audit)
    for step in plan["steps"]:
        runner = run_test if step["kind"] == "test" else run_cell_step
        fields = runner(step["code"], step.get("timeout", 30))
        reply([("nonce", step["nonce"]), *fields])
        if fields[0][1] == "timeout":
            break  # a cell's thread cannot be stopped: the backend ends the sandbox
    _os_close(proto_out)
    _os_exit(0)


if __name__ == "__main__":
    main()
