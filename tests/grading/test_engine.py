"""Grading in the real sandbox (bubblewrap): nbgrader's scores, tampering, limits, failures.

Each case grades a small notebook through ``grading.autograder.engine.notebook_grade`` exactly as
``manage.py grade_notebook`` does, with a real runner process in a real sandbox.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import nbgrader_metadata as meta
from grading.autograder.sandbox.local import Limits

ROOT = Path(__file__).resolve().parents[2]


SOURCE = new_notebook(cells=[
    new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                  "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
    new_code_cell("assert square(2) == 4\n### BEGIN HIDDEN TESTS\nassert square(3) == 9\n"
                  "### END HIDDEN TESTS", metadata=meta(grade=True, grade_id="t1", points=2)),
    new_code_cell("assert square(-1) == 1", metadata=meta(grade=True, grade_id="t2", points=1)),
])


def grade(answer: str, *, source=SOURCE, **kwargs):
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    submission.cells[0].source = answer
    return notebook_grade(source=nbformat.writes(source).encode(),
                          submission=nbformat.writes(submission).encode(), **kwargs)


def scores(result) -> dict:
    return {c.grade_id: c.score for c in result.cells}


def test_a_correct_answer_gets_full_marks():
    result = grade("def square(x):\n    return x ** 2")

    assert (result.status, result.score, result.max_score) == ("graded", 3.0, 3.0)
    assert all(c.passed for c in result.cells)


def test_hidden_tests_count():
    result = grade("def square(x):\n    return x + x")  # right for 2, wrong for 3 and -1

    assert scores(result) == {"t1": 0.0, "t2": 0.0}


def test_output_on_stderr_fails_a_test_as_in_nbgrader():
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[2].source = "import sys\nprint('careful', file=sys.stderr)\nassert True"

    assert scores(grade("def square(x):\n    return x * x", source=source))["t2"] == 0.0


def test_a_trailing_number_is_partial_credit_as_in_nbgrader():
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[1].source = "sum(square(v) == v * v for v in (1, 2)) * 0.5"

    assert scores(grade("def square(x):\n    return 4", source=source))["t1"] == 0.5


@pytest.mark.parametrize("attack", [
    # custom exception handlers and traceback display
    "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "import sys\nsys.excepthook = lambda *a: None\n"
    "get_ipython().showtraceback = lambda *a, **k: None",
    # cell transformers that drop the tests' assertions
    "get_ipython().input_transformers_cleanup.append("
    "lambda lines: [l for l in lines if 'assert' not in l])",
    "import ast\nclass Drop(ast.NodeTransformer):\n    def visit_Assert(self, node):\n"
    "        return ast.Pass()\nget_ipython().ast_transformers.append(Drop())",
    # replacing run_cell
    "from IPython.core.interactiveshell import ExecutionResult, ExecutionInfo\n"
    "ip = get_ipython()\n"
    "ip.run_cell = lambda *a, **k: ExecutionResult(ExecutionInfo(None, False, False, False, None))",
    # making AssertionError harmless by name
    "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {})",
    # replacing the builtins a grader might call
    "import builtins\nbuiltins.exec = lambda *a, **k: None\n"
    "builtins.compile = lambda *a, **k: compile('pass', '<x>', 'exec')\n"
    "builtins.repr = lambda *a: 'full'",
    # forging the reply or the commands through the json module
    "import json\njson.dumps = lambda *a, **k: '{\"status\": \"ok\"}'\n"
    "json.loads = lambda s, *a, **k: {'op': 'cell', 'kind': 'cell', 'code': 'pass', "
    "'nonce': ''}",
    # patching IPython's transformer classes and the runner's own module
    "from IPython.core import inputtransformer2 as t\n"
    "t.TransformerManager.transform_cell = lambda self, cell: 'pass'\n"
    "import sys\nm = sys.modules.get('__main__')\n"
    "for name in ('BLOCKED_EVENTS', '_Capture', 'OUTPUT_CAP', 'json', 'sys', 'ast'):\n"
    "    try:\n        setattr(m, name, None)\n    except Exception:\n        pass",
])
def test_hooks_installed_by_learner_code_cannot_pass_a_failing_test(attack):
    result = grade("def square(x):\n    return 0\n" + attack)

    assert result.score == 0.0


@pytest.mark.parametrize("ending", [
    "import os\nos._exit(0)",
    "import sys\nsys.exit(0)",
    "raise SystemExit",
    "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
])
def test_exiting_or_killing_the_process_scores_nothing(ending):
    result = grade("def square(x):\n    return 0\n" + ending)

    assert result.score == 0.0


def test_a_process_that_dies_is_reported_as_such():
    result = grade("import os\nos._exit(3)")

    assert result.status == "kernel_died"
    assert result.message


def test_an_endless_cell_times_out():
    result = grade("while True:\n    pass", timeout=4, cell_timeout=2)

    assert result.status == "timed_out"
    assert result.score == 0.0


def test_memory_is_limited():
    result = grade("blob = bytearray(2 * 1024 ** 3)\ndef square(x):\n    return x * x",
                   limits=Limits(memory_bytes=512 * 1024 ** 2, disk_bytes=64 * 1024 ** 2))

    assert result.score == 0.0


def test_no_network_and_no_view_of_the_project():
    probe = (
        "import socket\n"
        "try:\n    socket.create_connection(('127.0.0.1', 5432), timeout=1)\n"
        "    network = True\nexcept OSError:\n    network = False\n"
        f"import os\nproject = os.path.exists({str(ROOT / 'lms' / 'settings.py')!r})\n"
        "def square(x):\n    assert not network and not project\n    return x * x"
    )

    assert grade(probe).score == 3.0


def test_processes_cannot_be_started():
    probe = ("import subprocess\ntry:\n    subprocess.run(['true'])\n    spawned = True\n"
             "except Exception:\n    spawned = False\n"
             "def square(x):\n    assert not spawned\n    return x * x")

    assert grade(probe).score == 3.0


def test_cli_prints_one_json_object_and_refuses_unusable_input(tmp_path):
    source = tmp_path / "source.ipynb"
    source.write_text(nbformat.writes(SOURCE))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")

    good = subprocess.run([sys.executable, "manage.py", "grade_notebook", "--source",
                           str(source), "--submission", str(source), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})
    bad = subprocess.run([sys.executable, "manage.py", "grade_notebook", "--source",
                          str(source), "--submission", str(broken), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin"})

    import json

    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["score"] == 3.0
    assert bad.returncode != 0
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert "not JSON" in bad.stderr


def test_cli_grades_with_hidden_data_and_writes_the_feedback_page(tmp_path):
    # The hidden test reads a file only the judge has; the learner's code looks for it too.
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[1].source = source.cells[1].source.replace(
        "### END HIDDEN TESTS", "assert open('expected.txt').read() == '9'\n### END HIDDEN TESTS")
    (tmp_path / "source.ipynb").write_text(nbformat.writes(source))
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    submission.cells[0].source = ("import os\nprint('sees it:', os.path.exists('expected.txt'))"
                                  "\ndef square(x):\n    return x * x")
    (tmp_path / "answer.ipynb").write_text(nbformat.writes(submission))
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / "expected.txt").write_text("9")
    feedback = tmp_path / "feedback.html"

    done = subprocess.run([sys.executable, "manage.py", "grade_notebook", "--source",
                           str(tmp_path / "source.ipynb"), "--submission",
                           str(tmp_path / "answer.ipynb"), "--hidden-data",
                           str(tmp_path / "hidden"), "--feedback", str(feedback), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin"})
    missing = subprocess.run([sys.executable, "manage.py", "grade_notebook", "--source",
                              str(tmp_path / "source.ipynb"), "--submission",
                              str(tmp_path / "answer.ipynb"), "--hidden-data",
                              str(tmp_path / "nowhere"), "--json"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin"})

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 3.0
    page = feedback.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "sees it: False" in page  # the learner's process never had the hidden file
    assert "read() == " not in page  # nor does feedback show the hidden test
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"grade_notebook: --hidden-data {tmp_path / 'nowhere'} is not " \
                             "a directory\n"


def test_the_learners_libraries_and_data_files_are_there(tmp_path):
    (tmp_path / "readings.csv").write_text("machine,temp\nA,20.5\nB,22.5\n")
    answer = (
        "import numpy as np, pandas as pd, sklearn, matplotlib\n"
        "matplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "frame = pd.read_csv('readings.csv')\nplt.plot(frame['temp'])\n"
        "mean_temp = float(np.mean(frame['temp']))\n"
        "def square(x):\n    return x * x"
    )
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[2].source = "assert square(-1) == 1\nassert mean_temp == 21.5"

    result = grade(answer, source=source, data_dir=tmp_path)

    assert result.score == 3.0, result


@pytest.fixture
def pool():
    from grading.autograder.sandbox.local import SandboxPool

    pool = SandboxPool(size=1)
    yield pool
    pool.close()


def test_a_pooled_sandbox_has_imported_what_the_source_imports(pool):
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells.insert(0, new_code_cell("import pandas as pd",
                                         metadata=meta(locked=True, grade_id="setup")))
    answer = ("import sys\npreloaded = 'pandas' in sys.modules\n"
              "def square(x):\n    assert preloaded\n    return x * x")

    assert grade(answer, source=source, pool=pool).score == 3.0
    assert pool.preload == ("pandas",)  # and the pool now makes sandboxes like that one


def test_a_trivial_notebook_gets_a_light_sandbox(pool):
    answer = ("import sys\nheavy = 'sklearn' in sys.modules\n"
              "def square(x):\n    assert not heavy\n    return x * x")

    assert grade(answer, pool=pool).score == 3.0


def test_each_pooled_sandbox_is_used_once(pool):
    first = pool.take()
    second = pool.take()
    try:
        assert first.learner.process.pid != second.learner.process.pid
        assert first.judge.process.pid != second.judge.process.pid
        assert first.learner.workdir != second.learner.workdir
    finally:
        first.kill()
        second.kill()
    assert first.learner.process.poll() is not None
    assert first.judge.process.poll() is not None
    assert not first.learner.workdir.exists()


# --- Attacks from inside a test: learner functions that the tests call ----------------------


def _record_answer(body: str) -> str:
    """An answer whose ``square`` runs ``body`` (the attack) and then answers wrongly; the
    attack's findings are printed by a later plain cell, which feedback would show."""
    return ("import sys, os\nFOUND = []\n"
            "def square(x):\n"
            + "".join(f"    {line}\n" for line in body.splitlines())
            + "    return 0\n")


LEAK_PRINT = "print('LEAK', FOUND)"


def _grade_with_leak_cell(answer: str):
    submission = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    submission.cells[0].source = answer
    submission.cells.append(new_code_cell(LEAK_PRINT))
    return notebook_grade(source=nbformat.writes(SOURCE).encode(),
                          submission=nbformat.writes(submission).encode())


@pytest.mark.parametrize("attack", [
    # the caller's code: constants and names of the (hidden) test
    "try:\n    f = sys._getframe(1)\n    FOUND.append(repr(f.f_code.co_consts))\n"
    "except Exception as e:\n    FOUND.append(type(e).__name__)",
    # through a traceback
    "try:\n    raise ValueError\nexcept ValueError as e:\n"
    "    try:\n        FOUND.append(repr(e.__traceback__.tb_frame.f_back.f_code.co_consts))\n"
    "    except Exception as e2:\n        FOUND.append(type(e2).__name__)",
    # walking further up to whatever runs the test, to release or fill its result
    "f = sys._getframe(0)\nwhile f is not None:\n    FOUND.append(sorted(f.f_locals)[:50])\n"
    "    f = f.f_back",
    # reading the rest of the plan from the runner's input
    "for fd in range(3, 20):\n    try:\n        FOUND.append(os.read(fd, 1 << 16))\n"
    "    except OSError:\n        pass",
    # the process's own memory
    "try:\n    FOUND.append(open('/proc/self/mem', 'rb').read(10))\n"
    "except Exception as e:\n    FOUND.append(type(e).__name__)",
])
def test_a_function_called_by_a_hidden_test_cannot_read_or_tamper_with_it(attack):
    result = _grade_with_leak_cell(_record_answer(attack))

    assert result.score == 0.0
    record = json.dumps(result.as_record())
    assert "square(3) == 9" not in record
    assert "BEGIN HIDDEN" not in record
    assert ", 9" not in record.split("LEAK", 1)[-1]  # the hidden test's constant


@pytest.mark.parametrize("attack", [
    # a test's thread that ends without an exception reaching any hook
    "raise SystemExit",
    # the hook that reports a test's exception, replaced
    "sys.unraisablehook = lambda *a: None\nassert False",
    # a forged reply, written where the runner writes its replies
    "for fd in range(3, 20):\n    try:\n        os.write(fd, b'{\"nonce\": \"x\", \"status\": "
    "\"ok\"}\\n')\n    except OSError:\n        pass",
])
def test_a_test_that_does_not_run_to_its_end_does_not_pass(attack):
    result = _grade_with_leak_cell(_record_answer(attack))

    assert result.score == 0.0


def test_a_lone_surrogate_in_the_output_does_not_break_grading():
    result = grade("print('\\ud800')\ndef square(x):\n    return x * x")

    assert (result.status, result.score) == ("graded", 3.0)


def test_a_background_thread_cannot_steal_the_next_cells():
    answer = ("import threading, os\nSTOLEN = []\n"
              "def steal():\n    for fd in range(3, 20):\n        try:\n"
              "            STOLEN.append(os.read(fd, 1 << 16))\n        except OSError:\n"
              "            pass\nthreading.Thread(target=steal, daemon=True).start()\n"
              "def square(x):\n    return 0")
    submission = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    submission.cells[0].source = answer
    submission.cells.append(new_code_cell("import time\ntime.sleep(0.2)\nprint(STOLEN)"))
    result = notebook_grade(source=nbformat.writes(SOURCE).encode(),
                            submission=nbformat.writes(submission).encode())

    assert result.score == 0.0
    assert "square(3)" not in json.dumps(result.as_record())


def test_a_learner_thread_that_ends_during_a_test_does_not_fail_it():
    """The runner lets a finished cell's threads end before the next step counts its own (a
    passing test was once graded failed when such a thread ended during it)."""
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[1].source = "import time\ntime.sleep(1)\nassert square(2) == 4"

    result = grade("import threading, time\n"
                   "threading.Thread(target=time.sleep, args=(0.3,)).start()\n"
                   "def square(x):\n    return x * x", source=source)

    assert scores(result) == {"t1": 2.0, "t2": 1.0}


# --- Every limit of the sandbox (small values, so that each test stays quick) ---------------


def _answer_output(result) -> str:
    """What the learner's answer cell printed (as feedback would show it)."""
    return next(s.stdout for s in result.steps if s.kind == "answer")


def test_cpu_time_is_limited():
    started = time.monotonic()
    result = grade("while True:\n    pass", limits=Limits(cpu_seconds=2), timeout=30,
                   cell_timeout=30)

    assert result.status == "kernel_died"
    assert time.monotonic() - started < 20  # the rlimit, not the wall clock, stopped it


def test_file_size_is_limited():
    result = grade("try:\n    open('big.bin', 'wb').write(b'x' * 2_000_000)\n"
                   "    print('wrote it')\nexcept OSError as e:\n    print('refused', e.errno)\n"
                   "def square(x):\n    return x * x", limits=Limits(file_bytes=1_000_000))

    assert "refused 27" in _answer_output(result)  # EFBIG


def test_open_files_are_limited():
    result = grade("files = []\ntry:\n    for i in range(200):\n"
                   "        files.append(open(f'f{i}', 'w'))\n    print('opened all')\n"
                   "except OSError as e:\n    print('refused', e.errno)\n"
                   "def square(x):\n    return x * x", limits=Limits(open_files=64))

    assert "refused 24" in _answer_output(result)  # EMFILE


def test_captured_output_is_capped():
    result = grade("print('x' * 1_000_000)\ndef square(x):\n    return x * x")

    assert result.score == 3.0
    assert len(_answer_output(result)) <= 20_000


def test_the_whole_notebook_has_a_wall_clock_limit():
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells.insert(1, new_code_cell("import time\ntime.sleep(1.5)",
                                         metadata=meta(locked=True, grade_id="wait1")))
    source.cells.insert(2, new_code_cell("time.sleep(1.5)",
                                         metadata=meta(locked=True, grade_id="wait2")))
    started = time.monotonic()
    result = grade("def square(x):\n    return x * x", source=source, timeout=2.5,
                   cell_timeout=30)

    assert result.status == "timed_out"
    assert time.monotonic() - started < 15


def test_learner_code_runs_as_nobody_without_secrets_in_a_private_directory():
    first = grade("import os\nopen('mine.txt', 'w').write('secret answer')\n"
                  "print(os.getuid(), os.getcwd(), sorted(os.environ))\n"
                  "def square(x):\n    return x * x")
    second = grade("import os\nprint(sorted(os.listdir('.')), sorted(os.listdir('/tmp')))\n"
                   "def square(x):\n    return x * x")

    uid, cwd, names = _answer_output(first).split(" ", 2)
    assert uid == "65534"
    assert cwd == "/home/grader"
    for secret in ("DJANGO_SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL",
                   "JUPYTERHUB_API_TOKEN"):
        assert secret not in names
    assert "mine.txt" not in _answer_output(second)  # nothing of another submission


@pytest.mark.parametrize("spawn", [
    "import _posixsubprocess, os\n"
    "_posixsubprocess.fork_exec(['/bin/true'], [b'/bin/true'], True, (), None, None, -1, -1,"
    " -1, -1, -1, -1, -1, -1, False, False, None, None, None, -1, None, False)",
    "import ctypes\nassert ctypes.CDLL(None).fork() > 0",
    "import ctypes\nassert ctypes.CDLL(None).syscall(57) > 0",
    "import sys, importlib, subprocess\nsys.modules.pop('_posixsubprocess', None)\n"
    "importlib.import_module('_posixsubprocess')\nsubprocess.run(['/bin/true'])",
])
def test_processes_cannot_be_started_whatever_the_route(spawn):
    # The kernel (seccomp) refuses fork, clone and exec: an attempt raises or returns -1.
    answer = ("try:\n" + "".join(f"    {line}\n" for line in spawn.splitlines())
              + "    spawned = True\nexcept Exception:\n    spawned = False\n"
              "def square(x):\n    assert not spawned\n    return x * x")

    result = grade(answer)

    assert result.score == 3.0, _answer_output(result)


@pytest.mark.parametrize("attack", [
    # the output sink's class, whose methods the runner once called on its own thread
    "import sys\nOut = type(sys.stdout)\n"
    "Out.value = lambda self: (_ for _ in ()).throw(SystemExit)\n"
    "Out.write = lambda self, t: len(t)\nOut.__init__ = lambda self: None",
    # IPython's transformer, which a test with "!=" or "%" once went through
    "from IPython.core.inputtransformer2 import TransformerManager as T\n"
    "T.transform_cell = lambda self, cell: 'pass'\n"
    "T.do_token_transforms = lambda self, lines: ['pass\\n']",
    # builtins the test's own code calls
    "import builtins\nbuiltins.len = lambda *a: 3\nbuiltins.abs = lambda *a: 0\n"
    "builtins.isinstance = lambda *a: True",
    # a new class for the sys module (its attributes then run learner code when read)
    "import sys, types\nclass Spy(types.ModuleType):\n"
    "    def __getattribute__(self, name):\n        return super().__getattribute__(name)\n"
    "sys.__class__ = Spy",
])
def test_learner_code_never_runs_on_the_runners_own_thread(attack):
    source = nbformat.reads(nbformat.writes(SOURCE), as_version=4)
    source.cells[2].source = ("assert square(3) != 10 and len([1]) == 1 and abs(-2) == 2\n"
                              "assert isinstance(square(3), int) and square(3) % 9 == 0\n"
                              "assert square(-1) == 1")

    result = grade("def square(x):\n    return 'wrong'\n" + attack, source=source)

    assert {c.grade_id: c.score for c in result.cells}["t2"] == 0.0


def test_a_background_thread_cannot_open_the_tests_code_for_a_called_function():
    """The hook's guard against its own re-entry is per thread (a shared flag once let
    another thread's lookup slip through)."""
    answer = _record_answer(
        "for _ in range(20000):\n"
        "    try:\n        FOUND.append(repr(sys._getframe(1).f_code.co_consts))\n"
        "        break\n    except Exception:\n        pass")
    answer = ("import threading\nSTOP = []\ndef spin():\n    h = lambda: 0\n"
              "    while not STOP:\n        h.__code__\n"
              "threading.Thread(target=spin, daemon=True).start()\n") + answer

    result = _grade_with_leak_cell(answer)

    assert "9" not in _answer_output(result)
    assert "square(3)" not in json.dumps(result.as_record())
    assert ", 9" not in json.dumps(result.as_record()).split("LEAK", 1)[-1]
