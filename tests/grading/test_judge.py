"""Attacks from an answer cell against the judge / learner split (docs/grading-engine.md).

An attacker has arbitrary code in the learner process: it can read and write all of that
process's memory and descriptors. Each case gives it a wrong answer plus an attack, and checks
that the grade stays what the wrong answer earns, that no hidden test or hidden value reaches
it (a learner that found one would answer right), and that the kernel refuses what it must not
do. Everything runs in the real sandboxes (bubblewrap, seccomp).
"""

import base64

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograder.engine import WITHHELD, notebook_grade
from grading.autograder.notebooks import nbgrader_metadata as meta

SECRET = "HIDDEN_MARKER_42"
SOURCE = new_notebook(cells=[
    new_code_cell("EXPECTED_SHOWN = 4", metadata=meta(locked=True, grade_id="setup")),
    new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
    new_code_cell("assert square(2) == EXPECTED_SHOWN\n### BEGIN HIDDEN TESTS\n"
                  f"_secret = {SECRET!r}\nassert square(7) == 49, _secret\n"
                  "### END HIDDEN TESTS", metadata=meta(grade=True, grade_id="t1", points=6)),
    new_code_cell("assert square(-3) == 9", metadata=meta(grade=True, grade_id="t2", points=4)),
])


def grade(answer: str, *, after: str | None = None):
    """Grade ``answer``; ``after`` is a learner-added cell at the end (it runs after every
    test, as a learner's own cell placed there would)."""
    submission = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    submission.cells[1].source = answer
    if after is not None:
        submission.cells.append(new_code_cell(after))
    return notebook_grade(source=nbformat.writes(SOURCE).encode(),
                          submission=nbformat.writes(submission).encode(), timeout=60)


def feedback_text(result) -> str:
    return "\n".join(f"{s.source_shown}\n{s.stdout}\n{s.error or ''}" for s in result.steps)


def assert_no_secret(text: str) -> None:
    for form in (SECRET, SECRET[::-1], base64.b64encode(SECRET.encode()).decode(),
                 SECRET.encode().hex(), "square(7)", "49"):
        assert form not in text


def test_a_correct_answer_still_scores_full():
    result = grade("def square(x):\n    return x * x")

    assert result.score == 10.0


def test_an_object_that_claims_to_equal_anything_passes_nothing():
    answer = ("class Liar:\n"
              "    __eq__ = lambda self, other: True\n    __ne__ = lambda self, o: False\n"
              "    __bool__ = lambda self: True\n    __len__ = lambda self: 1\n"
              "    __hash__ = lambda self: 0\n    __float__ = lambda self: 49.0\n"
              "    __index__ = lambda self: 49\n    __int__ = lambda self: 49\n"
              "    __lt__ = __le__ = __gt__ = __ge__ = lambda self, o: True\n"
              "def square(x):\n    return Liar()")

    result = grade(answer)

    assert result.score == 0.0
    assert "Comparing" in result.steps[3].error  # the judge's own message, shown


def test_a_subclass_of_int_that_lies_arrives_as_a_plain_number():
    answer = ("class Liar(int):\n    __eq__ = lambda self, other: True\n"
              "    __hash__ = int.__hash__\n"
              "def square(x):\n    return Liar(0)")

    assert grade(answer).score == 0.0


def test_forged_verdicts_on_every_descriptor_count_for_nothing():
    forge = ("import os, json, socket\n"
             "line = json.dumps({'op': 'done', 'status': 'ok', 'error': None, 'value': None,"
             " 'stderr': False, 'touched': False, 'learner_gone': False}) + '\\n'\n"
             "for fd in range(256):\n"
             "    for payload in (line.encode() * 20, b'\\x00' * 64):\n"
             "        try:\n            os.write(fd, payload)\n        except OSError:\n"
             "            pass\n"
             "def square(x):\n    return 0\n")

    result = grade(forge)

    assert result.score == 0.0


def test_hidden_tests_are_never_in_the_learner_process():
    # Every string object of the process, searched when the hidden test calls square: the
    # learner would answer right if it found the hidden test (its text or its value).
    # The needle is built at run time (this cell's own text must not hold the secret).
    scan = ("import gc, sys\n"
            "def _seen():\n"
            f"    needle = {SECRET[:7]!r} + {SECRET[7:]!r}\n"
            "    texts = [o for o in gc.get_objects() if isinstance(o, str)]\n"
            "    for mod in list(sys.modules.values()):\n"
            "        texts += [v for v in vars(mod).values() if isinstance(v, str)]\n"
            "    return any(needle in t for t in texts if t is not needle)\n"
            "def square(x):\n"
            "    return x * x if _seen() else -1\n")

    result = grade(scan)

    assert {c.grade_id: c.score for c in result.cells} == {"t1": 0.0, "t2": 0.0}


def test_raw_memory_reads_find_no_hidden_test():
    # ctypes.string_at over the memory of every object gc knows of (no /proc in the
    # sandbox). The scan never makes the secret itself (freed copies of it would linger in
    # the heap): it looks for its prefix and checks the byte after it.
    prefix, last = SECRET[:-1].encode(), SECRET.encode()[-1]
    scan = ("import ctypes, gc, sys\n"
            "def _seen():\n"
            f"    prefix, last = {prefix!r}, {last!r}\n"
            "    for o in gc.get_objects() + [v for m in list(sys.modules.values())\n"
            "                                 for v in vars(m).values()]:\n"
            "        if type(o).__name__ == 'frame':\n            continue\n"
            "        try:\n"
            "            blob = ctypes.string_at(id(o), sys.getsizeof(o))\n"
            "        except Exception:\n            continue\n"
            "        at = blob.find(prefix)\n"
            "        while at >= 0:\n"
            "            if blob[at + len(prefix):at + len(prefix) + 1] == bytes([last]):\n"
            "                return True\n"
            "            at = blob.find(prefix, at + 1)\n"
            "    return False\n"
            "def square(x):\n    return x * x if _seen() else -1\n")

    assert grade(scan).score == 0.0


@pytest.mark.parametrize("encode", ["t", "t[::-1]", "__import__('base64').b64encode(t.encode())",
                                    "t.encode().hex()"])
def test_nothing_of_the_hidden_test_reaches_feedback(encode):
    # The learner records every argument its code was called with and prints them, encoded,
    # from a cell after the tests and from inside the function (as errors, too).
    answer = ("CALLS = []\n"
              "def square(x):\n"
              "    CALLS.append(repr(x))\n"
              f"    t = ' '.join(CALLS)\n    print({encode})\n"
              f"    raise ValueError(str({encode}))\n")
    after = f"t = ' '.join(CALLS)\nprint({encode})\nraise ValueError(str({encode}))"

    result = grade(answer, after=after)

    assert result.score == 0.0
    text = feedback_text(result)
    assert "7" not in "".join(s.stdout + (s.error or "") for s in result.steps[3:])
    assert_no_secret(text)


@pytest.mark.parametrize("spawn", [
    "import os\nos.fork()",
    "import subprocess\nsubprocess.run(['/bin/true'])",
    "import ctypes\nassert ctypes.CDLL(None).fork() > 0",
    "import ctypes\nlibc = ctypes.CDLL(None)\nfork = ctypes.CFUNCTYPE(ctypes.c_int)("
    "ctypes.cast(libc.fork, ctypes.c_void_p).value)\nassert fork() > 0",
    "import ctypes\nassert ctypes.CDLL(None).syscall(57) > 0",  # SYS_fork
    "import ctypes\nassert ctypes.CDLL(None).syscall(56, 17, 0, 0, 0, 0) > 0",  # clone(SIGCHLD)
    "import ctypes\nassert ctypes.CDLL(None).syscall(58) > 0",  # SYS_vfork
    "import ctypes\nargv = (ctypes.c_char_p * 2)(b'/bin/true', None)\n"
    "assert ctypes.CDLL(None).execv(b'/bin/true', argv) == 0",
    "import ctypes\nassert ctypes.CDLL(None).syscall(101, 16, 1, 0, 0) == 0",  # ptrace attach
])
def test_the_kernel_refuses_new_processes_exec_and_tracing(spawn):
    # A process made would print from its own copy; the attempt itself must fail.
    answer = ("try:\n" + "".join(f"    {line}\n" for line in spawn.splitlines())
              + "    made = True\nexcept Exception:\n    made = False\n"
              "def square(x):\n    return x * x if not made else 0\n")

    assert grade(answer).score == 10.0


def test_a_thread_bomb_hits_the_cap_and_grading_goes_on():
    bomb = ("import threading, time\nmade = 0\n"
            "try:\n    for _ in range(10_000):\n"
            "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
            "        made += 1\nexcept RuntimeError:\n    pass\n"
            "def square(x):\n    return x * x if made < 100 else 0\n")

    result = grade(bomb)

    assert result.score == 10.0


def test_signals_cannot_reach_the_judge():
    kill = ("import os, signal\n"
            "for pid in range(1, 4096):\n"
            "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass\n"
            "def square(x):\n    return x * x\n")

    result = grade(kill)

    # The learner process may well have killed itself (it is pid 2 of its own namespace);
    # what matters is that no test passed because of it, and the judge was never reached.
    # Depending on when the kill lands, the engine sees a dead learner or waits out the
    # cell's time (once in six CI runs, on a loaded machine): both grade it, neither is
    # an error of the judge.
    assert result.score in (0.0, 10.0)
    assert result.status in ("graded", "kernel_died", "timed_out")
    assert not any(cell.passed for cell in result.cells) or result.score == 10.0


def test_a_learner_cannot_replace_the_instructors_values():
    # EXPECTED_SHOWN comes from a locked cell: the judge keeps its own copy.
    answer = "EXPECTED_SHOWN = 0\ndef square(x):\n    return 0\n"

    result = grade(answer)

    assert result.cells[0].score == 0.0


def test_memory_and_disk_together_stay_within_the_limit():
    hog = ("blocks = []\n"
           "try:\n    with open('/tmp/fill', 'wb') as f:\n"
           "        for _ in range(1000):\n            f.write(b'x' * 1024 * 1024)\n"
           "except OSError:\n    pass\n"
           "try:\n    for _ in range(10_000):\n        blocks.append(bytearray(64 * 1024 * 1024))\n"
           "except MemoryError:\n    pass\n"
           "total = len(blocks) * 64\n"
           "def square(x):\n    return x * x if total < 2048 else 0\n")

    assert grade(hog).score == 10.0


# --- Found by a red-team pass against the split (each one once passed a wrong answer) -------


def _graded(source_cells: list, answer: str, *, answer_index: int = 0):
    source = new_notebook(cells=source_cells)
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    submission.cells[answer_index].source = answer
    return notebook_grade(source=nbformat.writes(source).encode(),
                          submission=nbformat.writes(submission).encode(), timeout=60)


MEAN = new_code_cell("def mean(xs):\n    ### BEGIN SOLUTION\n    return sum(xs) / len(xs)\n"
                     "    ### END SOLUTION", metadata=meta(solution=True, grade_id="mean"))


def test_arithmetic_with_the_tests_values_is_not_left_to_learner_objects():
    # The learner would see 30.0 (the expected value) and return 0.0 from __sub__.
    answer = ("class Zero:\n    __sub__ = __rsub__ = __truediv__ = __pow__ = "
              "lambda self, other: 0.0\n"
              "def mean(xs):\n    return Zero()")
    result = _graded([MEAN, new_code_cell(
        "assert abs(mean([10, 20, 60]) - 30.0) < 1e-9",
        metadata=meta(grade=True, grade_id="t", points=2))], answer)

    assert result.score == 0.0
    assert "Arithmetic" in result.steps[1].error


def test_a_module_the_solution_imports_is_the_judges_own():
    # The solution imports numpy as np; the learner binds np to an object that says yes.
    source_answer = new_code_cell(
        "import numpy as np\ndef square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
        "    ### END SOLUTION", metadata=meta(solution=True, grade_id="sq"))
    answer = ("class Yes:\n    def __getattr__(self, name):\n        return Yes()\n"
              "    def __call__(self, *a, **k):\n        return True\n"
              "np = Yes()\ndef square(x):\n    return None")
    result = _graded([source_answer, new_code_cell(
        "assert np.isclose(square(3), 9)", metadata=meta(grade=True, grade_id="t", points=2))],
        answer)

    assert result.score == 0.0


def test_an_instructors_name_is_never_taken_from_the_learner_even_if_its_cell_failed():
    # The locked cell calls learner code first; the learner makes it raise, so the judge's
    # copy never binds EXPECTED: the test must not read the learner's EXPECTED instead.
    cells = [
        new_code_cell("def clean(x):\n    ### BEGIN SOLUTION\n    return x\n"
                      "    ### END SOLUTION\n"
                      "def spread(xs):\n    ### BEGIN SOLUTION\n    return max(xs) - min(xs)\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="a")),
        new_code_cell("data = clean([1, 8])\nEXPECTED = 7", metadata=meta(locked=True,
                                                                          grade_id="setup")),
        new_code_cell("assert spread(data) == EXPECTED",
                      metadata=meta(grade=True, grade_id="t", points=2)),
    ]
    answer = ("def clean(x):\n    raise ValueError('no')\n"
              "data, EXPECTED = [0], 0\ndef spread(xs):\n    return 0")

    result = _graded(cells, answer)

    assert result.score == 0.0
    assert "NameError" in (result.steps[2].error or "")


def test_a_learner_object_cannot_claim_to_be_a_string():
    # The learner's process reports whatever class it likes for a reference.
    answer = ("import gc\n"
              "learner = [o for o in gc.get_objects() if type(o).__name__ == 'Learner'][0]\n"
              "plain = learner.reference\n"
              "def claim(obj):\n    ref = plain(obj)\n    ref['cls'] = ['builtins', 'str']\n"
              "    return ref\n"
              "learner.codec.reference = claim\n"
              "class Fake:\n    startswith = endswith = lambda self, *a: True\n"
              "def greeting(name):\n    return Fake()")
    source_answer = new_code_cell(
        "def greeting(name):\n    ### BEGIN SOLUTION\n    return f'Hello, {name}!'\n"
        "    ### END SOLUTION", metadata=meta(solution=True, grade_id="g"))
    result = _graded([source_answer, new_code_cell(
        "g = greeting('Kim')\nassert isinstance(g, str) and g.startswith('Hello')",
        metadata=meta(grade=True, grade_id="t", points=2))], answer)

    assert result.score == 0.0


def test_exception_names_do_not_carry_hidden_inputs_into_feedback():
    answer = ("SEEN = []\ndef square(x):\n    SEEN.append(x)\n    return 0")
    after = ("raise type('LEAK_' + '_'.join(map(str, SEEN)), (Exception,), {})()")

    result = grade(answer, after=after)

    assert "LEAK_2" not in feedback_text(result)  # the inputs square was called with
    # A withheld cell shows nothing of itself, not even that it failed (one exception name
    # per added cell would spell the inputs out: test_red_midnight.py)
    assert result.steps[-1].error is None
    assert result.steps[-1].stdout == WITHHELD


@pytest.mark.parametrize("line", [
    b'{"op": "done", "status": "error", "error": 123, "stdout": 5}\n',  # wrong types
    b"[" * 200_000 + b"\n",  # too deep for the grader's JSON parser
    b'{"op": "done", "status": "ok", "x": ' + b"9" * 5000 + b"}\n",  # an int too long
])
def test_a_forged_control_line_never_crashes_the_grader(line):
    answer = ("import gc, os\n"
              "control = [o for o in gc.get_objects() if type(o).__name__ == 'Control'][0]\n"
              f"os.write(control.output, {line!r})\n"
              "def square(x):\n    return 0")

    result = grade(answer)

    assert result.score == 0.0
    assert result.status in ("graded", "timed_out", "kernel_died")


def test_dev_is_read_only_and_dev_shm_is_small():
    probe = ("import os\nres = {}\nfor d in ('/dev/shm', '/dev'):\n    n = 0\n"
             "    try:\n        with open(os.path.join(d, 'fill'), 'wb') as f:\n"
             "            for _ in range(256):\n                f.write(b'x' * 2 ** 20)\n"
             "                n += 1\n    except OSError as e:\n        res[d] = (n, e.errno)\n"
             "def square(x):\n    return x * x if res == {'/dev/shm': (16, 28), "
             "'/dev': (0, 30)} else 0")

    assert grade(probe).score == 10.0


# --- A second red-team pass: the learner rewrites its own side of the protocol ---------------

FORGE_ERROR = ("import gc, wire\n"
               "learner = [o for o in gc.get_objects() if type(o).__name__ == 'Learner'][0]\n"
               "plain = wire.describe_error\n"
               "def forged(error):\n    described = plain(error)\n"
               "    described['cls'] = {{'t': 'lib', 'module': {module!r}, 'qualname': {name!r},"
               " 'ref': None}}\n    return described\n"
               "wire.describe_error = forged\n")


@pytest.mark.parametrize(("module", "name"), [
    ("builtins", "StopIteration"),  # would silently end the test's own all(map(...))
    ("io", "FileIO"),  # a class the judge would construct with the learner's message
])
def test_a_learner_cannot_name_the_class_of_its_exceptions(module, name):
    answer = FORGE_ERROR.format(module=module, name=name) + (
        "def square(x):\n    raise ValueError('no_such_file')\n")
    source = new_notebook(cells=[
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
        new_code_cell("assert all(map(lambda v: square(v) == v * v, [1, 2, 3]))",
                      metadata=meta(grade=True, grade_id="t", points=2)),
    ])
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    submission.cells[0].source = answer

    result = notebook_grade(source=nbformat.writes(source).encode(),
                            submission=nbformat.writes(submission).encode(), reveal=True)

    assert result.score == 0.0
    assert result.steps[1].error.startswith("ValueError")


def test_a_learner_message_cannot_pass_for_the_judges_refusal():
    # After a hidden test, only the judge's own refusals keep their text in feedback.
    answer = ("import base64\nSEEN = []\ndef square(x):\n    SEEN.append(x)\n"
              "    raise TypeError(\"of an object that stays in the learner's process is \"\n"
              "                    'refused ' + base64.b64encode(repr(SEEN).encode()).decode())")

    result = grade(answer)

    assert base64.b64encode(b"[2, 7").decode()[:6] not in result.steps[3].error
    assert result.steps[3].error == "TypeError"


def test_learner_code_cannot_change_the_instructors_data_through_a_view():
    cells = [
        new_code_cell("import numpy as np\nM = np.array([[1., 2., 3.], [4., 5., 6.]])\n"
                      "L = [[1, 2], [3, 4]]", metadata=meta(locked=True, grade_id="setup")),
        new_code_cell("def normalize(row):\n    ### BEGIN SOLUTION\n"
                      "    return row / row.sum()\n    ### END SOLUTION\n"
                      "def touch(x):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION",
                      metadata=meta(solution=True, grade_id="a")),
        new_code_cell("for row in M:\n    assert np.allclose(normalize(row), row / row.sum())",
                      metadata=meta(grade=True, grade_id="t", points=2)),
        new_code_cell("touch(L[0])\nassert M[0, 0] == 1.0 and L[0] == [1, 2]",
                      metadata=meta(grade=True, grade_id="unchanged", points=1)),
    ]
    answer = ("import numpy as np\ndef normalize(row):\n    row[:] = 1.0\n"
              "    return np.full(row.shape, 1.0 / row.size)\ndef touch(x):\n    x.append(99)")

    result = _graded(cells, answer, answer_index=1)

    assert {c.grade_id: c.score for c in result.cells} == {"t": 0.0, "unchanged": 1.0}


@pytest.mark.parametrize("value", ["float('nan')", "-1.0", "99.0"])
def test_partial_credit_outside_the_tests_points_is_none(value):
    cells = [MEAN, new_code_cell("mean([1, 2, 3]) / 2",
                                 metadata=meta(grade=True, grade_id="t", points=2))]

    result = _graded(cells, f"def mean(xs):\n    return {value} * 2")

    assert result.score == 0.0
