"""The learner process: runs a submission's answer cells, the learner's own cells and the
source's locked cells through IPython, and answers the judge's requests about its names.

Started by a sandbox backend as ``python -I learner.py PRELOAD LINK_FD``. Nothing here is
trusted: learner code can read and change all of this process's memory and write to any of
its descriptors. That is why nothing here decides a grade or sees a secret: the judge
(``judge.py``, another sandbox) runs every test, holds the hidden tests and data, and compares
values in its own memory. This process only learns what the judge asks it (names, and the
arguments of calls), and the grader (outside both) counts only what the judge reports. The
kernel, not this code, refuses processes, exec, tracing and the rest (``runtime.confine``,
installed before any learner code runs).
"""

import base64
import io
import os
import select
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
import runtime  # noqa: E402 - beside this file
import wire  # noqa: E402

PRELOAD, LINK_FD = runtime.arguments()


# The classes of functions, generators and methods, named where a test can import them
# (``isinstance(gen, types.GeneratorType)``).
TYPES = {getattr(types, name): ("types", name)
         for name in ("FunctionType", "GeneratorType", "MethodType", "BuiltinFunctionType",
                      "CoroutineType", "AsyncGeneratorType", "SimpleNamespace")}


class Objects:
    """The objects the judge holds references to, by number (kept alive until the end)."""

    def __init__(self) -> None:
        self.by_number: dict[int, object] = {}
        self.by_identity: dict[int, int] = {}

    def number(self, obj) -> int:
        key = id(obj)
        number = self.by_identity.get(key)
        if number is None:
            number = len(self.by_number) + 1
            self.by_number[number] = obj
            self.by_identity[key] = number
        return number

    def get(self, number):
        return self.by_number[number]


class JudgeFunction:
    """A function of the test's (e.g. a counting feature extractor handed to the learner's
    cross-validation): calling it asks the judge to run it there, with these arguments."""

    def __init__(self, learner, number: int) -> None:
        self._learner, self._number = learner, number

    def __call__(self, *args, **kwargs):
        blobs: list[bytes] = []
        encode = self._learner.codec.encode
        header = {"op": "callback", "id": self._number, "names": list(kwargs),
                  "args": [encode(a, blobs) for a in args],
                  "kwargs": [encode(v, blobs) for v in kwargs.values()]}
        wire.send(LINK_FD, header, blobs)
        return self._learner.wait_reply()

    def __repr__(self) -> str:
        return "<a function of the test>"


class Learner:
    def __init__(self, shell) -> None:
        self.shell = shell
        self.namespace = shell.user_ns
        self.objects = Objects()
        self.codec = wire.Codec(reference=self.reference, resolve=self.resolve, trusting=True)

    # -- references --

    def reference(self, obj) -> dict:
        kind = type(obj)
        named = wire.importable_name(kind) or TYPES.get(kind)
        is_class = isinstance(obj, type)
        # The learner's classes in the MRO: of the object's class, or of the class itself.
        mro = [self.objects.number(c) for c in (obj if is_class else kind).__mro__
               if wire.importable_name(c) is None]
        ref = {"t": "ref", "id": self.objects.number(obj),
               "cls": list(named) if named else None,
               "name": str(getattr(obj if is_class else kind, "__qualname__", "object"))[:200],
               "mro": mro, "is_class": is_class}
        if is_class and issubclass(obj, BaseException):
            # An exception class: the judge makes one of its own, under its built-in base.
            ref["exception"] = wire.builtin_base(obj)
        return ref

    def resolve(self, item):
        if item.get("t") == "callback":
            return JudgeFunction(self, int(item["id"]))
        return self.objects.get(int(item["id"]))

    # -- cells --

    def run_cell(self, code: str, count: int | None = None) -> dict:
        if isinstance(count, int) and count > 0:
            # IPython prints "Out[n]" with n = execution_count - 1 when history is off: the
            # cell's number in the feedback page ("In [n]").
            self.shell.execution_count = count + 1
        with runtime.captured() as (stdout, stderr):
            _quiet_show()
            try:
                result = self.shell.run_cell(code, store_history=False, silent=False)
                error = result.error_before_exec or result.error_in_exec
                message = runtime.describe(error) if error is not None else None
            except BaseException as error:  # noqa: BLE001
                message = runtime.describe(error)
            images = figures_taken()
        return {"op": "done", "status": "error" if message else "ok", "error": message,
                "stdout": stdout.text(), "stderr": stderr.written, "images": images}

    # -- the judge's requests --

    def serve(self, header: dict, blobs: list[bytes]) -> None:
        """Answer one request; learner code's exceptions go back as data."""
        out: list[bytes] = []
        with runtime.captured() as (_stdout, stderr):
            try:
                reply = {"ok": True, "value": self.perform(header, blobs, out)}
            except wire.LinkBroken:
                raise
            except BaseException as error:  # noqa: BLE001 - learner code raised: tell the judge
                described, out = wire.describe_error(error), []
                if wire.importable_name(type(error)) is None:  # the learner's own class
                    described["cls"] = self.reference(type(error))
                    try:  # its data attributes (e.field), as values
                        described["attrs"] = self.codec.encode(dict(vars(error)), out)
                    except Exception:  # noqa: BLE001 - none then
                        out = []
                reply = {"ok": False, "error": described}
        reply["stderr"] = stderr.written
        try:
            wire.send(LINK_FD, reply, out)
        except wire.Unencodable as error:
            wire.send(LINK_FD, {"ok": False, "error": wire.describe_error(error),
                                "stderr": reply["stderr"]})

    def wait_reply(self):
        """The judge's answer to a callback, serving its requests in between (the test's
        function may call learner code in turn)."""
        while True:
            header, blobs = wire.receive(LINK_FD)
            if "op" in header:
                self.serve(header, blobs)
                continue
            if header.get("ok") is not True:
                raise wire.exception_from(header.get("error"))
            return self.codec.decode(header.get("value"), blobs)

    def perform(self, header: dict, blobs: list[bytes], out: list[bytes]):  # noqa: C901
        op = header.get("op")
        decode, encode = self.codec.decode, self.codec.encode
        if op == "lookup":
            name = header["name"]
            if name not in self.namespace:
                return {"t": "missing"}
            return encode(self.namespace[name], out)
        if op == "getattr":
            return encode(getattr(self.objects.get(header["ref"]), header["name"]), out)
        if op == "setattr":
            setattr(self.objects.get(header["ref"]), header["name"],
                    decode(header["value"], blobs))
            return None
        if op == "call":
            args = [decode(a, blobs) for a in header["args"]]
            kwargs = dict(zip(header["names"], [decode(v, blobs) for v in header["kwargs"]],
                              strict=True))
            value = encode(self.objects.get(header["ref"])(*args, **kwargs), out)
            # The arguments as they are after the call (the judge updates its own objects:
            # a function that changes its input in place is seen to do so, as in nbgrader).
            return {"t": "call", "value": value,
                    "after": [[i, encode(args[i], out)] for i in header.get("watch", [])]}
        if op == "method":
            target = self.objects.get(header["ref"])
            args = [decode(a, blobs) for a in header["args"]]
            if header["name"] == "__dir__":
                return encode(dir(target), out)  # classes too (an unbound __dir__ would not)
            return encode(getattr(target, header["name"])(*args), out)
        if op == "eval":
            return encode(eval(header["code"], self.namespace), out)  # noqa: S307 - learner's
        if op == "file":
            with open(header["path"], "rb") as file:
                size = os.fstat(file.fileno()).st_size
                return encode(file.read(min(size, int(header["limit"]))), out)
        if op == "files":
            return encode(files_written(), out)
        if op == "seed":
            module = wire.import_module(header["module"])
            module.seed(*[decode(a, blobs) for a in header["args"]])
            return None
        if op == "array":
            import numpy as np

            return encode(np.asarray(self.objects.get(header["ref"])), out)
        raise ValueError(f"unknown request {op!r}")


FIGURES_PER_CELL = 4
FIGURE_DPI = 80
# Kept well under what the grader accepts (engine.IMAGE_CAP, IMAGES_TOTAL_CAP) and far under the
# sandbox's 8 MB message limit: a reply over it would be lost and the cell taken as timed out.
FIGURE_PIXELS_CAP = 2000 * 2000  # a figure larger than this is not drawn at all
FIGURE_BYTES_CAP = 200_000  # one PNG
FIGURES_BYTES_CAP = 800_000  # all of one cell's PNGs


def _quiet_show() -> None:
    """``plt.show()`` does nothing here (Agg cannot show; the figures are taken at the end of
    the cell, as Jupyter's inline backend does) instead of warning on stderr."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.show = lambda *args, **kwargs: None


def figures_taken() -> list:
    """The cell's open matplotlib figures as base64 PNG (then closed), as the inline backend
    shows them. The grader checks what comes back (PNG only, sizes capped): nothing here is
    trusted."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    images, total = [], 0
    try:
        for number in pyplot.get_fignums()[:FIGURES_PER_CELL]:
            figure = pyplot.figure(number)
            width, height = figure.get_size_inches() * FIGURE_DPI
            if width * height > FIGURE_PIXELS_CAP:
                continue  # drawing it would take the cell's time and memory for nothing
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
            size = buffer.tell()
            if size > FIGURE_BYTES_CAP or total + size > FIGURES_BYTES_CAP:
                continue
            total += size
            images.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    except Exception:  # noqa: BLE001, S110 - a figure that cannot be drawn is left out
        pass
    finally:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001, S110
            pass
    return images


def files_written(limit: int = 500) -> list:
    """``[path, size, mtime_ns]`` of the regular files under the working directory (not the
    hidden ones, such as IPython's), for the judge to copy what it lacks."""
    found = []
    for folder, folders, names in os.walk("."):
        folders[:] = [f for f in folders if not f.startswith(".")]
        for name in names:
            path = os.path.join(folder, name)[2:]
            if name.startswith(".") or not os.path.isfile(path) or os.path.islink(path):
                continue
            status = os.stat(path)
            found.append([path, status.st_size, status.st_mtime_ns])
            if len(found) >= limit:
                return found
    return found


def main() -> None:
    control = runtime.Control()
    os.environ.setdefault("IPYTHONDIR", os.path.join(os.getcwd(), ".ipython"))
    runtime.preload(PRELOAD)
    shell = runtime.ipython_shell()
    runtime.start(control)
    learner = Learner(shell)
    command_fd = control.input.fileno()
    while True:
        readable, _, _ = select.select([command_fd, LINK_FD], [], [])
        if LINK_FD in readable:
            try:
                learner.serve(*wire.receive(LINK_FD))
            except wire.LinkBroken:
                os._exit(0)  # the judge is gone: the grader ends this sandbox too
        if command_fd in readable:
            message = control.read()
            if not message or message.get("op") != "cell":
                os._exit(0)
            control.say(learner.run_cell(message["code"], message.get("count")))


if __name__ == "__main__":
    main()
