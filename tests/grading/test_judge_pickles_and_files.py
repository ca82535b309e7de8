"""The judge's guards on what the learner's process hands it: pickles (only data types and the
libraries' own rebuilding functions, by exact name), in-place write-back (only the arguments
the judge asked about) and files (fetched only where the judge has nothing of its own). The
attacks are in test_red_midnight.py; these check that honest assignments keep working.
Everything runs in the real sandboxes."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import nbgrader_metadata as meta


def _grade(cells: list):
    """Grade the instructor's own solution of the source made of ``cells``."""
    data = nbformat.writes(new_notebook(cells=cells)).encode()
    return notebook_grade(source=data, submission=data, timeout=90)


def _scores(result) -> dict:
    return {s.grade_id: (s.score, s.error) for s in result.steps if s.kind == "test"}


DATA = new_code_cell("import numpy as np\nimport pandas as pd\n"
                     "X = np.array([[0., 1.], [1., 0.], [2., 1.], [3., 0.], [4., 1.], [5., 0.]])\n"
                     "y = np.array([0, 0, 0, 1, 1, 1])",
                     metadata=meta(locked=True, grade_id="data"))


def test_the_libraries_pickles_load_in_the_judge():
    # A model and frames the learner saved with pickle, joblib and pandas, loaded by the
    # tests themselves (pickle.loads of the bytes, joblib.load and pd.read_pickle of the
    # fetched file): the allow-list names every function these pickles use.
    save = ("import pickle, joblib\n"
            "from sklearn.pipeline import make_pipeline\n"
            "from sklearn.preprocessing import StandardScaler\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "from sklearn.neighbors import KNeighborsClassifier\n"
            "from sklearn.ensemble import RandomForestClassifier\n"
            "### BEGIN SOLUTION\n"
            "model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)\n"
            "knn = KNeighborsClassifier(n_neighbors=1, algorithm='kd_tree').fit(X, y)\n"
            "forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)\n"
            "frame = pd.DataFrame({'x': X[:, 0], 'when': pd.date_range('2024-01-01', "
            "periods=6, tz='UTC'), 'kind': pd.Categorical(list('abcabc')), "
            "'n': pd.array([1, None, 3, 4, 5, 6], dtype='Int64')})\n"
            "### END SOLUTION\n"
            "with open('model.pkl', 'wb') as f:\n    pickle.dump(model, f, protocol=2)\n"
            "joblib.dump({'knn': knn, 'forest': forest, 'rng': np.random.RandomState(0)}, "
            "'bundle.joblib')\n"
            "frame.to_pickle('frame.pkl')")
    cells = [
        DATA,
        new_code_cell(save, metadata=meta(solution=True, grade_id="save")),
        new_code_cell("import pickle\nfrom aimd_grading import learner_file\n"
                      "model = pickle.loads(learner_file('model.pkl'))\n"
                      "assert (model.predict(X) == y).all()",
                      metadata=meta(grade=True, grade_id="pickle", points=1)),
        new_code_cell("import joblib\nbundle = joblib.load('bundle.joblib')\n"
                      "assert (bundle['knn'].predict(X) == y).all()\n"
                      "assert bundle['forest'].predict(X).shape == y.shape\n"
                      "assert bundle['rng'].randint(10) == np.random.RandomState(0).randint(10)",
                      metadata=meta(grade=True, grade_id="joblib", points=1)),
        new_code_cell("frame = pd.read_pickle('frame.pkl')\n"
                      "assert list(frame.columns) == ['x', 'when', 'kind', 'n']\n"
                      "assert str(frame['when'].dt.tz) == 'UTC' and frame['n'].isna().sum() == 1\n"
                      "assert list(frame['kind'].cat.categories) == ['a', 'b', 'c']",
                      metadata=meta(grade=True, grade_id="pandas", points=1)),
    ]

    result = _grade(cells)

    assert result.score == 3.0, _scores(result)


def test_a_learner_pickle_naming_a_function_is_refused_by_name():
    # A plain function beyond the exact list (here numpy's own loader, which would unpickle
    # again with no guard) is refused like os.system, whatever library it is in.
    cells = [
        DATA,
        new_code_cell("import pickle\n### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION\n"
                      "class Load:\n    def __reduce__(self):\n"
                      "        return (np.load, ('x.npy',))\n"
                      "with open('evil.pkl', 'wb') as f:\n    pickle.dump(Load(), f)",
                      metadata=meta(solution=True, grade_id="save")),
        new_code_cell("import pickle\nfrom aimd_grading import learner_file\n"
                      "pickle.loads(learner_file('evil.pkl'))",
                      metadata=meta(grade=True, grade_id="t", points=1)),
    ]

    result = _grade(cells)

    score, error = _scores(result)["t"]
    assert score == 0.0
    assert "is refused in the judge" in error, error


def test_a_learner_pickle_cannot_make_a_library_class_that_writes_files():
    # numpy.memmap is numpy's own class, but made by a pickle with mode "w+" it would zero
    # the judge's own data file (an expected array the tests compare with): refused, as are
    # the libraries' other file-writing classes; the judge's data is untouched
    cells = [
        DATA,
        new_code_cell("import pickle\n### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION\n"
                      "class Zero:\n    def __reduce__(self):\n"
                      "        return (np.memmap, ('expected.npy', 'uint8', 'w+', 0, (16,)))\n"
                      "class Store:\n    def __reduce__(self):\n"
                      "        return (pd.HDFStore, ('expected.npy', 'w'))\n"
                      "for name, what in (('zero.pkl', Zero()), ('store.pkl', Store())):\n"
                      "    with open(name, 'wb') as f:\n        pickle.dump(what, f)",
                      metadata=meta(solution=True, grade_id="save")),
        new_code_cell("import pickle\nfrom aimd_grading import learner_file\n"
                      "np.save('expected.npy', np.arange(4))\n"
                      "for name in ('zero.pkl', 'store.pkl'):\n"
                      "    try:\n        pickle.loads(learner_file(name))\n"
                      "    except PermissionError as refused:\n"
                      "        assert 'is refused in the judge' in str(refused)\n"
                      "    else:\n        raise AssertionError(name + ' was loaded')\n"
                      "assert (np.load('expected.npy') == np.arange(4)).all()",
                      metadata=meta(grade=True, grade_id="t", points=1)),
    ]

    result = _grade(cells)

    assert _scores(result)["t"] == (1.0, None)


def test_a_function_that_changes_its_argument_in_place_is_still_seen_to():
    # The write-back the judge asked for (a test's own list and array) still applies.
    cells = [
        new_code_cell("import numpy as np\n"
                      "def scale(values, a):\n    ### BEGIN SOLUTION\n"
                      "    values.append(len(values))\n    a *= 2\n    ### END SOLUTION",
                      metadata=meta(solution=True, grade_id="a")),
        new_code_cell("xs, a = [1], np.ones(3)\nscale(xs, a)\nassert xs == [1, 1]\n"
                      "assert (a == 2).all()",
                      metadata=meta(grade=True, grade_id="t", points=1)),
    ]

    result = _grade(cells)

    assert result.score == 1.0, _scores(result)


def test_a_file_the_learner_writes_again_is_fetched_again():
    # A file fetched once and left as it was in the judge is replaced by the learner's newer
    # copy (the judge's own files and what tests wrote never are: test_red_midnight).
    cells = [
        new_code_cell("def save(n):\n    ### BEGIN SOLUTION\n"
                      "    with open('out/n.txt', 'w') as f:\n        f.write(str(n))\n"
                      "    ### END SOLUTION\nimport os\nos.makedirs('out', exist_ok=True)",
                      metadata=meta(solution=True, grade_id="a")),
        new_code_cell("save(1)\nassert open('out/n.txt').read() == '1'",
                      metadata=meta(grade=True, grade_id="t1", points=1)),
        new_code_cell("save(2)\nassert open('out/n.txt').read() == '2'",
                      metadata=meta(grade=True, grade_id="t2", points=1)),
    ]

    result = _grade(cells)

    assert result.score == 2.0, _scores(result)


def test_a_file_written_by_a_learner_cell_between_tests_is_fetched():
    # The judge cannot see the learner's cells run (the grader sends them to the learner's
    # process): each test starts as if the learner's code may have written files.
    cells = [
        new_code_cell("import pandas as pd\n### BEGIN SOLUTION\nN = 1\n### END SOLUTION",
                      metadata=meta(solution=True, grade_id="a")),
        new_code_cell("import os\nassert not os.path.exists('later.txt')",
                      metadata=meta(grade=True, grade_id="t1", points=1)),
        new_code_cell("### BEGIN SOLUTION\nwith open('later.txt', 'w') as f:\n    f.write('x')\n"
                      "### END SOLUTION", metadata=meta(solution=True, grade_id="b")),
        new_code_cell("assert open('later.txt').read() == 'x'",
                      metadata=meta(grade=True, grade_id="t2", points=1)),
    ]

    result = _grade(cells)

    assert result.score == 2.0, _scores(result)
