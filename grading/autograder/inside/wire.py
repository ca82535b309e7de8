"""Frames and values between the judge and the learner process (both inside sandboxes).

Used by ``judge.py`` and ``learner.py``; standard library only at import (numpy, pandas and
pyarrow are imported when a value needs them). Values cross only in formats that cannot carry
code (docs/grading-engine.md, "The judge and the learner"):

- JSON for None, bools, ints, finite floats and strings; tagged JSON for the containers
  (list, tuple, dict, set, frozenset), other floats, complex, bytes, ranges, slices,
  datetimes, decimals and fractions;
- numpy arrays and scalars as ``.npy`` bytes, read with ``allow_pickle=False``;
- pandas DataFrames, Series and Index through Arrow IPC streams (extension types refused);
- modules, and classes and functions of importable libraries, by name: the judge imports its
  own copy, never one the learner process made;
- anything else stays where it lives as a *reference* (a number); the other side holds a
  proxy (judge) or the object itself (learner).

Nothing is ever pickled. A frame is ``>IQ`` (header length, length of the binary parts), a
JSON header and the binary parts; both lengths are capped, so a process cannot make the other
read without end.
"""

from __future__ import annotations

import datetime
import decimal
import fractions
import io
import json
import math
import os
import struct
import sys

HEAD = struct.Struct(">IQ")
MAX_HEADER = 64 * 1024 * 1024
MAX_BLOBS = 512 * 1024 * 1024
MAX_DEPTH = 100
MAX_ITEMS = 2_000_000


class LinkBroken(Exception):
    """The other process ended, or sent something that is not a frame of this protocol."""


class Unencodable(TypeError):
    """A value that cannot cross as data (the caller decides: a reference, or refuse)."""


# --- Frames ----------------------------------------------------------------------------------


def _read_exact(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise LinkBroken("the other process closed the link")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except OSError as exc:
            raise LinkBroken(f"the link cannot be written: {exc}") from exc
        view = view[written:]


def send(fd: int, header: dict, blobs: list[bytes] = ()) -> None:
    """Write one frame: ``header`` (JSON) and its binary parts."""
    header = dict(header, blobs=[len(b) for b in blobs])
    raw = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    total = sum(len(b) for b in blobs)
    if len(raw) > MAX_HEADER or total > MAX_BLOBS:
        raise Unencodable("the value is too large to pass between the processes")
    _write_all(fd, HEAD.pack(len(raw), total) + raw + b"".join(blobs))


def receive(fd: int) -> tuple[dict, list[bytes]]:
    """Read one frame; ``LinkBroken`` for an ended link or anything malformed."""
    try:
        size, total = HEAD.unpack(_read_exact(fd, HEAD.size))
    except OSError as exc:
        raise LinkBroken(f"the link cannot be read: {exc}") from exc
    if size > MAX_HEADER or total > MAX_BLOBS:
        raise LinkBroken("a frame larger than the protocol allows")
    try:
        header = json.loads(_read_exact(fd, size).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LinkBroken("a frame whose header is not JSON") from exc
    if not isinstance(header, dict):
        raise LinkBroken("a frame whose header is not an object")
    sizes = header.get("blobs", [])
    if (not isinstance(sizes, list) or not all(type(s) is int and s >= 0 for s in sizes)
            or sum(sizes) != total):
        raise LinkBroken("a frame whose binary parts do not add up")
    data, blobs, start = _read_exact(fd, total), [], 0
    for length in sizes:
        blobs.append(data[start:start + length])
        start += length
    return header, blobs


# --- Values ----------------------------------------------------------------------------------


def importable_name(obj) -> tuple[str, str] | None:
    """``(module, qualname)`` of a class or function that an import finds again, else None
    (learners' own definitions live in ``__main__`` and are never importable)."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if (type(module) is not str or type(qualname) is not str or module == "__main__"
            or "<" in qualname or module not in sys.modules):
        return None
    target = sys.modules[module]
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return (module, qualname) if target is obj else None


# Packages whose modules a name from the other process may import here (beyond those this
# process has imported already): an import runs the module's code, so the judge does not
# import whatever the learner process names.
IMPORTABLE = frozenset({"numpy", "pandas", "sklearn", "scipy", "matplotlib", "joblib",
                        "pyarrow", "datetime", "decimal", "fractions", "collections", "math",
                        "statistics", "builtins"})


def import_module(name: str):
    """The module ``name``: already imported here, or of a package in IMPORTABLE."""
    if type(name) is not str or name == "__main__":
        raise ImportError("not an importable name")
    if name not in sys.modules and name.split(".")[0] not in IMPORTABLE:
        raise ImportError(f"{name} is not imported here")
    __import__(name)
    return sys.modules[name]


def import_object(module: str, qualname: str):
    """The object ``module.qualname`` (see ``import_module``; ImportError otherwise)."""
    if type(qualname) is not str:
        raise ImportError("not an importable name")
    import_module(module)
    target = sys.modules[module]
    for part in qualname.split("."):
        try:
            target = getattr(target, part)
        except AttributeError as exc:
            raise ImportError(f"{module}.{qualname} is not importable") from exc
    return target


def _npy(array) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _from_npy(data: bytes):
    import numpy as np

    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def _arrow(frame) -> bytes:
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _from_arrow(data: bytes):
    import pyarrow as pa

    table = pa.ipc.open_stream(data).read_all()
    for field in table.schema:
        if isinstance(field.type, pa.ExtensionType):
            raise ValueError("Arrow extension types are not accepted")
    return table.to_pandas()


def _is_plain_array(value) -> bool:
    import numpy as np

    return type(value) is np.ndarray and not value.dtype.hasobject


class Codec:
    """Encodes values for the other side and decodes what it sent.

    ``reference(obj)`` is called for a value that cannot cross as data and returns its
    encoding (the learner registers the object, the judge refuses or sends a proxy's number);
    ``resolve(item)`` turns a received reference into a local object. ``special(obj)`` may
    encode a value first (the judge's estimator specifications), returning None to decline.
    """

    def __init__(self, *, reference, resolve, special=None, trusting: bool) -> None:
        self.reference, self.resolve, self.special = reference, resolve, special
        # The judge (trusting=False) imports classes the learner names (for isinstance) but
        # keeps its functions remote, and never builds objects from received parameters.
        self.trusting = trusting

    # -- encoding --

    def encode(self, value, blobs: list[bytes]):
        """The encoding of ``value``; its binary parts are appended to ``blobs`` (one list
        for all the values of a frame)."""
        return self._encode(value, blobs, 0)

    def _blob(self, blobs: list[bytes], data: bytes) -> int:
        blobs.append(data)
        return len(blobs) - 1

    def _encode(self, value, blobs: list[bytes], depth: int):  # noqa: C901, PLR0911, PLR0912
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            return value if abs(value) < 2 ** 53 else {"t": "int", "v": str(value)}
        if kind is float:
            return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
        if depth > MAX_DEPTH:
            raise Unencodable("the value is nested too deeply")
        if self.special is not None:
            encoded = self.special(value, self, blobs, depth)
            if encoded is not None:
                return encoded
        if kind in (list, tuple, set, frozenset):
            try:
                items = [self._encode(v, blobs, depth + 1) for v in value]
            except Unencodable:
                return self.reference(value)
            return {"t": kind.__name__, "v": items}
        if kind is dict:
            try:
                keys = [self._encode(k, blobs, depth + 1) for k in value]
                values = [self._encode(v, blobs, depth + 1) for v in value.values()]
            except Unencodable:
                return self.reference(value)
            return {"t": "dict", "k": keys, "v": values}
        if kind is bytes:
            return {"t": "bytes", "b": self._blob(blobs, value)}
        if kind is complex:
            return {"t": "complex", "v": [repr(value.real), repr(value.imag)]}
        if kind is range:
            return {"t": "range", "v": [value.start, value.stop, value.step]}
        if kind is slice:
            return {"t": "slice", "v": [self._encode(p, blobs, depth + 1)
                                        for p in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {"t": "ellipsis"}
        if kind is datetime.datetime:
            return {"t": "datetime", "v": value.isoformat()}
        if kind is datetime.date:
            return {"t": "date", "v": value.isoformat()}
        if kind is datetime.time:
            return {"t": "time", "v": value.isoformat()}
        if kind is datetime.timedelta:
            return {"t": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
        if kind is decimal.Decimal:
            return {"t": "decimal", "v": str(value)}
        if kind is fractions.Fraction:
            return {"t": "fraction", "v": str(value)}
        package = str(getattr(kind, "__module__", "")).split(".")[0]
        if package == "numpy":
            return self._encode_numpy(value, blobs, depth)
        if package == "pandas":
            encoded = self._encode_pandas(value, blobs)
            if encoded is not None:
                return encoded
        if kind is type(sys):  # a module: the other side imports its own
            name = getattr(value, "__name__", None)
            if type(name) is str and name != "__main__" and sys.modules.get(name) is value:
                return {"t": "module", "name": name}
            return self.reference(value)
        named = importable_name(value) if isinstance(value, type) or callable(value) else None
        if named is not None:
            try:
                ref = self.reference(value)
            except Unencodable:
                ref = None  # the judge's own library object: the learner imports it
            return {"t": "lib", "module": named[0], "qualname": named[1], "ref": ref}
        return self.reference(value)

    def _encode_numpy(self, value, blobs: list[bytes], depth: int):
        import numpy as np

        if _is_plain_array(value):
            return {"t": "ndarray", "b": self._blob(blobs, _npy(value))}
        if type(value) is np.ndarray and value.dtype == object and value.size <= MAX_ITEMS:
            # Strings and numbers in an object array (pandas' to_numpy() of text): element
            # by element, so each one is a value or a reference of its own.
            return {"t": "objarray", "shape": list(value.shape),
                    "v": [self._encode(v, blobs, depth + 1) for v in value.ravel().tolist()]}
        if isinstance(value, np.generic) and not isinstance(value, np.object_):
            return {"t": "npscalar", "b": self._blob(blobs, _npy(np.asarray(value)))}
        if isinstance(value, np.dtype) and not value.hasobject:
            return {"t": "dtype", "v": value.str if not value.names else None} \
                if not value.names else self.reference(value)
        return self.reference(value)

    def _encode_pandas(self, value, blobs: list[bytes]):
        import pandas as pd

        kind = type(value)
        try:
            if kind is pd.DataFrame and value.columns.is_unique:
                return {"t": "frame", "b": self._blob(blobs, _arrow(value))}
            if kind is pd.Series:
                name = value.name
                frame = value.to_frame(name="__aimd_values__")
                return {"t": "series", "b": self._blob(blobs, _arrow(frame)),
                        "name": self._encode(name, blobs, 1)}
            if isinstance(value, pd.Index):
                frame = pd.DataFrame(index=value)
                return {"t": "index", "b": self._blob(blobs, _arrow(frame))}
        except (ImportError, TypeError, ValueError, Unencodable, Exception):  # noqa: BLE001
            return self.reference(value)  # pyarrow refuses mixed object columns and the like
        if kind is pd.Timestamp:
            if value is pd.NaT:
                return {"t": "nat"}
            return {"t": "timestamp", "v": str(value.value), "unit": value.unit,
                    "tz": str(value.tz) if value.tz is not None else None}
        if kind is pd.Timedelta:
            return {"t": "pdtimedelta", "v": str(value.value), "unit": value.unit}
        if value is pd.NaT:
            return {"t": "nat"}
        return None

    # -- decoding --

    def decode(self, item, blobs: list[bytes]):
        counter = [0]
        return self._decode(item, blobs, 0, counter)

    def _decode(self, item, blobs, depth, counter):  # noqa: C901, PLR0911, PLR0912
        counter[0] += 1
        if counter[0] > MAX_ITEMS or depth > MAX_DEPTH:
            raise LinkBroken("a value larger or deeper than the protocol allows")
        kind = type(item)
        if item is None or kind in (bool, int, float, str):
            return item
        if kind is not dict:
            raise LinkBroken("a value of an unknown shape")
        tag = item.get("t")
        if tag in ("list", "tuple", "set", "frozenset"):
            values = [self._decode(v, blobs, depth + 1, counter) for v in item["v"]]
            return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](
                values)
        if tag == "dict":
            keys = [self._decode(k, blobs, depth + 1, counter) for k in item["k"]]
            values = [self._decode(v, blobs, depth + 1, counter) for v in item["v"]]
            return dict(zip(keys, values, strict=True))
        if tag in ("ref", "callback"):  # each side's resolve says which it accepts
            return self.resolve(item)
        if tag == "lib":
            try:
                found = import_object(item["module"], item["qualname"])
            except Exception:  # noqa: BLE001 - not importable here: keep the reference
                if not isinstance(item.get("ref"), dict):
                    raise LinkBroken("a library object that cannot be imported") from None
                return self.resolve(item["ref"])
            if self.trusting or isinstance(found, type):
                return found
            return self.resolve(item["ref"])
        if tag == "estimator" and self.trusting:
            cls = import_object(item["module"], item["qualname"])
            return cls(**self._decode(item["params"], blobs, depth + 1, counter))
        if tag == "module":
            try:
                return import_module(item["name"])
            except ImportError as exc:
                raise LinkBroken(f"a module that cannot be imported here ({exc})") from None
        return self._decode_tagged(tag, item, blobs, depth, counter)

    def _decode_tagged(self, tag, item, blobs, depth, counter):  # noqa: C901, PLR0911, PLR0912
        if tag == "int":
            return int(item["v"])
        if tag == "float":
            return float(item["v"])
        if tag == "bytes":
            return bytes(blobs[item["b"]])
        if tag == "complex":
            return complex(float(item["v"][0]), float(item["v"][1]))
        if tag == "range":
            return range(*(int(v) for v in item["v"]))
        if tag == "slice":
            return slice(*(self._decode(v, blobs, depth + 1, counter) for v in item["v"]))
        if tag == "ellipsis":
            return Ellipsis
        if tag == "datetime":
            return datetime.datetime.fromisoformat(item["v"])
        if tag == "date":
            return datetime.date.fromisoformat(item["v"])
        if tag == "time":
            return datetime.time.fromisoformat(item["v"])
        if tag == "timedelta":
            days, seconds, micro = (int(v) for v in item["v"])
            return datetime.timedelta(days=days, seconds=seconds, microseconds=micro)
        if tag == "decimal":
            return decimal.Decimal(str(item["v"]))
        if tag == "fraction":
            return fractions.Fraction(str(item["v"]))
        if tag == "ndarray":
            return _from_npy(blobs[item["b"]])
        if tag == "objarray":
            import numpy as np

            shape = tuple(int(n) for n in item["shape"])
            items = [self._decode(v, blobs, depth + 1, counter) for v in item["v"]]
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(shape)
        if tag == "npscalar":
            return _from_npy(blobs[item["b"]])[()]
        if tag == "dtype":
            import numpy as np

            return np.dtype(str(item["v"]))
        return self._decode_pandas(tag, item, blobs, depth, counter)

    def _decode_pandas(self, tag, item, blobs, depth, counter):
        import pandas as pd

        if tag == "frame":
            return _from_arrow(blobs[item["b"]])
        if tag == "series":
            series = _from_arrow(blobs[item["b"]])["__aimd_values__"]
            series.name = self._decode(item.get("name"), blobs, depth + 1, counter)
            return series
        if tag == "index":
            return _from_arrow(blobs[item["b"]]).index
        if tag == "nat":
            return pd.NaT
        if tag == "timestamp":
            stamp = pd.Timestamp(int(item["v"]), unit="ns", tz="UTC" if item["tz"] else None)
            if item["tz"]:
                stamp = stamp.tz_convert(item["tz"])
            return stamp.as_unit(item.get("unit") or "ns")
        if tag == "pdtimedelta":
            return pd.Timedelta(int(item["v"]), unit="ns").as_unit(item.get("unit") or "ns")
        raise LinkBroken(f"a value of an unknown kind ({str(tag)[:40]})")


def builtin_base(kind: type) -> str:
    """The name of the nearest built-in exception class ``kind`` derives from."""
    return next((c.__name__ for c in kind.__mro__
                 if c.__module__ == "builtins" and issubclass(c, BaseException)), "Exception")


def describe_error(error: BaseException) -> dict:
    """An exception as data: its type's name, the nearest built-in exception class it derives
    from (the judge raises one of those), its importable name and its message."""
    kind = type(error)
    builtin = builtin_base(kind)
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001 - a learner's __str__ may raise
        message = ""
    named = importable_name(kind)
    return {"type": kind.__name__ if type(kind.__name__) is str else "Exception",
            "builtin": builtin, "module": named[0] if named else None,
            "qualname": named[1] if named else None, "message": message[:2000]}


def exception_from(error) -> BaseException:
    """The other process's exception (``describe_error``) as an exception of this one: of
    the built-in class it derives from, named like the original (a test that expects a
    ValueError from learner code catches one). Never an exit or interrupt."""
    import builtins

    error = error if isinstance(error, dict) else {}
    base = getattr(builtins, str(error.get("builtin")), Exception)
    if not (isinstance(base, type) and issubclass(base, BaseException)) or base in (
            SystemExit, KeyboardInterrupt, GeneratorExit, BaseException):
        base = Exception
    if issubclass(base, StopIteration | StopAsyncIteration):
        # Never a real StopIteration out of a call (it would silently end the test's own
        # loop or generator); a proxy's __next__ turns it back into one.
        base = RuntimeError
    name = str(error.get("type") or base.__name__)[:100]
    message = str(error.get("message") or "")[:2000]
    kind = base if name == base.__name__ else type(name, (base,), {"__module__": "learner"})
    try:
        return kind(message)
    except Exception:  # noqa: BLE001 - e.g. UnicodeDecodeError's own signature
        return Exception(f"{name}: {message}")
