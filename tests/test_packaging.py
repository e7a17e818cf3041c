"""Packaging promises the docs make: every extra they tell a user to install is declared."""

from __future__ import annotations

import re
import tomllib

from sinkledger.config import REPO_ROOT

# `pip install -e ".[scale]"`, `pip install 'sinkledger[scale,test]'`, `.[test]` and the like.
EXTRA = re.compile(r"""(?:\.|sinkledger)\[([A-Za-z0-9_,\- ]+)\]""")


def mentioned_extras() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "pip install" not in line:
                continue
            for group in EXTRA.findall(line):
                for extra in group.split(","):
                    found.setdefault(extra.strip(), set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def test_every_extra_the_docs_mention_is_declared() -> None:
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]
    mentioned = mentioned_extras()
    assert {"test", "scale"} <= set(mentioned)  # the scan finds what README and deployment.md name
    assert {extra: where for extra, where in mentioned.items() if extra not in declared} == {}


def test_the_test_extra_brings_what_the_tests_import() -> None:
    test = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]["test"]
    names = {re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0] for requirement in test}
    assert {"pytest", "hypothesis", "playwright"} <= names
    assert "sinkledger[scale]" in test  # tests/test_parallel_estimates.py runs dask-geopandas


def test_ci_runs_the_readme_test_command_and_its_plugins_are_declared() -> None:
    """CI runs the README's test command verbatim; a plugin its options need (``-n``: pytest-xdist)
    comes with the test extra, so the command works on a fresh machine."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r'^python -m pip install -q -e "\.\[test\]" && (python -m pytest.*)$', readme, re.M)
    assert command, "the README's test command"
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'python -m pip install -q -e ".[test]" && {command.group(1)}\n' in ci
    test = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]["test"]
    names = {re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0] for requirement in test}
    if " -n " in command.group(1):
        assert "pytest-xdist" in names
