"""``tonearm export-schema [PATH]``: write the printed schema (SDL) for review and clients."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema.graphql"


def schema_sdl() -> str:
    """The schema as SDL, exactly as ``schema.graphql`` holds it (with a final newline)."""
    from tonearm.schema.build import build_schema

    return str(build_schema()) + "\n"


def export_schema(path: Path) -> Path:
    """Write the SDL to ``path``; returns the path written."""
    path.write_text(schema_sdl(), encoding="utf-8")
    return path


def _cmd_export_schema(args: argparse.Namespace) -> int:
    written = export_schema(Path(args.path))
    print(f"schema written to {written}")
    return 0


def register_export_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add the ``export-schema`` subcommand to the ``tonearm`` CLI."""
    command = subparsers.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    command.add_argument(
        "path",
        nargs="?",
        default=str(DEFAULT_SCHEMA_PATH),
        help="where to write it (default: schema.graphql at the repository root)",
    )
    command.set_defaults(handler=_cmd_export_schema)
