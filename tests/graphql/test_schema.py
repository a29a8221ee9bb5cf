"""The printed schema is committed as schema.graphql; any API change shows up in review."""

from __future__ import annotations

from pathlib import Path

from tonearm.cli import main
from tonearm.schema.build import build_schema
from tonearm.schema.export import DEFAULT_SCHEMA_PATH

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_committed_schema_matches_the_code() -> None:
    committed = (REPO_ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == str(build_schema()) + "\n", (
        "schema.graphql is stale: run `tonearm export-schema`"
    )


def test_default_export_path_is_the_repository_root() -> None:
    assert DEFAULT_SCHEMA_PATH == REPO_ROOT / "schema.graphql"


def test_export_schema_command_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "out.graphql"
    assert main(["export-schema", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == str(build_schema()) + "\n"


def test_schema_never_exposes_file_paths() -> None:
    track_type = build_schema().get_type_by_name("Track")
    assert track_type is not None
    names = {field.python_name for field in track_type.fields}  # type: ignore[union-attr]
    assert "path" not in names
    assert "search_text" not in names


def test_every_field_is_documented() -> None:
    schema = build_schema()._schema
    undocumented = [
        f"{type_name}.{field_name}"
        for type_name, graphql_type in schema.type_map.items()
        if not type_name.startswith("__") and hasattr(graphql_type, "fields")
        for field_name, field in graphql_type.fields.items()
        if not field.description
    ]
    assert undocumented == []
