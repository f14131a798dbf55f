"""The tests' own layout: shared helpers come from tests/support, never from conftest or a path hack.

conftest.py is for fixtures and hooks; a test that imports from it, or that puts another folder on
`sys.path` to borrow its helpers, ties itself to how pytest happens to import files. These checks
keep that from coming back.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
THIS_FILE = Path(__file__).resolve()

# Spelled in pieces so this file does not match itself.
FORBIDDEN = ("from " + "conftest import", "import " + "conftest", "sys.path" + ".insert")
IMPORTS_A_TEST_MODULE = re.compile(r"^\s*(from|import)\s+test_\w+", re.MULTILINE)


def _test_tree_files() -> list[Path]:
    """Every text file under tests/ but this one (caches and binaries skipped)."""
    files = []
    for path in sorted(TESTS.rglob("*")):
        if not path.is_file() or path == THIS_FILE or "__pycache__" in path.parts:
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


@pytest.mark.parametrize("forbidden", FORBIDDEN)
def test_no_file_under_tests_reaches_into_conftest_or_sys_path(forbidden: str) -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in _test_tree_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if forbidden in line
    ]
    assert not offenders, f"{forbidden!r} found (import shared helpers from tests.support instead): {offenders}"


def test_no_test_module_imports_another_test_module() -> None:
    offenders = [
        str(path.relative_to(TESTS))
        for path in _test_tree_files()
        if path.suffix == ".py" and IMPORTS_A_TEST_MODULE.search(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"these import another test module (move what they share to tests.support): {offenders}"


def test_helper_modules_live_in_tests_support() -> None:
    """Outside tests/support a Python file is a test module or a conftest, so helpers have one home."""
    support = TESTS / "support"
    strays = [
        str(path.relative_to(TESTS))
        for path in _test_tree_files()
        if path.suffix == ".py"
        and support not in path.parents
        and not path.name.startswith("test_")
        and path.name != "conftest.py"
    ]
    assert not strays, f"move these helpers to tests/support: {strays}"
