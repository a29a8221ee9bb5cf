"""Resolving linked fields through the request's DataLoaders, at once when possible.

Every field that follows a link (a track's album and artists, an album's artists, tracks
and cover, an artist's cover) goes through a DataLoader, so a page costs one query per
kind of link whatever its size. A field whose value a loader already holds resolves
synchronously (``load_then``): graphql-core then makes no task for it, which is most of
what a page of fifty albums with artists and covers would otherwise cost.

So that the values are already held, a list resolver looks ahead at what its query selects
on the rows (``node_selection``) and fetches those links for the whole page before it
returns (``prefetch_tracks``, ``prefetch_albums``, ``prefetch_artists``): the same one
query per kind that the loaders would have made, just earlier. What is not selected is not
fetched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import strawberry
from graphql.pyutils import AwaitableOrValue
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from tonearm.db.models import AlbumRecord, ArtistRecord, TrackRecord
from tonearm.schema.context import Context, Loader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")

# Field names selected below a field, by GraphQL name, fragments merged in.
Selection = dict[str, "Selection"]


def load_then(loader: Loader[K, V], key: K, convert: Callable[[V], R]) -> AwaitableOrValue[R]:
    """``convert`` of the loader's value for ``key``: at once when it is held, else later."""
    done = loader.answered(key)
    if done is not None:
        return convert(done.result())
    return _converted(loader.load(key), convert)


async def _converted(pending: Awaitable[V], convert: Callable[[V], R]) -> R:
    return convert(await pending)


async def settled(value: AwaitableOrValue[R]) -> R:
    """The value of a ``load_then`` result, awaiting it if need be."""
    if isinstance(value, Awaitable):
        result: R = await value
        return result
    return value


def selection_of(info: strawberry.Info[Context, None]) -> Selection:
    """What the query selects below the field being resolved."""
    tree: Selection = {}
    _merge(info.selected_fields, tree)
    return next(iter(tree.values()), {})


def node_selection(info: strawberry.Info[Context, None]) -> Selection:
    """What the query selects on the nodes of the connection being resolved."""
    return selection_of(info).get("edges", {}).get("node", {})


def _merge(selections: Iterable[Any], into: Selection) -> None:
    for selection in selections:
        if isinstance(selection, SelectedField):
            _merge(selection.selections, into.setdefault(selection.name, {}))
        elif isinstance(selection, FragmentSpread | InlineFragment):
            _merge(selection.selections, into)


async def _fetch(loader: Loader[K, V], keys: Iterable[K]) -> list[V]:
    return list(await loader.load_many(list(dict.fromkeys(keys))))


async def prefetch_tracks(
    context: Context, tracks: Sequence[TrackRecord], wanted: Selection
) -> None:
    """Fetch what ``wanted`` follows from these tracks: albums, artists, covers."""
    album_wanted = wanted.get("album")
    albums: list[AlbumRecord | None] = []
    if album_wanted is not None or "coverArt" in wanted:
        album_ids = (track.album_id for track in tracks if track.album_id is not None)
        albums = await _fetch(context.album_loader, album_ids)
    if "artists" in wanted:
        await _fetch(context.track_artists_loader, (track.id for track in tracks))
    found = [album for album in albums if album is not None]
    if album_wanted is not None:
        await prefetch_albums(context, found, album_wanted)
    if "coverArt" in wanted:
        await _fetch(context.artwork_loader, (a.artwork_hash for a in found if a.artwork_hash))


async def prefetch_albums(
    context: Context, albums: Sequence[AlbumRecord], wanted: Selection
) -> None:
    """Fetch what ``wanted`` follows from these albums: artists, covers, tracks."""
    if "artists" in wanted:
        await _fetch(context.album_artists_loader, (album.id for album in albums))
    if "coverArt" in wanted:
        hashes = (album.artwork_hash for album in albums if album.artwork_hash)
        await _fetch(context.artwork_loader, hashes)
    tracks_wanted = wanted.get("tracks")
    if tracks_wanted is not None:
        track_lists = await _fetch(context.album_tracks_loader, (album.id for album in albums))
        tracks = [track for found in track_lists for track in found or []]
        await prefetch_tracks(context, tracks, tracks_wanted)


async def prefetch_artists(
    context: Context, artists: Sequence[ArtistRecord], wanted: Selection
) -> None:
    """Fetch the covers of these artists when ``wanted`` selects them."""
    if "coverArt" not in wanted:
        return
    without = [artist.id for artist in artists if artist.artwork_hash is None]
    newest = await _fetch(context.artist_cover_loader, without)
    own = (artist.artwork_hash for artist in artists if artist.artwork_hash)
    await _fetch(context.artwork_loader, [*own, *(h for h in newest if h)])
