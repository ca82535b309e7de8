"""The judge: runs every test cell of a notebook, and the source's locked cells, in a sandbox
of its own where no learner code ever runs (docs/grading-engine.md, "The judge").

Started by a sandbox backend as ``python -I judge.py PRELOAD`` with the grader's commands on
stdin/stdout (JSON lines) and the learner process on descriptor 3 (``wire`` frames). The names a
test uses come, in this order, from what the test and the source's locked cells defined here,
from the built-ins, and from the learner process, where the learner's answers live:

- data (numbers, strings, containers, numpy arrays, pandas objects, dates) crosses as a copy
  (``wire``) and is compared here, by this process's own code;
- anything else stays in the learner process; here it is a ``Proxy``: calling it, reading or
  setting its attributes, indexing and iterating are forwarded, but a comparison, truth test,
  ``len``, ``hash`` or ``in`` of a proxy is refused or computed here on values, and its text is
  made here, so a learner object that claims to equal anything passes nothing;
- a name the reference solution defines (``answer_names``) is looked up in the learner
  process first, even where a locked cell defined it here too, unless a test set it.

Hidden tests, hidden data files and expected values exist only in this process; the learner
process sees only the names and arguments the tests send it. Every verdict is made here and
reported to the grader, which trusts nothing else.
"""

import ast
import base64
import builtins
import io
import json
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
import wire  # noqa: E402 - beside this file

LINK_FD = int(sys.argv[2]) if len(sys.argv) > 2 else 3  # the socket to the learner
REFUSED = ("{what} of an object that stays in the learner's process is refused while "
           "grading: compare values instead (for example list(x), float(x) or np.asarray(x))")
MISSING = object()


class LearnerGone(RuntimeError):
    """The learner process ended or broke the protocol; nothing more can be asked of it."""


class Sink(io.TextIOBase):
    def __init__(self) -> None:
        self.written = False

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        if text:
            self.written = True
        return len(text)


def _refuse(what: str):
    def refused(self, *args):
        raise TypeError(REFUSED.format(what=what))

    return refused


def _forward(name: str):
    def forwarded(self, *args):
        return _judge.method(self, name, args)

    forwarded.__name__ = name
    return forwarded


class Proxy:
    """An object of the learner process, by number."""

    __slots__ = ("_aimd_n", "_aimd_info", "__weakref__")

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # protocols are never asked of learner objects
        return _judge.request({"op": "getattr", "ref": self._aimd_n, "name": name})

    def __setattr__(self, name, value):
        if name in Proxy.__slots__:
            object.__setattr__(self, name, value)
        else:
            _judge.request({"op": "setattr", "ref": self._aimd_n, "name": name}, value=value)

    def __call__(self, *args, **kwargs):
        return _judge.call(self, args, kwargs)

    def __iter__(self):
        iterator = _judge.method(self, "__iter__", ())
        return _RemoteIterator(iterator) if isinstance(iterator, Proxy) else iter(iterator)

    def __contains__(self, item):
        return any(element is item or element == item for element in self)

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        value = _judge.request({"op": "array", "ref": self._aimd_n})
        if not isinstance(value, np.ndarray):
            raise TypeError(REFUSED.format(what="Converting to an array"))
        return value.astype(dtype) if dtype is not None else value

    def __repr__(self):
        return f"<learner's {self._aimd_info.get('name', 'object')} object>"

    __str__ = __repr__

    def __format__(self, spec):
        return format(repr(self), spec)

    def __instancecheck__(self, instance):
        local = _judge.local_class(self)
        if local is not None:
            return isinstance(instance, local)
        return isinstance(instance, Proxy) and self._aimd_n in instance._aimd_info.get("mro", [])

    def __subclasscheck__(self, subclass):
        local = _judge.local_class(self)
        if local is not None and isinstance(subclass, type):
            return issubclass(subclass, local)
        raise TypeError(REFUSED.format(what="issubclass"))

    @property
    def __class__(self):
        return _judge.class_of(self)

    __bool__ = _refuse("A truth test")
    __len__ = _refuse("len()")
    __hash__ = _refuse("hash()")
    __eq__ = _refuse("Comparing (==)")
    __ne__ = _refuse("Comparing (!=)")
    __lt__ = _refuse("Comparing (<)")
    __le__ = _refuse("Comparing (<=)")
    __gt__ = _refuse("Comparing (>)")
    __ge__ = _refuse("Comparing (>=)")
    __index__ = _refuse("Using as an index")
    __int__ = _refuse("int()")
    __float__ = _refuse("float()")
    __complex__ = _refuse("complex()")


for _name in ("__getitem__", "__setitem__", "__delitem__", "__next__", "__enter__",
              "__exit__", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__",
              "__pos__", "__abs__", "__and__", "__rand__", "__or__", "__ror__", "__xor__",
              "__rxor__", "__invert__", "__dir__"):
    setattr(Proxy, _name, _forward(_name))


class _RemoteIterator:
    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    def __iter__(self):
        return self

    def __next__(self):
        return _judge.method(self.proxy, "__next__", ())


class Namespace(dict):
    """The tests' globals (see the module docstring for the order of look-ups)."""

    def __init__(self, judge) -> None:
        super().__init__()
        self.judge = judge
        self.answer_names: frozenset = frozenset()
        self.set_by_tests: set = set()
        self.running_test = False

    def __getitem__(self, name):
        if name in self.answer_names and name not in self.set_by_tests:
            found = self.judge.lookup(name)
            if found is not MISSING:
                return found
        try:
            return dict.__getitem__(self, name)
        except KeyError:
            pass
        if name in builtins.__dict__:
            raise KeyError(name)
        found = self.judge.lookup(name)
        if found is MISSING:
            raise KeyError(name)
        return found

    def __setitem__(self, name, value):
        if self.running_test:
            self.set_by_tests.add(name)
        dict.__setitem__(self, name, value)

    def __delitem__(self, name):
        if self.running_test:
            self.set_by_tests.add(name)
        dict.__delitem__(self, name)


def _mutable(value) -> bool:
    kind = type(value)
    if kind in (list, dict, set):
        return True
    module = getattr(kind, "__module__", "") or ""
    return module.startswith(("numpy", "pandas.")) and kind.__name__ in (
        "ndarray", "DataFrame", "Series")


def _update_in_place(target, new) -> None:
    """Give ``target`` (the judge's object, passed to a learner function that changed it)
    the content the learner process reports after the call."""
    kind = type(target)
    if kind is list:
        target[:] = new
    elif kind in (dict, set):
        target.clear()
        target.update(new)
    elif kind.__name__ == "ndarray":
        if getattr(new, "shape", None) == target.shape:
            target[...] = new
    elif type(new) is kind:  # pandas: swap in the changed data (as an inplace=True method)
        target._update_inplace(new)


class Judge:
    def __init__(self) -> None:
        self.namespace = Namespace(self)
        self.namespace["__builtins__"] = builtins
        self.namespace["__name__"] = "__main__"
        self.proxies: dict[int, Proxy] = {}
        self.local_classes: dict[int, object] = {}
        self.codec = wire.Codec(reference=self.reference, resolve=self.resolve,
                                special=self.special, trusting=False)
        self.gone = False
        self.touched = False  # the learner process was asked something during this step
        self.stderr = False

    # -- values --

    def reference(self, value):
        if isinstance(value, Proxy):
            return {"t": "ref", "id": value._aimd_n}
        raise wire.Unencodable(
            f"a {type(value).__name__} made by the test cannot be passed to the learner's "
            "code (only data: numbers, strings, lists, dicts, numpy arrays, pandas objects)")

    def special(self, value, codec, blobs, depth):
        """Unfitted scikit-learn estimators made by a test cross as their class and
        parameters (as ``sklearn.base.clone`` rebuilds them), never as pickles."""
        if isinstance(value, Proxy) or not hasattr(type(value), "get_params"):
            return None
        named = wire.importable_name(type(value))
        if named is None or not named[0].startswith("sklearn."):
            return None
        params = codec._encode(value.get_params(deep=False), blobs, depth + 1)
        return {"t": "estimator", "module": named[0], "qualname": named[1], "params": params}

    def resolve(self, item):
        number = int(item["id"])
        proxy = self.proxies.get(number)
        if proxy is None:
            proxy = object.__new__(Proxy)
            object.__setattr__(proxy, "_aimd_n", number)
            object.__setattr__(proxy, "_aimd_info", {
                "name": str(item.get("name") or "object")[:200], "cls": item.get("cls"),
                "mro": [int(n) for n in item.get("mro") or [] if type(n) is int],
                "is_class": bool(item.get("is_class")),
            })
            self.proxies[number] = proxy
        return proxy

    def class_of(self, proxy: Proxy):
        """What ``proxy.__class__`` says: the library's class (imported here) when the
        learner's object is an instance of one, else a stand-in named like the learner's."""
        info = proxy._aimd_info
        if info.get("is_class"):
            return type
        cls = info.get("cls")
        if cls:
            try:
                found = wire.import_object(cls[0], cls[1])
                if isinstance(found, type):
                    return found
            except Exception:  # noqa: BLE001, S110 - not importable here
                pass
        return Proxy

    def local_class(self, proxy: Proxy):
        """Learner classes stay in the learner process: None (see ``__instancecheck__``)."""
        if not proxy._aimd_info.get("is_class"):
            raise TypeError("isinstance() arg 2 must be a type")
        return None

    # -- requests --

    def request(self, header: dict, *, value=MISSING, values=()):
        blobs: list[bytes] = []
        if value is not MISSING:
            header["value"] = self.codec._encode(value, blobs, 0)
        if values:
            header["args"] = [self.codec._encode(v, blobs, 0) for v in values]
        elif header.get("op") == "method":
            header["args"] = []
        return self._send(header, blobs)

    def learner_error(self, error) -> BaseException:
        """The learner code's exception, as an exception of this process: the built-in
        class it derives from (a test that expects a ValueError catches one)."""
        error = error if isinstance(error, dict) else {}
        base = getattr(builtins, str(error.get("builtin")), Exception)
        if not (isinstance(base, type) and issubclass(base, BaseException)):
            base = Exception
        if base in (SystemExit, KeyboardInterrupt, GeneratorExit):
            base = RuntimeError
        name = str(error.get("type") or base.__name__)[:100]
        message = str(error.get("message") or "")[:2000]
        if name == base.__name__:
            try:
                return base(message)
            except Exception:  # noqa: BLE001 - e.g. UnicodeError's own signature
                return Exception(f"{name}: {message}")
        kind = type(name, (base,), {"__module__": "learner"})
        try:
            return kind(message)
        except Exception:  # noqa: BLE001
            return Exception(f"{name}: {message}")

    def lookup(self, name: str):
        return self.request({"op": "lookup", "name": name})

    def call(self, proxy: Proxy, args: tuple, kwargs: dict):
        watch = [i for i, a in enumerate(args) if _mutable(a)]
        blobs: list[bytes] = []
        header = {"op": "call", "ref": proxy._aimd_n, "watch": watch,
                  "names": list(kwargs)}
        header["kwargs"] = [self.codec._encode(v, blobs, 0) for v in kwargs.values()]
        header["args"] = [self.codec._encode(v, blobs, 0) for v in args]
        result = self._send(header, blobs)
        changed, reply_blobs = self.changed
        for entry in changed:
            try:
                index = int(entry[0])
                _update_in_place(args[index], self.codec.decode(entry[1], reply_blobs))
            except Exception:  # noqa: BLE001, S112 - an argument we cannot update stays
                continue
        return result

    def _send(self, header: dict, blobs: list[bytes]):
        if self.gone:
            raise LearnerGone("the learner's Python process has ended")
        self.touched = True
        try:
            wire.send(LINK_FD, header, blobs)
            reply, reply_blobs = wire.receive(LINK_FD)
            if reply.get("stderr") is True:
                self.stderr = True
            if reply.get("ok") is not True:
                raise self.learner_error(reply.get("error"))
            if reply.get("missing") is True:
                return MISSING
            result = self.codec.decode(reply.get("value"), reply_blobs)
        except wire.LinkBroken as exc:
            self.gone = True
            raise LearnerGone(f"the learner's Python process stopped answering ({exc})") \
                from None
        self.changed = (reply.get("changed") or [], reply_blobs)
        return result

    def method(self, proxy: Proxy, name: str, args: tuple):
        try:
            return self.request({"op": "method", "ref": proxy._aimd_n, "name": name},
                                values=args)
        except StopIteration:
            raise
        except Exception as exc:
            if name == "__next__" and type(exc).__name__ == "StopIteration":
                raise StopIteration from None
            raise

    # -- steps --

    def run(self, code: str, *, test: bool) -> dict:
        stdout, stderr = Sink(), Sink()
        saved = sys.stdout, sys.stderr
        self.touched, self.stderr = False, False
        value, error = None, None
        try:
            body, last = self.compile(code)
            sys.stdout, sys.stderr = stdout, stderr
            self.namespace.running_test = test
            exec(body, self.namespace)  # noqa: S102 - the instructor's test, in the judge
            if last is not None:
                result = eval(last, self.namespace)  # noqa: S307 - the same
                value = repr(result)[:200]
        except BaseException as exc:  # noqa: BLE001 - a failed test, whatever it raised
            error = describe(exc)
        finally:
            sys.stdout, sys.stderr = saved
            self.namespace.running_test = False
        return {"op": "done", "status": "error" if error else "ok", "error": error,
                "value": value, "stderr": stderr.written or self.stderr,
                "touched": self.touched, "learner_gone": self.gone}

    def compile(self, source: str):
        if "%" in source or "!" in source:
            from IPython.core.inputtransformer2 import TransformerManager

            source = TransformerManager().transform_cell(source)
        tree = ast.parse(source, "<test>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = compile(ast.Expression(tree.body.pop().value), "<test>", "eval")
        return compile(tree, "<test>", "exec"), last


def describe(error: BaseException) -> str:
    try:
        text = f"{type(error).__name__}: {error}"
    except BaseException:  # noqa: BLE001
        text = type(error).__name__
    return text[:2000]


def _helpers(judge: Judge) -> types.ModuleType:
    """``aimd_grading``, as tests see it in the judge (the same names as the module the
    site installs for instructors' own kernels, which run everything in one process)."""
    module = types.ModuleType("aimd_grading")

    def in_learner(expression: str):
        """Evaluate ``expression`` in the learner's process (e.g. to load a model the
        learner saved with joblib): data comes back as a value, anything else as a proxy."""
        return judge.request({"op": "eval", "code": str(expression)})

    def learner_file(path: str, limit: int = 64 * 1024 * 1024) -> bytes:
        """The bytes of a file the learner's code wrote (in its working directory)."""
        return judge.request({"op": "file", "path": str(path), "limit": int(limit)})

    module.in_learner, module.learner_file = in_learner, learner_file
    module.IN_JUDGE = True
    return module


_judge: Judge


def main() -> None:
    global _judge
    control_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    control_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)

    def say(message: dict) -> None:
        data = (json.dumps(message, ensure_ascii=True) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(control_out, view):]

    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in filter(None, (sys.argv[1] if len(sys.argv) > 1 else "").split(",")):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001, S112 - a missing library only costs speed
            continue
    import IPython.core.inputtransformer2  # noqa: F401 - magics in tests, loaded ahead
    from IPython.core.interactiveshell import InteractiveShell

    # get_ipython() for magics in tests and locked cells; it never runs a cell here.
    InteractiveShell.instance(colors="NoColor", history_length=0).history_manager.enabled = \
        False
    _judge = Judge()
    sys.modules["aimd_grading"] = _helpers(_judge)
    say({"op": "ready"})

    start = json.loads(control_in.readline() or "{}")
    if start.get("op") != "start":
        os._exit(0)
    try:
        import confine

        confine.copy_inbox()
        confine.confine(seccomp=base64.b64decode(start["seccomp"]), threads=start["threads"])
    except Exception as error:  # noqa: BLE001
        say({"op": "failed", "error": describe(error)})
        os._exit(1)
    _judge.namespace.answer_names = frozenset(start.get("answer_names") or ())
    say({"op": "started"})
    while True:
        line = control_in.readline()
        if not line:
            os._exit(0)
        message = json.loads(line)
        if message.get("op") in ("test", "locked"):
            say(_judge.run(message["code"], test=message["op"] == "test"))
        else:
            os._exit(0)


if __name__ == "__main__":
    main()
