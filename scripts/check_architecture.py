"""Check that tonearm's imports follow the "may import" column of docs/ARCHITECTURE.md.

    .venv/bin/python scripts/check_architecture.py        (run by ``make lint``)

The modules table is the rule: each row names one or more modules or packages of
``tonearm/`` and what they may import (``—`` for nothing, ``everything above`` for every row
above it, ``pkg.a/b`` for only ``pkg.a`` and ``pkg.b`` of a package; text in parentheses is
a note, not a rule). Every module must belong
to a row, every row must name something that exists, and every import of another row's
module — at the top of a file or inside a function — must be allowed. Exit status 1 lists
the violations.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "ARCHITECTURE.md"
PACKAGE = "tonearm"
_ROW = re.compile(r"^\|(?P<modules>[^|]*)\|(?P<owns>.*)\|(?P<imports>[^|]*)\|\s*$")
_CODE = re.compile(r"`([^`]+)`")
_NOTE = re.compile(r"\([^)]*\)")  # "(…)" in a cell explains; it is not a rule


@dataclass
class Row:
    """One row of the modules table."""

    name: str  # "db", "settings", "cli+server"
    prefixes: tuple[str, ...]  # dotted module prefixes the row covers
    allowed: list[str] = field(default_factory=list)  # dotted prefixes it may import


def _dotted(path: str) -> str:
    return path.strip("/").removesuffix(".py").replace("/", ".")


def parse_table(text: str) -> list[Row]:
    """The rows of the "## Modules" table, with ``everything above`` expanded."""
    section = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    rows: list[Row] = []
    for line in section.splitlines():
        match = _ROW.match(line)
        if not match or not line.startswith("| `"):
            continue
        prefixes = tuple(_dotted(m) for m in _CODE.findall(match["modules"]))
        row = Row("+".join(p.removeprefix(f"{PACKAGE}.") for p in prefixes), prefixes)
        cell = _NOTE.sub("", match["imports"]).strip()
        if cell.startswith("everything above"):
            row.allowed = [p for above in rows for p in above.prefixes]
        elif cell not in ("—", "-", ""):
            for item in (part.strip() for part in cell.split(",")):
                base, _, subs = item.partition(".")
                names = [f"{base}.{sub}" for sub in subs.split("/")] if subs else [base]
                row.allowed += [f"{PACKAGE}.{name}" for name in names]
        rows.append(row)
    return rows


def _covers(prefix: str, module: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _row_of(rows: list[Row], module: str) -> Row | None:
    best: tuple[int, Row] | None = None
    for row in rows:
        for prefix in row.prefixes:
            if _covers(prefix, module) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), row)
    return best[1] if best else None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every ``tonearm.*`` module ``path`` imports, relative imports resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # ``from tonearm.streaming import tokens`` imports the submodule ``tokens``.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if _covers(PACKAGE, name)}


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir()


def check(text: str, root: Path = ROOT / PACKAGE) -> list[str]:
    """The violations of the table in ``text`` by the code under ``root``."""
    rows = parse_table(text)
    problems: list[str] = []
    for row in rows:
        problems += [
            f"docs/ARCHITECTURE.md names {p}, which does not exist"
            for p in row.prefixes
            if not _is_module(p)
        ]
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path)
        if module == PACKAGE:
            continue
        own = _row_of(rows, module)
        if own is None:
            problems.append(f"{module} belongs to no row of docs/ARCHITECTURE.md")
            continue
        for imported in sorted(imports_of(path)):
            if imported == PACKAGE or not _is_module(imported):
                continue  # the package root (``__version__``) or a name, not a module
            target = _row_of(rows, imported)
            if target is None or target is own:
                continue
            if not any(_covers(prefix, imported) for prefix in own.allowed):
                problems.append(
                    f"{module} imports {imported}, but {own.name} may not import {target.name}"
                )
    return problems


def main() -> int:
    """Print the violations; exit 1 when there are any."""
    problems = check(DOC.read_text(encoding="utf-8"))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} import(s) break docs/ARCHITECTURE.md", file=sys.stderr)
        return 1
    print("imports follow docs/ARCHITECTURE.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
