"""The package metadata follows PEP 639, so setuptools builds it without deprecation warnings."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_license_is_an_spdx_string_with_its_file():
    # Given the project's pyproject.toml
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]

    # Then the licence is an SPDX expression (a table is deprecated by setuptools) whose text
    # ships with the package, and the build backend is new enough to read it (setuptools 77).
    assert project["license"] == "Apache-2.0"
    for pattern in project["license-files"]:
        assert list(ROOT.glob(pattern)), pattern
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    requires = " ".join(pyproject["build-system"]["requires"])
    minimum = re.search(r"setuptools>=(\d+)", requires)
    assert minimum
    assert int(minimum.group(1)) >= 77
    assert not any("License ::" in c for c in project.get("classifiers", []))


def test_the_docker_image_copies_the_license_before_installing():
    # Given the Dockerfile's dependency layer (pip install . before the sources are copied)
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    first_install = dockerfile.index("pip install")

    # Then the licence file named by license-files is there when setuptools builds.
    assert re.search(r"^COPY [^\n]*\bLICENSE\b", dockerfile[:first_install], re.MULTILINE)
