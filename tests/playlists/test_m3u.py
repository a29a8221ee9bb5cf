"""Parsing M3U/M3U8 bytes and where each entry may point (pure: no files, no database)."""

from __future__ import annotations

import pytest

from tonearm.playlists.m3u import (
    OUTSIDE_ROOT,
    M3UEntry,
    entry_target,
    is_playlist_file,
    parse_m3u,
    shown_entry,
)

ROOT = "/srv/music"


def _target(line: bytes, playlist_dir: str = "Lists", *, utf8: bool = False) -> tuple[str, ...]:
    (entry,) = parse_m3u(line, utf8=utf8).entries
    return entry_target(entry, playlist_dir=playlist_dir, media_root=ROOT).candidates


def test_extended_m3u_with_bom_crlf_comments_and_blank_lines() -> None:
    data = (
        b"\xef\xbb\xbf#EXTM3U\r\n#PLAYLIST:Road trip\r\n\r\n# a comment\r\n"
        b"#EXTINF:123,Artist - Title\r\nA/1.mp3\r\n#EXTINF:-1,Stream\r\nB/2.mp3\r\n  \r\nC/3.mp3"
    )

    playlist = parse_m3u(data)

    assert playlist.name == "Road trip"
    assert playlist.encoding == "utf-8"
    assert playlist.entries == (
        M3UEntry("A/1.mp3", b"A/1.mp3", 123.0, "Artist - Title"),
        M3UEntry("B/2.mp3", b"B/2.mp3", None, "Stream"),
        M3UEntry("C/3.mp3", b"C/3.mp3", None, None),
    )


def test_extinf_attributes_and_fractions() -> None:
    (entry,) = parse_m3u(b'#EXTINF:61.5 tvg-id="x",T\na.mp3\n').entries

    assert (entry.duration_seconds, entry.title) == (61.5, "T")


def test_an_m3u_that_is_not_utf8_is_read_as_cp1252_and_keeps_its_bytes() -> None:
    data = "#PLAYLIST:Caf\xe9 \u2013 mix\ncaf\xe9.mp3\n".encode("cp1252")

    playlist = parse_m3u(data)

    assert playlist.encoding == "cp1252"
    assert playlist.name == "Caf\xe9 \u2013 mix"
    assert playlist.entries[0].location == "caf\xe9.mp3"
    assert playlist.entries[0].raw == b"caf\xe9.mp3"


def test_bytes_cp1252_leaves_undefined_fall_back_to_latin1() -> None:
    assert parse_m3u(b"\x81\xe9.mp3\n").encoding == "latin-1"


def test_an_m3u_in_utf8_is_utf8() -> None:
    assert parse_m3u("caf\xe9.mp3\n".encode()).entries[0].location == "caf\xe9.mp3"


def test_an_m3u8_keeps_bytes_that_are_not_utf8_as_surrogate_escapes() -> None:
    (entry,) = parse_m3u(b"caf\xe9.mp3\n", utf8=True).entries

    assert entry.location == "caf\udce9.mp3"


def test_relative_entries_are_relative_to_the_playlist_folder_and_normalised() -> None:
    assert _target(b"A/1.mp3") == ("Lists/A/1.mp3",)
    assert _target(b"./A/../B/./2.mp3") == ("Lists/B/2.mp3",)
    assert _target(b"../Albums/3.mp3") == ("Albums/3.mp3",)
    assert _target(b"1.mp3", "") == ("1.mp3",)


@pytest.mark.parametrize(
    "line",
    [
        b"../../etc/passwd",
        b"../../../x.mp3",
        b"..",
        b"/etc/passwd",
        b"/srv/musicx/a.mp3",
        b"file:///etc/passwd",
        b"..\\..\\etc\\passwd",
        b"C:\\x\\..\\..\\y.mp3",
    ],
)
def test_entries_outside_the_media_root_point_nowhere(line: bytes) -> None:
    (entry,) = parse_m3u(line).entries

    target = entry_target(entry, playlist_dir="Lists", media_root=ROOT)

    assert all(not c.startswith(("/", "../")) and c != ".." for c in target.candidates)
    assert target.problem == OUTSIDE_ROOT


def test_absolute_paths_inside_the_root_and_file_urls() -> None:
    assert _target(b"/srv/music/A/1.mp3") == ("A/1.mp3",)
    assert _target(b"/srv/music/A/../B/2.mp3") == ("B/2.mp3",)
    assert _target(b"file:///srv/music/A/caf%C3%A9%20x.mp3") == ("A/caf\xe9 x.mp3",)
    assert _target(b"file://localhost/srv/music/A/1.mp3") == ("A/1.mp3",)
    # Percent-encoded Latin-1: the exact bytes of a name that is not UTF-8 on disk.
    assert _target(b"file:///srv/music/caf%E9.mp3") == ("caf\udce9.mp3",)


def test_a_latin1_file_tries_the_utf8_name_then_the_bytes_of_the_line() -> None:
    assert _target("caf\xe9.mp3".encode("latin-1"), "") == ("caf\xe9.mp3", "caf\udce9.mp3")


def test_windows_separators_and_drive_letters() -> None:
    assert _target(b"..\\Music\\a.mp3")[-1] == "Music/a.mp3"
    assert _target(b"D:\\Music\\A\\1.mp3") == ("Music/A/1.mp3", "A/1.mp3", "1.mp3")
    assert _target(b"\\\\nas\\share\\A\\1.mp3") == ("A/1.mp3", "1.mp3")
    assert _target(b"file:///C:/Music/A/1.mp3") == ("Music/A/1.mp3", "A/1.mp3", "1.mp3")


def test_urls_of_other_schemes_are_not_local_files() -> None:
    (entry,) = parse_m3u(b"https://user:secret@radio.example/live?token=abc\n").entries

    target = entry_target(entry, playlist_dir="", media_root=ROOT)

    assert target.candidates == ()
    assert target.problem == "not a local file (https URL)"
    assert shown_entry(entry, media_root=ROOT) == "https://radio.example/live"


def test_a_file_url_of_another_machine_is_not_local() -> None:
    (entry,) = parse_m3u(b"file://nas/share/a.mp3\n").entries

    assert entry_target(entry, playlist_dir="", media_root=ROOT).candidates == ()


def test_shown_entries_never_name_a_path_of_this_machine() -> None:
    def shown(line: bytes) -> str:
        (entry,) = parse_m3u(line).entries
        return shown_entry(entry, media_root=ROOT)

    assert shown(b"/srv/music/A/missing.mp3") == "A/missing.mp3"
    assert shown(b"/home/someone/secret/x.mp3") == "\u2026/x.mp3"
    assert shown(b"file:///home/someone/x.mp3") == "\u2026/x.mp3"
    assert shown(b"A/bad\x1b[31m.mp3") == "A/bad\ufffd[31m.mp3"


def test_playlist_file_names() -> None:
    assert is_playlist_file("mix.m3u")
    assert is_playlist_file("Mix.M3U8")
    assert not is_playlist_file(".m3u")
    assert not is_playlist_file("mix.pls")


def test_an_entry_longer_than_any_path_is_not_looked_up() -> None:
    (entry,) = parse_m3u(b"a/" * 2049 + b"x.mp3").entries

    assert entry_target(entry, playlist_dir="", media_root=ROOT).problem == "too long to be a path"
