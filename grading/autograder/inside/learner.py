"""The learner process: runs a submission's answer cells, the learner's own cells and the
source's locked cells through IPython, and answers the judge's requests about its names.

Started by a sandbox backend as ``python -I learner.py PRELOAD`` (see ``protocol.md`` beside
this file). Nothing here is trusted: learner code can read and change all of this process's
memory and write to any of its descriptors. That is why nothing here decides a grade or sees
a secret: the judge (``judge.py``, another sandbox) runs every test, holds the hidden tests and
data, and compares values in its own memory. This process only ever learns what the judge
asks it (names, and the arguments of calls), and the grader (outside both) counts only what
the judge reports. The kernel, not this code, refuses processes, exec, tracing and the rest
(``confine.py``, installed before any learner code runs).
"""

import io
import json
import os
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
import wire  # noqa: E402 - beside this file

OUTPUT_CAP = 20_000
LINK_FD = int(sys.argv[2]) if len(sys.argv) > 2 else 3  # the socket to the judge


class Sink(io.TextIOBase):
    """sys.stdout / sys.stderr while learner code runs: text up to OUTPUT_CAP, and whether
    anything was written at all (nbgrader fails a test that wrote to stderr)."""

    def __init__(self) -> None:
        self.parts, self.size, self.written = [], 0, False

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if text:
            self.written = True
        if self.size < OUTPUT_CAP:
            piece = text[: OUTPUT_CAP - self.size]
            self.parts.append(piece)
            self.size += len(piece)
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)[:OUTPUT_CAP]


def describe(error: BaseException) -> str:
    try:
        text = f"{type(error).__name__}: {error}"
    except BaseException:  # noqa: BLE001 - a learner's __str__ may raise
        text = "error"
    return text[:2000]


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


class Learner:
    def __init__(self, shell) -> None:
        self.shell = shell
        self.namespace = shell.user_ns
        self.objects = Objects()
        self.codec = wire.Codec(reference=self.reference, resolve=self.resolve, trusting=True)

    # -- references --

    def reference(self, obj) -> dict:
        kind = type(obj)
        named = wire.importable_name(kind)
        mro = [self.objects.number(c) for c in kind.__mro__ if wire.importable_name(c) is None]
        return {"t": "ref", "id": self.objects.number(obj),
                "cls": list(named) if named else None,
                "name": str(getattr(kind, "__qualname__", "object"))[:200],
                "mro": mro, "is_class": isinstance(obj, type)}

    def resolve(self, item):
        return self.objects.get(int(item["id"]))

    # -- cells --

    def run_cell(self, code: str) -> dict:
        stdout, stderr = Sink(), Sink()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout, stderr
        try:
            result = self.shell.run_cell(code, store_history=False, silent=False)
            error = result.error_before_exec or result.error_in_exec
            message = describe(error) if error is not None else None
        except BaseException as error:  # noqa: BLE001
            message = describe(error)
        finally:
            sys.stdout, sys.stderr = saved
        return {"op": "done", "status": "error" if message else "ok", "error": message,
                "stdout": stdout.text(), "stderr": stderr.written}

    # -- the judge's requests --

    def answer(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        stdout, stderr = Sink(), Sink()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout, stderr
        try:
            reply, out_blobs = self.perform(header, blobs)
        except wire.LinkBroken:
            raise
        except BaseException as error:  # noqa: BLE001 - learner code raised: tell the judge
            reply, out_blobs = {"ok": False, "error": wire.describe_error(error)}, []
        finally:
            sys.stdout, sys.stderr = saved
        reply["stderr"] = stderr.written
        return reply, out_blobs

    def perform(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        op = header.get("op")
        decode = self.codec.decode
        if op == "lookup":
            name = header["name"]
            if name not in self.namespace:
                return {"ok": True, "missing": True}, []
            return self.value(self.namespace[name])
        if op == "getattr":
            return self.value(getattr(self.objects.get(header["ref"]), header["name"]))
        if op == "setattr":
            setattr(self.objects.get(header["ref"]), header["name"],
                    decode(header["value"], blobs))
            return {"ok": True, "value": None}, []
        if op == "call":
            target = self.objects.get(header["ref"])
            args = [decode(a, blobs) for a in header["args"]]
            kwargs = dict(zip(header["names"], [decode(v, blobs) for v in header["kwargs"]],
                              strict=True))
            reply, out = self.value(target(*args, **kwargs))
            return self.write_back(reply, out, header, args)
        if op == "method":
            target = self.objects.get(header["ref"])
            args = [decode(a, blobs) for a in header["args"]]
            return self.value(getattr(target, header["name"])(*args))
        if op == "isinstance":
            return self.value(isinstance(self.objects.get(header["ref"]),
                                         self.objects.get(header["cls"])))
        if op == "eval":
            return self.value(eval(header["code"], self.namespace))  # noqa: S307 - learner's
        if op == "file":
            with open(header["path"], "rb") as file:
                return self.value(file.read(int(header.get("limit", 64 * 1024 * 1024))))
        if op == "array":
            import numpy as np

            return self.value(np.asarray(self.objects.get(header["ref"])))
        return {"ok": False, "error": {"type": "ValueError", "builtin": "ValueError",
                                       "message": f"unknown request {op!r}"}}, []

    def value(self, value) -> tuple[dict, list[bytes]]:
        encoded, blobs = self.codec.encode(value)
        return {"ok": True, "value": encoded}, blobs

    def write_back(self, reply: dict, out: list[bytes], header: dict, args: list):
        """Arguments the call changed in place go back with the reply (the judge updates its
        own objects): a function that modifies its input is seen to do so, as in nbgrader."""
        changed = []
        for index in header.get("watch", []):
            encoded, blobs = self.codec.encode(args[index])
            changed.append([index, self.shift(encoded, len(out)), len(blobs)])
            out = out + blobs
        if changed:
            reply["changed"] = changed
        return reply, out

    def shift(self, encoded, offset: int):
        """The encoding with its blob numbers moved by ``offset`` (several values, one frame)."""
        if isinstance(encoded, dict):
            return {k: (v + offset if k == "b" else self.shift(v, offset))
                    for k, v in encoded.items()}
        if isinstance(encoded, list):
            return [self.shift(v, offset) for v in encoded]
        return encoded


def main() -> None:
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

    os.environ.setdefault("IPYTHONDIR", os.path.join(os.getcwd(), ".ipython"))
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell

    for name in filter(None, (sys.argv[1] if len(sys.argv) > 1 else "").split(",")):
        try:  # shared start-up work, done while the sandbox waits in the pool
            __import__(name)
        except Exception:  # noqa: BLE001, S112 - a missing library only costs speed
            continue
    shell = InteractiveShell.instance(colors="NoColor", history_length=0)
    shell.history_manager.enabled = False
    shell.display_formatter.active_types = ["text/plain"]
    say({"op": "ready"})

    start = json.loads(control_in.readline() or "{}")
    if start.get("op") != "start":
        os._exit(0)
    try:
        import base64

        import confine

        confine.copy_inbox()
        confine.confine(seccomp=base64.b64decode(start["seccomp"]), threads=start["threads"])
    except Exception as error:  # noqa: BLE001 - the grader reports it; nothing has run
        say({"op": "failed", "error": describe(error)})
        os._exit(1)
    say({"op": "started"})

    learner = Learner(shell)
    control = control_in.fileno()
    while True:
        readable, _, _ = select.select([control, LINK_FD], [], [])
        if LINK_FD in readable:
            try:
                header, blobs = wire.receive(LINK_FD)
                reply, out = learner.answer(header, blobs)
                try:
                    wire.send(LINK_FD, reply, out)
                except wire.Unencodable as error:
                    wire.send(LINK_FD, {"ok": False, "error": wire.describe_error(error),
                                        "stderr": reply.get("stderr", False)})
            except wire.LinkBroken:
                os._exit(0)  # the judge is gone: the grader ends this sandbox too
        if control in readable:
            line = control_in.readline()
            if not line:
                os._exit(0)
            message = json.loads(line)
            if message.get("op") == "cell":
                say(learner.run_cell(message["code"]))
            else:
                os._exit(0)


if __name__ == "__main__":
    main()
