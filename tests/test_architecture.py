"""docs/ARCHITECTURE.md's "may import" column is the rule the code follows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_architecture", ROOT / "scripts" / "check_architecture.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_code_imports_only_what_the_table_allows() -> None:
    checker = _checker()

    assert checker.check((ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")) == []


def test_a_forbidden_import_is_reported() -> None:
    checker = _checker()
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    stricter = doc.replace("| db, memo, paths, services", "| db, memo, services", 1)

    problems = checker.check(stricter)

    assert any(
        problem.startswith("tonearm.streaming.files imports tonearm.paths")
        and "streaming may not import paths" in problem
        for problem in problems
    ), problems


def test_a_row_naming_nothing_is_reported() -> None:
    checker = _checker()
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    ghost = doc.replace(
        "| `tonearm/settings.py` |",
        "| `tonearm/ghost.py` | nothing | — |\n| `tonearm/settings.py` |",
        1,
    )

    assert "docs/ARCHITECTURE.md names tonearm.ghost, which does not exist" in checker.check(ghost)
