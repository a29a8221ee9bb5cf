"""Resolvers of smart playlists: ``createSmartPlaylist`` and ``smartPlaylistPreview``."""

from __future__ import annotations

import strawberry

from tonearm.playlists import service
from tonearm.playlists.queries import compile_rules, compiled_stats, preview_tracks
from tonearm.playlists.rules import InvalidSmartRules, parse_rules
from tonearm.resolvers.playlists import Asked, require_account, run_change, smart_rules_error
from tonearm.schema.context import Context
from tonearm.schema.errors import ErrorCode, api_error
from tonearm.schema.playlist_types import (
    CreateSmartPlaylistResult,
    InvalidPlaylistInputError,
    Playlist,
    SmartPlaylistInput,
    SmartPlaylistPreview,
    SmartPlaylistPreviewResult,
    SmartRulesInput,
)
from tonearm.schema.types import Track

Info = strawberry.Info[Context, None]
MAX_PREVIEW = 100


async def resolve_create_smart_playlist(
    info: Info, input: SmartPlaylistInput
) -> CreateSmartPlaylistResult:
    """Create a smart playlist owned by the viewer (name checked first, then the rules)."""
    require_account(info)
    try:
        service.checked_name(input.name)
        rules = parse_rules(input.rules.to_raw())
    except service.InvalidPlaylistInput as refused:
        return InvalidPlaylistInputError(message=refused.message, field=refused.field)
    except InvalidSmartRules as invalid:
        return smart_rules_error(invalid)
    reader = info.context.reader
    result = await run_change(
        info,
        lambda session: service.create_playlist(
            session,
            reader=reader,
            name=input.name,
            description=input.description,
            is_public=input.is_public,
            rules=rules,
        ),
        Asked(strawberry.ID("")),
        cover=True,
    )
    assert isinstance(result, Playlist | InvalidPlaylistInputError)
    return result


async def resolve_smart_playlist_preview(
    info: Info, rules: SmartRulesInput
) -> SmartPlaylistPreviewResult:
    """What ``rules`` would give the viewer now: counts and the first tracks."""
    try:
        checked = parse_rules(rules.to_raw())
    except InvalidSmartRules as invalid:
        return smart_rules_error(invalid)
    context = info.context
    reader = context.reader
    async with context.db() as session:
        compiled = compile_rules(session, checked, reader.user_id, reader)
        stats = await compiled_stats(session, compiled)

    async def first_tracks(first: int) -> list[Track]:
        if not 0 <= first <= MAX_PREVIEW:
            raise api_error(ErrorCode.BAD_USER_INPUT, f"first must be from 0 to {MAX_PREVIEW}.")
        async with context.db() as session:
            records = await preview_tracks(session, compiled, first=first)
        return [Track.from_record(record) for record in records]

    return SmartPlaylistPreview(
        track_count=stats.track_count,
        duration_seconds=stats.duration_seconds,
        preview_loader=first_tracks,
    )
