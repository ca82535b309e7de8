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
import builtins
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
# The local backend's data files, read-only (its work directory is a tmpfs of its own).
INBOX = "/run/aimd-inbox"


def copy_inbox() -> None:
    """Copy the data files the local backend handed in into the working directory."""
    import shutil

    if not os.path.isdir(INBOX):
        return  # Docker and Kubernetes put the files in the working directory themselves
    for name in os.listdir(INBOX):
        source = os.path.join(INBOX, name)
        if os.path.isdir(source):
            shutil.copytree(source, name, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, name)


def main() -> None:  # noqa: C901, PLR0915 - one closure scope on purpose (module docstring)
    import _thread

    # --- Everything the verdict depends on, captured before learner code exists. ----------
    _compile, _exec, _eval, _repr, _type = compile, exec, eval, repr, type
    _str, _isinstance, _len, _id, _getattr = str, isinstance, len, id, getattr
    _translate, _encode, _str_join = str.translate, str.encode, str.join
    _dict_get = dict.get
    _sys, cap, blocked = sys, OUTPUT_CAP, BLOCKED_EVENTS
    # sys's own dict: learner code may give the sys module a new __class__, but print() and
    # friends read this dict, and so does the runner (never an attribute lookup on sys).
    _sysdict = sys.__dict__
    _text_base, _list_append = io.TextIOBase, list.append
    _builtins = dict(builtins.__dict__)  # what tests run with, whatever learner code patches
    code_attributes = CODE_ATTRIBUTES
    _decode = json.JSONDecoder().decode
    _os_write, _os_exit, _os_close = os.write, os._exit, os.close
    _start_thread, _allocate_lock, _count = (_thread.start_new_thread, _thread.allocate_lock,
                                             _thread._count)
    _get_ident = _thread.get_ident
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
    inside: set = set()  # threads inside the hook's own lookup (which re-enters the hook)

    # C functions that start processes or reach other memory; refused to ctypes lookups.
    forbidden_calls = frozenset(
        prefix + name for prefix in ("", "_", "__", "__libc_")
        for name in ("fork", "Fork", "vfork", "clone", "clone3", "execve", "execv", "execvp",
                     "execvpe", "execl", "execlp", "execle", "fexecve", "posix_spawn",
                     "posix_spawnp", "system", "popen", "syscall", "kill", "tgkill", "ptrace",
                     "process_vm_readv", "process_vm_writev", "unshare", "setns"))

    def audit(event: str, args: tuple) -> None:
        if event in blocked:
            raise PermissionError(f"{event} is not allowed while grading")
        if event == "ctypes.dlsym" and args[1] in forbidden_calls:
            raise PermissionError("starting processes is not allowed while grading")
        if event == "import" and args[0] == "_posixsubprocess":
            raise PermissionError("starting processes is not allowed while grading")
        if event == "object.__getattr__" and args[1] in code_attributes:
            me = _get_ident()
            if me in inside:
                return
            inside.add(me)
            try:
                code = _getattr(args[0], args[1], None)
            finally:
                inside.discard(me)
            if _id(code) in test_codes:
                raise PermissionError("the tests' code cannot be read while grading")

    def sink():
        """A fresh stand-in for sys.stdout/stderr: a new class each time (patching an
        earlier one changes nothing), whose text and "written" flag live in lists that the
        runner reads with captured functions only."""
        parts: list = []
        state = [False, 0]  # written, size

        def write(self, text) -> int:  # runs in the learner's thread
            text = _str(text)
            if text:
                state[0] = True
            if state[1] < cap:
                piece = text[: cap - state[1]]
                _list_append(parts, piece)
                state[1] += _len(piece)
            return _len(text)

        cls = _type("Output", (_text_base,), {"write": write, "writable": lambda self: True})
        return cls(), parts, state

    def text_of(parts: list) -> str:
        try:
            return _str_join("", [p for p in parts if _type(p) is _str])[:cap]
        except Exception:  # noqa: BLE001 - whatever learner code put there
            return ""

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

    def compile_test(source: str):  # before any learner code runs (see main's end)
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

    def settle(before: int) -> None:
        """Let a finished step's thread end before the next step starts: it still counts in
        ``_count()`` for a moment after it signalled its end, and a test whose baseline
        included it would take that end for its own thread stopping (a passing test graded
        as failed, on a busy machine). Bounded, as learner code may leave threads running."""
        pause = _allocate_lock()
        pause.acquire()
        deadline = _monotonic() + 0.5
        while _count() > before and _monotonic() < deadline:
            pause.acquire(timeout=0.001)

    def run_test(prepared, timeout: float) -> list:
        errors: list = []
        if _type(prepared) is _str:  # the test did not compile: its error message
            return [("status", "error"), ("error", prepared), ("value", None),
                    ("stderr", False), ("stdout", "")]
        body, last = prepared
        stdout, _ignored, _quiet = sink()
        stderr, _err_parts, err_state = sink()
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
        saved = [_dict_get(_sysdict, k) for k in ("stdout", "stderr", "unraisablehook")]
        _sysdict["stdout"], _sysdict["stderr"], _sysdict["unraisablehook"] = (
            stdout, stderr, on_error)
        learner_builtins = _dict_get(namespace, "__builtins__")
        namespace["__builtins__"] = _builtins  # the test's own names come from a snapshot
        baseline = _count()
        _start_thread(results.extend, (map(_call, chain),))
        outcome = wait(started, done, failed, timeout, baseline)
        namespace["__builtins__"] = learner_builtins
        _sysdict["stdout"], _sysdict["stderr"], _sysdict["unraisablehook"] = saved
        if outcome == "timeout":
            return [("status", "timeout")]
        settle(baseline)
        value = None
        if outcome == "ok" and last is not None and _len(results) >= 3:
            text = results[2]
            value = text[:200] if _type(text) is _str else None
        error = None
        if outcome != "ok":
            error = errors[0] if errors and _type(errors[0]) is _str else "error"
        return [("status", outcome), ("error", error), ("value", value),
                ("stderr", err_state[0] is True), ("stdout", "")]

    def run_cell_step(code: str, timeout: float) -> list:
        stdout, out_parts, _out_state = sink()
        stderr, _err_parts, err_state = sink()
        box = ["the cell ended without a result"]  # the error, or None (a list: no __eq__)
        done = _allocate_lock()
        done.acquire()

        def learner_cell() -> None:
            try:
                result = run_cell(code, store_history=False, silent=False)
                error = result.error_before_exec or result.error_in_exec
                box[0] = describe(error) if error is not None else None
            except BaseException as error:  # noqa: BLE001
                box[0] = describe(error)
            finally:
                done.release()

        saved = [_dict_get(_sysdict, k) for k in ("stdout", "stderr")]
        _sysdict["stdout"], _sysdict["stderr"] = stdout, stderr
        before = _count()
        _start_thread(learner_cell, ())
        finished = done.acquire(timeout=timeout)
        _sysdict["stdout"], _sysdict["stderr"] = saved
        if not finished:
            return [("status", "timeout")]
        settle(before)
        error = box[0]
        if error is not None and _type(error) is not _str:
            error = "error"
        return [
            ("status", "error" if error is not None else "ok"),
            ("error", error),
            ("value", None),
            ("stderr", err_state[0] is True),
            ("stdout", text_of(out_parts)),
        ]

    reply([("op", "ready")])
    line = proto_in.readline()
    proto_in.close()  # nothing after the plan: learner code cannot read commands
    plan = _decode(line) if line else {"op": "stop"}
    if plan.get("op") != "plan":
        _os_exit(0)
    copy_inbox()  # before any learner code; the grader checked that the files fit
    # Every test is transformed and compiled now, before any learner code exists: IPython's
    # transformer, which learner code could patch, never runs after this point.
    steps = _deque()
    for step in plan["steps"]:
        if step["kind"] == "test":
            try:
                work = compile_test(step["code"])
            except BaseException as error:  # noqa: BLE001 - a test that does not compile
                work = describe(error)
        else:
            work = step["code"]
        steps.append((step["kind"], work, step["nonce"], step.get("timeout", 30)))
    del plan, line
    # Process creation that raises no audit event of its own: _posixsubprocess.fork_exec
    # (replaced, and its re-import refused) and libc's fork/exec/spawn/syscall through ctypes
    # (looking them up is refused: ctypes raises no event when a function is called).
    import _posixsubprocess

    def _refused(*args, **kwargs):
        raise PermissionError("starting processes is not allowed while grading")

    _posixsubprocess.fork_exec = _refused
    sys.addaudithook(audit)
    while steps:
        kind, work, nonce, timeout = steps.popleft()
        fields = (run_test if kind == "test" else run_cell_step)(work, timeout)
        reply([("nonce", nonce), *fields])
        if fields[0][1] == "timeout":
            break  # a cell's thread cannot be stopped: the backend ends the sandbox
    _os_close(proto_out)
    _os_exit(0)


if __name__ == "__main__":
    main()
