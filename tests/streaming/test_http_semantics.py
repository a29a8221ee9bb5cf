"""RFC 9110 behaviour of the stream route: ranges, conditionals, HEAD, headers (in process)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from email.utils import formatdate

import httpx
import pytest

from tests.streaming.conftest import LONG, NON_ASCII, SHORT, Library
from tonearm.streaming.responses import (
    RangeNotSatisfiable,
    StreamResponse,
    etag_for,
    parse_range,
)


def _etag_and_date(library: Library, rel: str) -> tuple[str, str]:
    info = os.stat(library.path(rel))
    return (etag_for(info), formatdate(int(info.st_mtime), usegmt=True))


def parse_multipart(response: httpx.Response) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart/byteranges body into (headers, content) parts, strictly."""
    match = re.fullmatch(r"multipart/byteranges; boundary=(\w+)", response.headers["content-type"])
    assert match, response.headers["content-type"]
    delimiter = b"--" + match.group(1).encode()
    body = response.content
    assert body.endswith(delimiter + b"--")
    parts = []
    for chunk in body[: -len(delimiter) - 2].split(delimiter)[1:]:
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        assert content.endswith(b"\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n"))
        parts.append((fields, content[:-2]))
    return parts


async def test_full_get_sends_the_whole_file_with_representation_headers(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)
    etag, last_modified = _etag_and_date(library, SHORT)

    response = await client.get(url_for(SHORT))

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == etag
    assert response.headers["last-modified"] == last_modified
    assert response.headers["content-disposition"] == 'inline; filename="Artist One - Short.mp3"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-range" not in response.headers


async def test_head_sends_the_same_headers_and_no_body(
    client: httpx.AsyncClient, url_for: Callable[..., str]
) -> None:
    url = url_for(SHORT)
    get = await client.get(url)

    head = await client.head(url)

    assert head.status_code == 200
    assert head.content == b""
    for name in (
        "content-length",
        "content-type",
        "accept-ranges",
        "etag",
        "last-modified",
        "content-disposition",
        "cache-control",
    ):
        assert head.headers[name] == get.headers[name]


async def test_head_ignores_range(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    response = await client.head(url_for(SHORT), headers={"Range": "bytes=0-9"})

    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(library.data(SHORT)))
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=100-199", 100, 200),
        ("bytes=100-", 100, None),
        ("bytes=-300", -300, None),
        ("bytes=0-0", 0, 1),
        ("BYTES = 5-9", 5, 10),
    ],
    ids=["first-last", "open-ended", "suffix", "one-byte", "case-and-spaces"],
)
async def test_single_range_is_206_with_exact_content_range(  # noqa: PLR0917 - fixtures
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    header: str,
    start: int,
    stop: int | None,
) -> None:
    data = library.data(SHORT)
    expected = data[start:stop]
    first = start if start >= 0 else len(data) + start

    response = await client.get(url_for(SHORT), headers={"Range": header})

    assert response.status_code == 206
    assert response.content == expected
    assert response.headers["content-range"] == (
        f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    )
    assert response.headers["content-length"] == str(len(expected))
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["accept-ranges"] == "bytes"


async def test_range_end_past_the_file_is_clamped(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=10-999999999"})

    assert response.status_code == 206
    assert response.content == data[10:]
    assert response.headers["content-range"] == f"bytes 10-{len(data) - 1}/{len(data)}"


async def test_suffix_longer_than_the_file_is_the_whole_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=-99999999"})

    assert response.status_code == 206
    assert response.content == data
    assert response.headers["content-range"] == f"bytes 0-{len(data) - 1}/{len(data)}"


@pytest.fixture
def small_reads(monkeypatch: pytest.MonkeyPatch) -> int:
    """Make a read piece small, so the long track spans many pieces."""
    monkeypatch.setattr(StreamResponse, "chunk_size", 64 * 1024)
    return 64 * 1024


async def test_range_larger_than_one_read_is_streamed_in_pieces(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, small_reads: int
) -> None:
    data = library.data(LONG)
    assert len(data) > 3 * small_reads

    response = await client.get(url_for(LONG), headers={"Range": "bytes=1000-"})

    assert response.status_code == 206
    assert response.content == data[1000:]
    assert response.headers["content-length"] == str(len(data) - 1000)


async def test_multiple_ranges_are_a_multipart_byteranges_206(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)
    size = len(data)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=0-9, 100-199, -5"})

    assert response.status_code == 206
    assert response.headers["content-length"] == str(len(response.content))
    parts = parse_multipart(response)
    assert [content for _, content in parts] == [data[0:10], data[100:200], data[-5:]]
    assert [fields["Content-Range"] for fields, _ in parts] == [
        f"bytes 0-9/{size}",
        f"bytes 100-199/{size}",
        f"bytes {size - 5}-{size - 1}/{size}",
    ]
    assert all(fields["Content-Type"] == "audio/mpeg" for fields, _ in parts)


async def test_large_multipart_is_streamed_and_byte_exact(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, small_reads: int
) -> None:
    data = library.data(LONG)
    last = len(data) - 1

    response = await client.get(url_for(LONG), headers={"Range": f"bytes=0-299999,{last - 9}-"})

    assert response.status_code == 206
    assert response.headers["content-length"] == str(len(response.content))
    assert [content for _, content in parse_multipart(response)] == [data[:300000], data[-10:]]


async def test_overlapping_ranges_are_merged(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=200-299,0-9,250-399"})

    assert response.status_code == 206
    assert [content for _, content in parse_multipart(response)] == [data[0:10], data[200:400]]


async def test_unsatisfiable_parts_of_a_range_set_are_dropped(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)

    response = await client.get(url_for(SHORT), headers={"Range": f"bytes=0-9,{len(data) + 10}-"})

    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 0-9/{len(data)}"
    assert response.content == data[:10]


@pytest.mark.parametrize(
    "header", ["bytes={size}-", "bytes={size}-{more}", "bytes=-0", "bytes={more}-,-0"]
)
async def test_unsatisfiable_range_is_416_with_the_size(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, header: str
) -> None:
    size = len(library.data(SHORT))

    response = await client.get(
        url_for(SHORT), headers={"Range": header.format(size=size, more=size + 100)}
    )

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{size}"
    assert response.content == b""


@pytest.mark.parametrize(
    "header",
    [
        "bytes=abc",
        "bytes=9-3",
        "bytes=0-1,x",
        "bytes=",
        "bytes 0-1",
        "bytes=--1",
        "bytes=1_0-20",
        "bytes=+1-2",
        "items=0-1",
        "none",
    ],
)
async def test_invalid_range_or_unknown_unit_sends_the_whole_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, header: str
) -> None:
    response = await client.get(url_for(SHORT), headers={"Range": header})

    assert response.status_code == 200
    assert response.content == library.data(SHORT)
    assert "content-range" not in response.headers


async def test_too_many_ranges_send_the_whole_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(101))

    response = await client.get(url_for(SHORT), headers={"Range": header})

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_if_range_with_the_current_etag_serves_the_range(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    etag, _ = _etag_and_date(library, SHORT)

    response = await client.get(url_for(SHORT), headers={"Range": "bytes=0-9", "If-Range": etag})

    assert response.status_code == 206
    assert response.content == library.data(SHORT)[:10]


@pytest.mark.parametrize("if_range", ['"stale"', "W/{etag}"])
async def test_if_range_with_another_or_weak_etag_sends_the_whole_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, if_range: str
) -> None:
    etag, _ = _etag_and_date(library, SHORT)

    response = await client.get(
        url_for(SHORT), headers={"Range": "bytes=0-9", "If-Range": if_range.format(etag=etag)}
    )

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_if_range_with_the_last_modified_date_serves_the_range(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    _, last_modified = _etag_and_date(library, SHORT)

    response = await client.get(
        url_for(SHORT), headers={"Range": "bytes=0-9", "If-Range": last_modified}
    )

    assert response.status_code == 206
    assert response.content == library.data(SHORT)[:10]


async def test_if_range_with_an_older_date_sends_the_whole_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    mtime = int(os.stat(library.path(SHORT)).st_mtime)

    response = await client.get(
        url_for(SHORT),
        headers={"Range": "bytes=0-9", "If-Range": formatdate(mtime - 60, usegmt=True)},
    )

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
async def test_if_none_match_hit_is_304_without_body(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    if_none_match: str,
) -> None:
    etag, last_modified = _etag_and_date(library, SHORT)

    response = await client.get(
        url_for(SHORT),
        headers={"If-None-Match": if_none_match.format(etag=etag), "Range": "bytes=0-9"},
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["last-modified"] == last_modified
    assert response.headers["cache-control"].startswith("private, max-age=")
    assert "content-length" not in response.headers or response.headers["content-length"] == "0"


async def test_if_none_match_miss_sends_the_file_even_if_not_modified_since(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    _, last_modified = _etag_and_date(library, SHORT)

    response = await client.get(
        url_for(SHORT), headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    )

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_if_modified_since_not_modified_is_304(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    _, last_modified = _etag_and_date(library, SHORT)

    response = await client.head(url_for(SHORT), headers={"If-Modified-Since": last_modified})

    assert response.status_code == 304
    assert response.content == b""


async def test_if_modified_since_before_last_modification_sends_the_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    mtime = int(os.stat(library.path(SHORT)).st_mtime)

    response = await client.get(
        url_for(SHORT), headers={"If-Modified-Since": formatdate(mtime - 1, usegmt=True)}
    )

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_cache_lifetime_never_exceeds_the_token(
    client: httpx.AsyncClient, url_for: Callable[..., str]
) -> None:
    minted_at = time.time() - 3600
    url = url_for(SHORT, now=minted_at)
    remaining = (int(minted_at) + 6 * 3600) - time.time()

    response = await client.get(url)

    match = re.fullmatch(r"private, max-age=(\d+)", response.headers["cache-control"])
    assert match
    assert remaining - 5 <= int(match.group(1)) <= remaining


async def test_non_ascii_title_gets_an_ascii_fallback_and_a_utf8_filename(
    client: httpx.AsyncClient, url_for: Callable[..., str]
) -> None:
    response = await client.head(url_for(NON_ASCII))

    assert response.headers["content-disposition"] == (
        'inline; filename="Mirela Durkova - Nocturne fur Elise.mp3"; '
        "filename*=UTF-8''Mirela%20%C4%8Eurkov%C3%A1%20-%20Nocturne%20f%C3%BCr%20%C3%89lise.mp3"
    )


async def test_other_methods_are_not_allowed(
    client: httpx.AsyncClient, url_for: Callable[..., str]
) -> None:
    response = await client.post(url_for(SHORT))

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {"error": "method_not_allowed"}


@pytest.mark.parametrize("if_match", ["{etag}", '"other", {etag}', "*"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_if_match_that_holds_serves_the_file(
    client: httpx.AsyncClient,
    url_for: Callable[..., str],
    library: Library,
    if_match: str,
    method: str,
) -> None:
    etag, _ = _etag_and_date(library, SHORT)

    response = await client.request(
        method, url_for(SHORT), headers={"If-Match": if_match.format(etag=etag)}
    )

    assert response.status_code == 200
    assert response.headers["etag"] == etag
    assert response.content == (library.data(SHORT) if method == "GET" else b"")


@pytest.mark.parametrize("if_match", ['"stale"', "W/{etag}", "not-an-etag", ""])
async def test_if_match_that_fails_is_412(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library, if_match: str
) -> None:
    etag, _ = _etag_and_date(library, SHORT)

    response = await client.get(url_for(SHORT), headers={"If-Match": if_match.format(etag=etag)})

    assert response.status_code == 412
    assert response.json() == {"error": "precondition_failed"}
    assert response.headers["cache-control"] == "no-store"
    assert "content-range" not in response.headers


async def test_if_match_fails_before_a_range_is_considered(
    client: httpx.AsyncClient, url_for: Callable[..., str]
) -> None:
    response = await client.get(
        url_for(LONG), headers={"If-Match": '"stale"', "Range": "bytes=0-99"}
    )

    assert response.status_code == 412


async def test_if_match_that_holds_keeps_the_range(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    etag, _ = _etag_and_date(library, LONG)

    response = await client.get(url_for(LONG), headers={"If-Match": etag, "Range": "bytes=10-19"})

    assert response.status_code == 206
    assert response.content == library.data(LONG)[10:20]


async def test_if_unmodified_since_after_the_last_change_serves_the_file(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    _, last_modified = _etag_and_date(library, SHORT)

    same = await client.get(url_for(SHORT), headers={"If-Unmodified-Since": last_modified})
    later = await client.get(
        url_for(SHORT), headers={"If-Unmodified-Since": formatdate(time.time() + 60, usegmt=True)}
    )

    assert (same.status_code, later.status_code) == (200, 200)
    assert same.content == library.data(SHORT)


async def test_if_unmodified_since_before_the_last_change_is_412(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    info = os.stat(library.path(SHORT))
    before = formatdate(int(info.st_mtime) - 3600, usegmt=True)

    response = await client.get(
        url_for(SHORT), headers={"If-Unmodified-Since": before, "Range": "bytes=0-9"}
    )

    assert response.status_code == 412
    assert response.json() == {"error": "precondition_failed"}


async def test_an_invalid_if_unmodified_since_is_ignored(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    response = await client.get(url_for(SHORT), headers={"If-Unmodified-Since": "yesterday"})

    assert response.status_code == 200
    assert response.content == library.data(SHORT)


async def test_if_match_wins_over_if_unmodified_since(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    etag, _ = _etag_and_date(library, SHORT)
    long_ago = formatdate(0, usegmt=True)

    response = await client.get(
        url_for(SHORT), headers={"If-Match": etag, "If-Unmodified-Since": long_ago}
    )

    assert response.status_code == 200  # RFC 9110 §13.2.2: If-Unmodified-Since is not evaluated


async def test_412_comes_before_304(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    etag, _ = _etag_and_date(library, SHORT)

    response = await client.get(
        url_for(SHORT), headers={"If-Match": '"stale"', "If-None-Match": etag}
    )

    assert response.status_code == 412


async def test_a_range_with_more_digits_than_any_file_is_clamped_not_an_error(
    client: httpx.AsyncClient, url_for: Callable[..., str], library: Library
) -> None:
    data = library.data(SHORT)
    huge = "9" * 5000  # int() of this many digits raises in Python 3.11+

    clamped = await client.get(url_for(SHORT), headers={"Range": f"bytes=0-{huge}"})
    beyond = await client.get(url_for(SHORT), headers={"Range": f"bytes={huge}-"})

    assert clamped.status_code == 206
    assert clamped.headers["content-range"] == f"bytes 0-{len(data) - 1}/{len(data)}"
    assert clamped.content == data
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(data)}"


def test_ranges_are_clamped_sorted_and_merged() -> None:
    assert parse_range("bytes=50-59, 0-9, 5-14, 15-19, -5", 100) == [(0, 20), (50, 60), (95, 100)]
    assert parse_range("bytes=90-200", 100) == [(90, 100)]
    assert parse_range("bytes=-500", 100) == [(0, 100)]
    assert parse_range("bytes=" + ",".join(["0-0"] * 101), 100) is None
    with pytest.raises(RangeNotSatisfiable):
        parse_range("bytes=100-, -0", 100)
