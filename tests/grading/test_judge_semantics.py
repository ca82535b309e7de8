"""Honest nbgrader assignments graded through the judge as in plain nbgrader: magics, figures,
in-place changes, exceptions, seeds, files the learner wrote, classes and generators. Each
notebook's own solutions must get full marks, and a wrong answer less (real sandboxes).

What the judge refuses on purpose (comparing, ``len``, ``str`` of learner objects) fails with
a message saying what to do instead; the last cases check those messages."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import nbgrader_metadata as meta


def notebook(solution: str, test: str, *, locked: str | None = None):
    cells = []
    if locked is not None:
        cells.append(new_code_cell(locked, metadata=meta(locked=True, grade_id="setup")))
    cells.append(new_code_cell(solution, metadata=meta(solution=True, grade_id="answer")))
    cells.append(new_code_cell(test, metadata=meta(grade=True, grade_id="t", points=2)))
    return new_notebook(cells=cells)


def graded(source, answer: str | None = None):
    submission = nbformat.reads(nbformat.writes(source), as_version=4)
    if answer is not None:
        next(c for c in submission.cells
             if c.metadata["nbgrader"]["grade_id"] == "answer").source = answer
    result = notebook_grade(source=nbformat.writes(source).encode(),
                            submission=nbformat.writes(submission).encode(), timeout=60,
                            reveal=True)
    return result.score, next(s.error for s in result.steps if s.kind == "test")


CASES = {
    "magics run in the judge's own namespace": (
        "def mean(xs):\n    ### BEGIN SOLUTION\n    return sum(xs) / len(xs)\n"
        "    ### END SOLUTION",
        "%time m = mean([1, 2, 3])\nassert m == 2\n%env MODE=test\nimport os\n"
        "assert os.environ['MODE'] == 'test'",
        None,
        # a wrong answer that also brings its own get_ipython, which must never be asked
        "def mean(xs):\n    return 0\n"
        "class Shell:\n    def run_line_magic(self, *a, **k):\n        return None\n"
        "    run_cell_magic = run_line_magic\n"
        "get_ipython = lambda: Shell()"),
    "%matplotlib inline and the learner's figure": (
        "def plot_line(xs):\n    ### BEGIN SOLUTION\n    fig, ax = plt.subplots()\n"
        "    ax.plot(xs)\n    ax.set_title('Line')\n    return fig\n    ### END SOLUTION",
        "fig = plot_line([1, 2, 3])\nassert plt.gcf() is fig\nax = plt.gca()\n"
        "assert ax.get_title() == 'Line'\nassert len(list(ax.get_lines())) == 1",
        "%matplotlib inline\nimport matplotlib.pyplot as plt",
        "def plot_line(xs):\n    fig, ax = plt.subplots()\n    return fig"),
    "a DataFrame changed in place": (
        "def add_total(df):\n    ### BEGIN SOLUTION\n    df['total'] = df['a'] + df['b']\n"
        "    ### END SOLUTION",
        "d = pd.DataFrame({'a': [1, 2], 'b': [10, 20]})\nadd_total(d)\n"
        "assert d['total'].tolist() == [11, 22]",
        "import pandas as pd",
        "def add_total(df):\n    return df.assign(total=df['a'] + df['b'])"),
    "a learner's exception class, caught by name and by its base": (
        "class ValidationError(ValueError):\n    def __init__(self, field):\n"
        "        super().__init__(f'bad {field}')\n        self.field = field\n"
        "def check(age):\n    ### BEGIN SOLUTION\n    if age < 0:\n"
        "        raise ValidationError('age')\n    return age\n    ### END SOLUTION",
        "try:\n    check(-1)\nexcept ValidationError as e:\n    assert e.field == 'age'\n"
        "else:\n    raise AssertionError('no error')\n"
        "assert issubclass(ValidationError, ValueError)\n"
        "try:\n    check(-5)\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError",
        None,
        "class ValidationError(ValueError):\n    pass\ndef check(age):\n    return age"),
    "the test's seed seeds the learner's generator": (
        "def draw(n):\n    ### BEGIN SOLUTION\n    return np.random.rand(n)\n"
        "    ### END SOLUTION",
        "np.random.seed(3)\nfirst = draw(3)\nnp.random.seed(3)\n"
        "np.testing.assert_allclose(first, np.random.rand(3))",
        "import numpy as np",
        "def draw(n):\n    return np.zeros(n)"),
    "files the learner's code writes, read by the test": (
        "import json\ndef save(obj, path):\n    ### BEGIN SOLUTION\n"
        "    with open(path, 'w') as f:\n        json.dump(obj, f)\n    ### END SOLUTION",
        "import json, os\nsave({'a': 1}, 'o.json')\nassert os.path.exists('o.json')\n"
        "with open('o.json') as f:\n    assert json.load(f) == {'a': 1}",
        None,
        "import json\ndef save(obj, path):\n    pass"),
    "a learner's classes, generators and explicit method calls": (
        "import types\nclass Animal:\n    def __init__(self, name):\n        self.name = name\n"
        "class Dog(Animal):\n    ### BEGIN SOLUTION\n    def speak(self):\n"
        "        return f'{self.name} says woof'\n    def __str__(self):\n"
        "        return f'Dog({self.name})'\n    ### END SOLUTION\n"
        "def countdown(n):\n    ### BEGIN SOLUTION\n    while n > 0:\n        yield n\n"
        "        n -= 1\n    ### END SOLUTION",
        "d = Dog('Rex')\nassert d.speak() == 'Rex says woof'\nassert isinstance(d, Animal)\n"
        "assert issubclass(Dog, Animal)\nfrom aimd_grading import learner_call\n"
        "assert learner_call(d, '__str__') == 'Dog(Rex)'\n"
        "assert vars(d) == {'name': 'Rex'}\ng = countdown(3)\n"
        "assert isinstance(g, types.GeneratorType)\nassert list(g) == [3, 2, 1]",
        None,
        "class Animal:\n    def __init__(self, name):\n        self.name = name\n"
        "class Dog(Animal):\n    def speak(self):\n        return 'woof'\n"
        "def countdown(n):\n    yield from range(n)"),
    # The judge starts IPython's shell only when a test first needs one of its names: until
    # then none of them may be looked up in the learner's process.
    "open, In and Out in a test are the judge's": (
        "def write_report(path):\n    ### BEGIN SOLUTION\n    with open(path, 'w') as f:\n"
        "        f.write('ok')\n    ### END SOLUTION",
        "write_report('report.txt')\nwith open('report.txt') as f:\n"
        "    assert f.read() == 'ok'\nassert isinstance(In, list) and isinstance(Out, dict)",
        None,
        "def write_report(path):\n    pass\n"
        "class Fake:\n    def __enter__(self):\n        return self\n"
        "    def __exit__(self, *a):\n        return False\n"
        "    def read(self):\n        return 'ok'\n"
        "def open(*args, **kwargs):\n    return Fake()\n"
        "In, Out = [], {}"),
}


def test_get_ipython_without_a_magic_is_the_judges_own():
    # A right answer that brings its own get_ipython: the test must get the judge's shell
    # (on the test's own namespace) although no magic started it.
    source = notebook("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                      "    ### END SOLUTION",
                      "ip = get_ipython()\nassert ip.user_ns is globals()\n"
                      "assert double(3) == 6")
    answer = ("def double(x):\n    return 2 * x\n"
              "class Shell:\n    user_ns = {}\nget_ipython = lambda: Shell()")

    score, error = graded(source, answer)

    assert score == 2.0, error


@pytest.mark.parametrize("case", list(CASES))
def test_an_honest_assignment_grades_as_in_nbgrader(case):
    solution, test, locked, wrong = CASES[case]
    source = notebook(solution, test, locked=locked)

    full, error = graded(source)
    partial, _error = graded(source, wrong)

    assert full == 2.0, error
    assert partial == 0.0


@pytest.mark.parametrize(("test", "what"), [
    ("assert str(make()) == 'P(1)'", "str()"),
    ("assert len(make()) == 1", "len()"),
    ("assert make() == make()", "Comparing (==)"),
    ("assert make() + 1 == 2", "Arithmetic"),
])
def test_what_the_judge_refuses_says_what_to_do_instead(test, what):
    source = notebook("class P:\n    def __str__(self):\n        return 'P(1)'\n"
                      "    def __len__(self):\n        return 1\n"
                      "    def __eq__(self, other):\n        return True\n"
                      "    def __add__(self, other):\n        return 2\n"
                      "def make():\n    ### BEGIN SOLUTION\n    return P()\n"
                      "    ### END SOLUTION", test)

    score, error = graded(source)

    assert score == 0.0
    assert what in error
    assert "compare values instead" in error
    assert "aimd_grading.learner_call" in error
