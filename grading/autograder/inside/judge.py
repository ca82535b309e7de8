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
import builtins
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
import runtime  # noqa: E402 - beside this file
import wire  # noqa: E402

PRELOAD, LINK_FD = runtime.arguments()
REFUSED = ("{what} of an object that stays in the learner's process is refused while "
           "grading: compare values instead (for example list(x) or np.asarray(x)), or ask "
           "the object explicitly: aimd_grading.learner_call(x, '__str__')")
# Special names a test may read from a learner object (explicitly, or as Python's vars() and
# sklearn's checks do); every other one is refused, so that no library in the judge lets a
# learner object steer it through its protocols (__array_ufunc__, __array_interface__...).
DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__dict__", "__module__",
                     "__sklearn_tags__", "__sklearn_is_fitted__"})
MISSING = object()
SYNC_BYTES = 64 * 1024 * 1024  # of learner-written files copied to the judge per test
# A learner object of a class from these would have crossed as a value: a proxy claiming
# one (e.g. str, to have isinstance(x, str) hold) is lying, and is not believed.
DATA_PACKAGES = frozenset({"builtins", "numpy", "pandas", "datetime", "decimal", "fractions",
                           "collections"})


class LearnerGone(RuntimeError):
    """The learner process ended or broke the protocol; nothing more can be asked of it."""


class Refused(TypeError):
    """The judge's own refusal (reported as such: a learner's exception cannot pass for one,
    whatever its message). Shown as the TypeError it is."""


Refused.__name__ = Refused.__qualname__ = "TypeError"


def _refuse(what: str):
    def refused(self, *args):
        raise Refused(REFUSED.format(what=what))

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
        if name.startswith("__") and name.endswith("__") and name not in DUNDERS:
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
            raise Refused(REFUSED.format(what="Converting to an array"))
        return value.astype(dtype) if dtype is not None else value

    __repr__ = _refuse("repr()")
    __str__ = _refuse("str()")
    __format__ = _refuse("Formatting")

    def __instancecheck__(self, instance):
        # A learner's class: its own objects say which of its classes they derive from.
        if not self._aimd_info.get("is_class"):
            raise TypeError("isinstance() arg 2 must be a type")
        return isinstance(instance, Proxy) and self._aimd_n in instance._aimd_info["mro"]

    def __subclasscheck__(self, subclass):
        if not (self._aimd_info.get("is_class") and isinstance(subclass, Proxy)
                and subclass._aimd_info.get("is_class")):
            raise Refused(REFUSED.format(what="issubclass()"))
        return self._aimd_n in subclass._aimd_info["mro"]

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


def _between_learner_objects(name: str):
    """A binary operator, forwarded only when the other operand is a learner object too: with
    a value of the judge's (maybe an expected value) the learner would see it and choose the
    result, e.g. make ``abs(mean(xs) - 30.0) < 1e-9`` hold."""
    def operator(self, other):
        if not isinstance(other, Proxy):
            raise Refused(REFUSED.format(what=f"Arithmetic ({name}) with a value of the "
                                                "test's"))
        return _judge.method(self, name, (other,))

    operator.__name__ = name
    return operator


for _name in ("__getitem__", "__setitem__", "__delitem__", "__next__", "__enter__",
              "__exit__", "__neg__", "__pos__", "__abs__", "__invert__", "__dir__"):
    setattr(Proxy, _name, _forward(_name))
for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
              "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__and__",
              "__rand__", "__or__", "__ror__", "__xor__", "__rxor__"):
    setattr(Proxy, _name, _between_learner_objects(_name))


class _RemoteIterator:
    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy

    def __iter__(self):
        return self

    def __next__(self):
        return _judge.method(self.proxy, "__next__", ())


class LearnerExceptionType(type):
    """The class of an exception class the learner defined, made in the judge: it derives
    from the built-in the learner's does (``except ValueError`` catches it), and it matches
    the learner's other exception classes as the learner's MRO says (``except MyError``)."""

    def __instancecheck__(cls, instance):
        return cls.__subclasscheck__(type(instance))

    def __subclasscheck__(cls, subclass):
        if type.__subclasscheck__(cls, subclass):
            return True
        return cls._aimd_n in getattr(subclass, "_aimd_mro", ())


# What IPython's shell puts in the namespace it runs on (besides ``__name__``, ``__builtins__``,
# ``_``, ``__`` and ``___``, set at once): the shell is started when a test first looks one of
# them up (``get_ipython``, which every magic becomes, ``open``, ``In``...), so that they are
# always the judge's own and never looked up in the learner's process, while a notebook whose
# tests use none of them (most) does not pay for importing IPython (two thirds of the judge's
# start-up).
SHELL_NAMES = frozenset({"get_ipython", "open", "exit", "quit", "In", "Out", "_ih", "_oh",
                         "_dh", "__builtin__"})


class Namespace(dict):
    """The tests' globals (see the module docstring for the order of look-ups)."""

    def __init__(self, judge) -> None:
        super().__init__()
        self.judge = judge
        self.answer_names: frozenset = frozenset()
        self.instructor_names: frozenset = frozenset()
        self.set_by_tests: set = set()
        self.set_by_locked: set = set()
        self.running = None  # "test" or "locked" while one runs

    def __getitem__(self, name):
        if name in SHELL_NAMES and self.judge.shell is None:
            self.judge.shell_start()  # the judge's own, before any look-up elsewhere
        if name in self.answer_names and name not in self.set_by_tests:
            local = dict.get(self, name, MISSING)
            if not isinstance(local, types.ModuleType):  # a module stays the judge's
                found = self.judge.lookup(name)
                if found is not MISSING:
                    return found
        try:
            return dict.__getitem__(self, name)
        except KeyError:
            pass
        if name in builtins.__dict__ or name in self.instructor_names:
            raise KeyError(name)  # the built-in, or a NameError: never the learner's
        found = self.judge.lookup(name)
        if found is MISSING:
            raise KeyError(name)
        return found

    def __setitem__(self, name, value):
        self._record(name)
        dict.__setitem__(self, name, value)

    def __delitem__(self, name):
        self._record(name)
        dict.__delitem__(self, name)

    def _record(self, name) -> None:
        if self.running == "test":
            self.set_by_tests.add(name)
        elif self.running == "locked":
            self.set_by_locked.add(name)

    def instructors_object(self, value) -> bool:
        """Whether ``value`` is, or is part of, or shares memory with, what a locked cell
        bound (the instructor's data, which learner code must not change in the judge)."""
        roots = [dict.get(self, name) for name in self.set_by_locked]
        seen: set[int] = set()
        stack = [(root, 0) for root in roots]
        while stack:
            item, depth = stack.pop()
            if item is value:
                return True
            if id(item) in seen or depth > 20 or len(seen) > 100_000:
                continue
            seen.add(id(item))
            if _shares_memory(item, value):
                return True
            if type(item) in (list, tuple, set, frozenset):
                stack.extend((child, depth + 1) for child in item)
            elif type(item) is dict:
                stack.extend((child, depth + 1) for child in item.values())
        return False


def _shares_memory(a, b) -> bool:
    """Whether two numpy or pandas objects see the same memory (a row is a view)."""
    try:
        import numpy as np
    except ImportError:
        return False

    def buffer(x):
        if isinstance(x, np.ndarray):
            return x
        to_numpy = getattr(x, "to_numpy", None) if type(x).__module__.startswith(
            "pandas") else None
        if to_numpy is not None:
            try:
                return to_numpy(copy=False)
            except Exception:  # noqa: BLE001 - mixed dtypes: no single buffer
                return None
        return None

    first, second = buffer(a), buffer(b)
    if first is None or second is None:
        return False
    try:
        return bool(np.shares_memory(first, second))
    except Exception:  # noqa: BLE001 - object arrays and the like: be safe
        return True


def _mutable(value) -> bool:
    kind = type(value)
    if kind in (list, dict, set):
        return True
    package = str(getattr(kind, "__module__", "")).split(".")[0]
    return package in ("numpy", "pandas") and kind.__name__ in ("ndarray", "DataFrame",
                                                                 "Series")


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
        for name in ("_", "__", "___"):  # as IPython's shell sets them
            self.namespace[name] = ""
        self.shell = None  # IPython's shell on the namespace, started when first needed
        self.proxies: dict[int, Proxy] = {}
        self.exception_classes: dict[int, type] = {}
        self.callbacks: list = []  # the test's functions handed to learner code, by number
        self.codec = wire.Codec(reference=self.reference, resolve=self.resolve,
                                special=self.special, trusting=False)
        # Files copied from the learner process: its size and time, and the copy's here.
        self.synced: dict[str, tuple[int, int, tuple[int, int, int]]] = {}
        # The learner process may have written files since the last copy: set by each step
        # (learner cells may have run before it) and each request of a test's.
        self.dirty = True
        self.syncing = False
        self.own_files: frozenset = frozenset()  # the judge's data files (set at start)
        self.gone = False
        self.touched = False  # the learner process was asked something during this step
        self.stderr = False  # learner code wrote to stderr during this step

    def shell_start(self) -> None:
        """IPython's shell on the tests' namespace, so that magics in tests (and
        ``get_ipython``) run in the judge. What it sets is the shell's, not a test's."""
        running, self.namespace.running = self.namespace.running, None
        try:
            self.shell = runtime.ipython_shell(user_ns=self.namespace)
        finally:
            self.namespace.running = running

    # -- values --

    def reference(self, value):
        if isinstance(value, Proxy):
            return {"t": "ref", "id": value._aimd_n}
        if callable(value) and not isinstance(value, type):
            self.callbacks.append(value)
            return {"t": "callback", "id": len(self.callbacks) - 1}
        raise wire.Unencodable(
            f"a {type(value).__name__} made by the test cannot be passed to the learner's "
            "code (only data: numbers, strings, lists, dicts, numpy arrays, pandas objects, "
            "unfitted scikit-learn estimators and functions)")

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
        if item.get("t") != "ref":
            raise wire.LinkBroken("the learner process sent something that is not a reference")
        number = int(item["id"])
        if item.get("exception") and item.get("is_class"):
            return self.exception_class(number, item)
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

    def exception_class(self, number: int, item: dict) -> type:
        """The judge's stand-in for the learner's exception class ``number``."""
        made = self.exception_classes.get(number)
        if made is None:
            base = type(wire.exception_from({"builtin": item.get("exception")}))
            if not issubclass(base, Exception):
                base = Exception
            name = str(item.get("name") or "LearnerError").rsplit(".", 1)[-1][:100]
            if not name.isidentifier():
                name = "LearnerError"
            made = LearnerExceptionType(name, (base,), {
                "__module__": "learner", "_aimd_n": number,
                "_aimd_mro": frozenset(int(n) for n in item.get("mro") or []
                                       if type(n) is int)})
            self.exception_classes[number] = made
        return made

    def class_of(self, proxy: Proxy):
        """What ``proxy.__class__`` says: the library's class (imported here) when the
        learner's object is an instance of one, ``type`` for a learner's class, else Proxy."""
        info = proxy._aimd_info
        if info.get("is_class"):
            return type
        cls = info.get("cls")
        if cls and str(cls[0]).split(".")[0] not in DATA_PACKAGES:
            try:
                found = wire.import_object(cls[0], cls[1])
                if isinstance(found, type):
                    return found
            except Exception:  # noqa: BLE001, S110 - not importable here
                pass
        return Proxy

    # -- requests --

    def request(self, header: dict, *, value=MISSING, args=(), quiet: bool = False):
        """Send one request to the learner process and return its decoded answer (MISSING
        for a name it does not have); learner code's exceptions are raised here. ``quiet``:
        the judge's own housekeeping, which tells the learner process nothing of a test."""
        blobs: list[bytes] = []
        if value is not MISSING:
            header["value"] = self.codec.encode(value, blobs)
        header.setdefault("args", [self.codec.encode(v, blobs) for v in args])
        reply, reply_blobs = self.exchange(header, blobs, quiet=quiet)
        answer = reply.get("value")
        if answer == {"t": "missing"}:
            return MISSING
        return self.codec.decode(answer, reply_blobs)

    def exchange(self, header: dict, blobs: list[bytes], *,
                 quiet: bool = False) -> tuple[dict, list[bytes]]:
        """The frame answering ``header``; the test's functions that learner code calls in
        the meantime run here (``callback``)."""
        if self.gone:
            raise LearnerGone("the learner's Python process has ended")
        self.touched = self.touched or not quiet
        self.dirty = self.dirty or not quiet  # learner code may have written files
        try:
            wire.send(LINK_FD, header, blobs)
            while True:
                reply, reply_blobs = wire.receive(LINK_FD)
                if reply.get("op") == "callback":
                    self.callback(reply, reply_blobs)
                    continue
                break
        except wire.LinkBroken as exc:
            self.gone = True
            raise LearnerGone(f"the learner's Python process stopped answering ({exc})") \
                from None
        if reply.get("stderr") is True:
            self.stderr = True
        if reply.get("ok") is not True:
            raise self.learner_error(reply.get("error"), reply_blobs)
        return reply, reply_blobs

    def learner_error(self, error, blobs: list[bytes]) -> BaseException:
        """The exception learner code raised, as one of the judge's: the stand-in of the
        learner's own exception class where it was one (``except MyError`` catches it), with
        its data attributes, else the built-in it derives from. Only the judge makes these
        classes: nothing the learner names is imported or called here."""
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or "")[:2000]
        cls = error.get("cls")
        if not (isinstance(cls, dict) and cls.get("t") == "ref" and cls.get("is_class")
                and cls.get("exception") and type(cls.get("id")) is int):
            return wire.exception_from(error)
        made = self.exception_class(cls["id"], cls)(message)
        try:
            attributes = self.codec.decode(error.get("attrs") or {"t": "dict", "k": [],
                                                                  "v": []}, blobs)
        except Exception:  # noqa: BLE001 - the exception without its attributes
            return made
        for name, value in attributes.items() if isinstance(attributes, dict) else ():
            if isinstance(name, str) and name.isidentifier() and not name.startswith("_") \
                    and not callable(getattr(type(made), name, None)):
                setattr(made, name, value)
        return made

    def callback(self, header: dict, blobs: list[bytes]) -> None:
        """Run the test's function ``header["id"]`` for learner code, with its arguments
        (decoded here as any learner value), and send the result back."""
        out: list[bytes] = []
        try:
            function = self.callbacks[int(header["id"])]
            args = [self.codec.decode(a, blobs) for a in header["args"]]
            kwargs = dict(zip(header["names"],
                              [self.codec.decode(v, blobs) for v in header["kwargs"]],
                              strict=True))
            reply = {"ok": True, "value": self.codec.encode(function(*args, **kwargs), out)}
        except (wire.LinkBroken, LearnerGone):
            raise
        except BaseException as error:  # noqa: BLE001 - the learner code sees it raised
            reply, out = {"ok": False, "error": wire.describe_error(error)}, []
        wire.send(LINK_FD, reply, out)

    def lookup(self, name: str):
        return self.request({"op": "lookup", "name": name})

    def call(self, proxy: Proxy, args: tuple, kwargs: dict):
        blobs: list[bytes] = []
        # Arguments learner code may change in place, as in nbgrader; never the data a
        # locked cell bound (the instructor's: the learner's changes stay in its process).
        watched = [i for i, a in enumerate(args)
                   if _mutable(a) and not self.namespace.instructors_object(a)]
        header = {"op": "call", "ref": proxy._aimd_n, "names": list(kwargs),
                  "watch": watched,
                  "kwargs": [self.codec.encode(v, blobs) for v in kwargs.values()],
                  "args": [self.codec.encode(v, blobs) for v in args]}
        reply, reply_blobs = self.exchange(header, blobs)
        answer = reply.get("value")
        if not isinstance(answer, dict) or answer.get("t") != "call":
            raise LearnerGone("the learner process answered a call with something else")
        changed = self.changed_arguments(answer.get("after"), watched)
        for index, after in changed.items():
            try:
                _update_in_place(args[index], self.codec.decode(after, reply_blobs))
            except Exception:  # noqa: BLE001, S112 - an argument we cannot update stays
                continue
        return self.codec.decode(answer.get("value"), reply_blobs)

    @staticmethod
    def changed_arguments(after, watched: list[int]) -> dict:
        """The arguments the learner process reports after a call, by index: only those the
        judge asked about (``watch``), each once. The learner's side decides nothing here: a
        reply naming any other (say the instructor's data, left out of ``watch`` on purpose)
        is a broken protocol, and nothing of it is applied."""
        changed: dict = {}
        for item in [] if after is None else after if isinstance(after, list) else [after]:
            if not (isinstance(item, list) and len(item) == 2 and type(item[0]) is int
                    and item[0] in watched and item[0] not in changed):
                raise LearnerGone("the learner process reported a change to an argument "
                                  "the judge did not ask about")
            changed[item[0]] = item[1]
        return changed

    def method(self, proxy: Proxy, name: str, args: tuple):
        try:
            return self.request({"op": "method", "ref": proxy._aimd_n, "name": name},
                                args=args)
        except Exception as exc:
            if name == "__next__" and type(exc).__name__ == "StopIteration":
                raise StopIteration from None
            raise

    # -- steps --

    def run(self, code: str, *, test: bool) -> dict:
        """Run a test (or a locked cell) and say how it went, as nbgrader would score it."""
        self.touched, self.stderr = False, False
        # The grader runs the learner's cells in the learner's process, unseen from here:
        # any step may follow one that wrote files, so each looks again when it wants one.
        self.dirty = True
        value, error, refused = None, None, False
        with runtime.captured() as (_stdout, stderr):
            try:
                if test:
                    share_pyplot(self)
                body, last = self.compile(code)
                self.namespace.running = "test" if test else "locked"
                exec(body, self.namespace)  # noqa: S102 - the instructor's test, in the judge
                if last is not None:
                    result = eval(last, self.namespace)  # noqa: S307 - the same
                    # A learner object's own text is never partial credit (nbgrader reads
                    # the trailing value's text): only the judge's values count.
                    value = None if isinstance(result, Proxy) else repr(result)[:200]
            except BaseException as exc:  # noqa: BLE001 - a failed test, whatever it raised
                error = runtime.describe(exc)
                refused = type(exc) is Refused
            finally:
                self.namespace.running = None
        return {"op": "done", "status": "error" if error else "ok", "error": error,
                "value": value, "stderr": stderr.written or self.stderr,
                "touched": self.touched, "learner_gone": self.gone, "refused": refused}

    def file_wanted(self, path) -> None:
        """A test is about to read or look for ``path``: if it is not here, or is still the
        copy of a learner's file fetched earlier, and the learner's code may have written it
        since, copy what the learner's code wrote (``sync_files``)."""
        if not self.dirty or self.syncing or self.gone:
            return
        try:
            path = os.fspath(path)
        except TypeError:
            return
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if not path or os.path.isabs(path):
            return
        if not os.path.lexists(path) or self.still_synced(os.path.normpath(path)):
            self.sync_files()

    def sync_files(self) -> None:
        """Copy here the files the learner's code wrote (a test that reads ``out.csv`` finds
        it, as in nbgrader), never over the judge's own: its data files, hidden ones
        included, and what tests wrote. Best effort, within SYNC_BYTES per test."""
        if self.gone or self.syncing:
            return
        self.syncing, self.dirty = True, False
        try:
            self._sync_files()
        finally:
            self.syncing = False

    def still_synced(self, path: str) -> bool:
        """Whether ``path`` is a learner's file copied here and left exactly as copied (the
        same file, size and time): only such a copy is ever replaced by a newer one. Once a
        test wrote, replaced or removed it, the path is the judge's."""
        copied = self.synced.get(path)
        if copied is None:
            return False
        try:
            status = os.lstat(path)
        except OSError:
            return False
        return (status.st_size, status.st_mtime_ns, status.st_ino) == copied[2]

    def _sync_files(self) -> None:
        try:
            listing = self.request({"op": "files"}, quiet=True)
        except (LearnerGone, Exception):  # noqa: BLE001 - no files then; the test says more
            return
        budget = SYNC_BYTES
        for entry in listing if isinstance(listing, list) else []:
            try:
                path, size, stamp = str(entry[0]), int(entry[1]), int(entry[2])
            except (TypeError, ValueError, IndexError):
                continue
            path = os.path.normpath(path)
            # Never outside the working directory, nor a hidden path (.ipython/...: a
            # library's or the shell's own files), nor one of the judge's data files.
            if (os.path.isabs(path) or any(part.startswith(".") for part in path.split(os.sep))
                    or path in self.own_files or not 0 <= size <= budget):
                continue
            copied = self.synced.get(path)
            if copied is not None and copied[:2] == (size, stamp):
                continue  # the learner's file has not changed since it was copied
            if os.path.lexists(path) and not self.still_synced(path):
                continue  # a test's file (or one it changed): the judge's own
            try:
                data = self.request({"op": "file", "path": path, "limit": size}, quiet=True)
                data = data[:size] if isinstance(data, bytes) else b""
                folder = os.path.dirname(path)
                if folder:
                    os.makedirs(folder, exist_ok=True)
                with open(path, "wb") as file:
                    file.write(data)
                status = os.lstat(path)  # what a later sync checks is still there
            except (LearnerGone, Exception):  # noqa: BLE001, S112 - that file stays away
                continue
            self.synced[path] = (size, stamp, (status.st_size, status.st_mtime_ns,
                                               status.st_ino))
            budget -= len(data)

    def compile(self, source: str):
        if "%" in source or "!" in source:
            from IPython.core.inputtransformer2 import TransformerManager

            if self.shell is None:
                self.shell_start()

            source = TransformerManager().transform_cell(source)
        tree = ast.parse(source, "<test>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = compile(ast.Expression(tree.body.pop().value), "<test>", "eval")
        return compile(tree, "<test>", "exec"), last


# What a pickle may name in the judge: the data types of the standard library and of the
# scientific libraries, and their own rebuilding functions; never a function that could run
# something (os.system, eval, subprocess...). An instructor's hidden model loads; a
# learner's file handed over as bytes cannot smuggle code in. Every rule is about exactly
# what a name resolves to: a dotted name (protocol 4 walks attributes, e.g.
# ``_frombuffer.__builtins__.get``, a plain function's globals and from there eval) is
# refused, and a function is allowed only by its exact (module, name).
PICKLE_BUILTINS = frozenset({"list", "dict", "set", "frozenset", "tuple", "bytearray", "bytes",
                             "complex", "slice", "range", "object", "int", "float", "str",
                             "bool"})
# Standard-library modules whose own classes are data (their pickles name nothing else).
PICKLE_CLASS_MODULES = frozenset({"collections", "datetime", "decimal", "fractions",
                                  "zoneinfo"})
# Libraries whose own classes a pickle may name (an estimator, a frame, a dtype...).
PICKLE_LIBRARIES = frozenset({"numpy", "pandas", "sklearn", "scipy", "joblib", "pyarrow"})
# The functions (and constants) their pickles name, exactly: what pickle, joblib.dump and
# pandas.to_pickle write for arrays, frames, Arrow data, random generators and estimators.
PICKLE_FUNCTIONS = frozenset({
    ("_codecs", "encode"), ("copyreg", "_reconstructor"), ("copyreg", "__newobj__"),
    ("copyreg", "__newobj_ex__"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy.ma.core", "_mareconstruct"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),  # 1.x
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy.random._pickle", "__bit_generator_ctor"), ("numpy.random._pickle",
                                                       "__generator_ctor"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("pandas", "NA"), ("pandas._libs.missing", "NA"),
    ("pandas._libs.internals", "_unpickle_block"),
    ("pandas._libs.tslibs.nattype", "_nat_unpickle"),
    ("pandas._libs.tslibs.timedeltas", "_timedelta_unpickle"),
    ("pandas._libs.tslibs.timestamps", "_unpickle_timestamp"),
    ("pandas.core.indexes.base", "_new_Index"),
    ("pandas.core.indexes.datetimes", "_new_DatetimeIndex"),
    ("pandas.core.indexes.interval", "_new_IntervalIndex"),
    ("pandas.core.indexes.period", "_new_PeriodIndex"),
    ("pyarrow.lib", "_restore_array"), ("pyarrow.lib", "_reconstruct_table"),
    ("pyarrow.lib", "_reconstruct_record_batch"), ("pyarrow.lib", "py_buffer"),
    ("pyarrow.lib", "type_for_alias"), ("pyarrow.lib", "schema"), ("pyarrow.lib", "field"),
    ("pyarrow.lib", "chunked_array"),
    ("sklearn.metrics._dist_metrics", "newObj"), ("sklearn.neighbors._kd_tree", "newObj"),
    ("sklearn.neighbors._ball_tree", "newObj"),
})
# Cython writes one ``__pyx_unpickle_<Class>`` per extension class (sklearn's losses and
# trees, pandas' arrays): too many to list, and compiled, so they are allowed by that
# prefix only where the name is a compiled function of that very module.
CYTHON_UNPICKLE = "__pyx_unpickle_"
# A class of these libraries that opens, writes or maps files when made (``numpy.memmap(path,
# mode="w+")`` truncates a data file of the judge; HDFStore, ExcelWriter, Parquet and IPC
# writers, joblib's Memory and logger, SciPy's file classes) is never called by a pickle:
# refused by the part of its module's name, or by a file base class in its ancestry.
PICKLE_FILE_PARTS = frozenset({
    "io", "_io", "ipc", "parquet", "_parquet", "feather", "_feather", "orc", "_orc", "csv",
    "_csv", "json", "_json", "fs", "_fs", "dataset", "_dataset", "_dataset_parquet",
    "pytables", "excel", "memory", "logger", "_memmapping_reducer", "_store_backends",
    "numpy_pickle_compat", "backports", "disk", "substrait", "flight",
    "cuda", "plasma", "hdfs", "filesystem"})
PICKLE_FILE_BASES = frozenset({("numpy", "memmap"), ("io", "IOBase"), ("_io", "_IOBase"),
                               ("pyarrow.lib", "NativeFile"), ("os", "PathLike")})
# Python 2 names of protocols 0-2, which pickle maps to these before importing.
PICKLE_PY2 = frozenset({"__builtin__", "copy_reg"})


def _defined_in(cls: type) -> set[str]:
    """The package path of the files ``cls``'s own functions are written in: libraries
    re-home their public classes (``pd.HDFStore.__module__`` is "pandas"; it is written in
    pandas/io/pytables.py)."""
    parts: set[str] = set()
    for value in vars(cls).values():
        code = getattr(value, "__code__", None)
        if code is None:
            continue
        names = tuple(os.path.splitext(code.co_filename)[0].split(os.sep))
        for marker in ("site-packages", "dist-packages"):
            if marker in names:
                names = names[len(names) - names[::-1].index(marker):]
        parts.update(names)
    return parts


def _pickle_allowed(module, name) -> bool:
    if type(module) is not str or type(name) is not str or "." in name:
        return False
    if module in PICKLE_PY2:
        import _compat_pickle

        module, name = _compat_pickle.NAME_MAPPING.get(
            (module, name), (_compat_pickle.IMPORT_MAPPING.get(module, module), name))
    if module == "builtins":
        return name in PICKLE_BUILTINS
    if (module, name) in PICKLE_FUNCTIONS:
        return True
    library = module.split(".")[0] in PICKLE_LIBRARIES
    if not (library or module in PICKLE_CLASS_MODULES):
        return False
    try:
        found = wire.import_object(module, name)
    except Exception:  # noqa: BLE001 - not there: refused
        return False
    if isinstance(found, type):
        # The module's own class (not one it imported, e.g. a ctypes or subprocess class),
        # and never one that touches files when made.
        home = str(getattr(found, "__module__", ""))
        if PICKLE_FILE_PARTS & (set(home.split(".")) | set(module.split("."))
                                | _defined_in(found)):
            return False
        return (home.split(".")[0] in PICKLE_LIBRARIES if library else home == module) \
            and not any(str(getattr(base, "__module__", "")) in ("ctypes", "_ctypes")
                        or (str(getattr(base, "__module__", "")), base.__name__)
                        in PICKLE_FILE_BASES for base in found.__mro__)
    # A plain Python function or method exposes its globals (and the built-ins with them):
    # only the exact pairs above are ever called.
    return (library and name.startswith(CYTHON_UNPICKLE)
            and not isinstance(found, (types.FunctionType, types.MethodType))
            and callable(found) and getattr(found, "__module__", None) == module)


def _audit(event: str, args: tuple) -> None:
    """The judge runs no learner code, so this hook guards and serves the tests' own
    actions: a pickle naming anything beyond the allow-list is refused, and a file a test
    reads or lists is first fetched from the learner's process if its code wrote it."""
    if event == "open" and isinstance(args[1], str) and not set("wax+") & set(args[1]):
        _judge.file_wanted(args[0])
    elif event in ("os.listdir", "os.scandir", "glob.glob"):
        _judge.file_wanted("\0")  # not a file name: any change is copied
    if event == "ctypes.dlopen" and args and args[0] and (
            not os.path.isabs(str(args[0])) or str(args[0]).startswith(os.getcwd())):
        raise PermissionError("loading a library from the working directory is refused in "
                              "the judge")
    if event == "pickle.find_class" and not _pickle_allowed(*args[:2]):
        raise PermissionError(
            f"unpickling {args[0]}.{args[1]} is refused in the judge: load files the "
            "learner saved with aimd_grading.load_in_learner (it runs in the learner's "
            "process)")


def share_seeds(judge: Judge) -> None:
    """``random.seed`` and ``numpy.random.seed`` in a test seed the learner's process too, so
    a learner function drawing from the global generator draws what it would in nbgrader."""
    targets = [("random", sys.modules.get("random"))]
    if "numpy" in sys.modules:
        targets.append(("numpy.random", sys.modules["numpy"].random))
    for name, module in targets:
        if module is None:
            continue
        original = module.seed

        def seed(*args, _original=original, _name=name):
            _original(*args)
            if not judge.gone:
                judge.request({"op": "seed", "module": _name}, args=args)

        module.seed = seed


def share_files(judge: Judge) -> None:
    """``os.path.exists``, ``isfile``, ``isdir`` and ``getsize`` in a test see the files the
    learner's code wrote (they raise no audit event of their own)."""
    for name in ("exists", "isfile", "isdir", "getsize"):
        original = getattr(os.path, name)

        def checked(path, _original=original):
            judge.file_wanted(path)
            return _original(path)

        setattr(os.path, name, checked)


def share_pyplot(judge: Judge) -> None:
    """``plt.gcf()`` and ``plt.gca()`` in a test that made no figure of its own are the
    learner's current figure and axes (a plotting function checked after it ran)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None or getattr(pyplot, "_aimd_shared", False):
        return
    for name in ("gcf", "gca"):
        original = getattr(pyplot, name)

        def current(*args, _original=original, _name=name, **kwargs):
            if pyplot.get_fignums() or args or kwargs:
                return _original(*args, **kwargs)
            return judge.request({"op": "eval", "code": f"__import__('matplotlib.pyplot')"
                                                        f".pyplot.{_name}()"})

        setattr(pyplot, name, current)
    pyplot._aimd_shared = True


def _helpers(judge: Judge) -> types.ModuleType:
    """``aimd_grading`` as tests see it in the judge; the project's top-level module of the
    same name offers the same functions in one process, for instructors' own kernels."""
    module = types.ModuleType("aimd_grading")

    def in_learner(expression: str):
        """Evaluate ``expression`` in the learner's process (e.g. to load a model the
        learner saved with joblib): data comes back as a value, anything else as a proxy."""
        return judge.request({"op": "eval", "code": str(expression)})

    def load_in_learner(path: str):
        """``joblib.load(path)`` in the learner's process (FileNotFoundError if none)."""
        return judge.request({"op": "eval", "code": f"__import__('joblib').load({str(path)!r})"})

    def learner_file(path: str, limit: int = 64 * 1024 * 1024) -> bytes:
        """The bytes of a file the learner's code wrote (in its working directory)."""
        return judge.request({"op": "file", "path": str(path), "limit": int(limit)})

    def learner_call(obj, method: str, *args):
        """``getattr(obj, method)(*args)`` run by the learner's code, asked for explicitly
        (e.g. a test of ``__str__`` or ``__len__``): the answer is a value the test checks."""
        if not isinstance(obj, Proxy):
            return getattr(obj, method)(*args)
        return judge.method(obj, str(method), args)

    module.in_learner, module.learner_file = in_learner, learner_file
    module.learner_call = learner_call
    module.load_in_learner = load_in_learner
    module.IN_JUDGE = True
    return module


_judge: Judge


def main() -> None:
    global _judge
    control = runtime.Control()
    runtime.preload(PRELOAD)
    _judge = Judge()
    # Magics in tests run in the judge's own namespace: get_ipython is the judge's, never
    # a name looked up in the learner's process: the shell starts on its first use
    # (``SHELL_NAMES``).
    sys.modules["aimd_grading"] = _helpers(_judge)
    start = runtime.start(control)
    sys.addaudithook(_audit)
    _judge.own_files = frozenset(os.path.normpath(os.path.join(folder, name))
                                 for folder, _dirs, names in os.walk(".") for name in names)
    share_seeds(_judge)
    share_files(_judge)
    _judge.namespace.answer_names = frozenset(start.get("answer_names") or ())
    _judge.namespace.instructor_names = frozenset(start.get("instructor_names") or ())
    # The source's imports and plain definitions (notebooks.judge_setup), the judge's own;
    # each runs on its own, so that one failing (a module missing here) stops none of the
    # others and its names stay instructor names (a NameError), never the learner's.
    setup = start.get("imports") or ()
    for code in [setup] if isinstance(setup, str) else setup:
        _judge.run(str(code), test=False)
    # Importing a library lists directories, which copies the learner's files once: nothing
    # of the learner's has run yet, so the first test must look again.
    _judge.dirty = True
    while True:
        message = control.read()
        if not message or message.get("op") not in ("test", "locked"):
            os._exit(0)
        control.say(_judge.run(message["code"], test=message["op"] == "test"))


if __name__ == "__main__":
    main()
