"""The probe on real files of every format: stream facts, tags, pictures, refusals.

Fixtures are encoded by Debian's ffmpeg and tagged with mutagen (``tests/support/audio.py``);
no database is involved (``test_scan_formats.py`` scans them on both).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCON, TDOR, TIT2, TPE1, TYER

from tests.support.audio import (
    AUDIO_KINDS,
    MP4_FAMILY,
    SUFFIXES,
    AudioKind,
    Picture,
    encoded_audio,
    id3_tags,
    write_audio,
)
from tonearm.catalog.formats import AudioFormat
from tonearm.library.containers import LARGE_TAG
from tonearm.library.facts import PictureKind, TrackFacts
from tonearm.library.pictures import embedded_picture
from tonearm.library.probe import ProbeError, clean_text, probe_file
from tonearm.library.streams import TRUNCATED

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(40)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(40)
ALBUM_ID = "8E1F9A9C-1234-4ABC-9DEF-0123456789AB"
RECORDING_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

# format, MIME type, sample rate, bit depth, for each kind
EXPECTED: dict[str, tuple[AudioFormat, str, int, int | None]] = {
    "mp3": (AudioFormat.MP3, "audio/mpeg", 44100, None),
    "flac": (AudioFormat.FLAC, "audio/flac", 44100, 16),
    "flac24": (AudioFormat.FLAC, "audio/flac", 44100, 24),
    "vorbis": (AudioFormat.VORBIS, "audio/ogg", 44100, None),
    "opus": (AudioFormat.OPUS, "audio/ogg", 48000, None),
    "aac": (AudioFormat.AAC, "audio/mp4", 44100, None),
    "alac": (AudioFormat.ALAC, "audio/mp4", 44100, 16),
    "wav": (AudioFormat.WAV, "audio/wav", 44100, 16),
    "wav24": (AudioFormat.WAV, "audio/wav", 44100, 24),
}
FULL_TAGS = {
    "title": "Title",
    "artist": ["Artist One", "Artist Two"],
    "album": "Album",
    "albumartist": "Album Artist",
    "albumartists": ["Album Artist", "Second Album Artist"],
    "tracknumber": "3/12",
    "discnumber": "2/2",
    "date": "2001-05-02",
    "genre": ["Rock", "Pop"],
    "composer": ["Composer A", "Composer B"],
    "compilation": "1",
    "discsubtitle": "The Second Disc",
    "musicbrainz_albumid": ALBUM_ID,
    "musicbrainz_trackid": RECORDING_ID,
}


def probe(path: Path) -> TrackFacts:
    return probe_file(path, path.name)


def refusal(path: Path) -> str:
    with pytest.raises(ProbeError) as caught:
        probe(path)
    return caught.value.reason


def file_of(tmp_path: Path, kind: AudioKind, name: str = "track", **options: object) -> Path:
    return write_audio(tmp_path / f"{name}{SUFFIXES[kind]}", kind, **options)  # type: ignore[arg-type]


# --- stream facts --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_each_format_has_its_codec_mime_type_and_stream_facts(
    tmp_path: Path, kind: AudioKind
) -> None:
    facts = probe(file_of(tmp_path, kind, seconds=2.0))

    audio_format, mime_type, sample_rate, bit_depth = EXPECTED[kind]
    assert (facts.format, facts.mime_type) == (audio_format, mime_type)
    assert (facts.sample_rate, facts.channels, facts.bit_depth) == (sample_rate, 2, bit_depth)
    assert facts.duration_seconds == pytest.approx(2.0, abs=0.06)
    assert facts.bitrate is not None
    assert facts.bitrate > 0
    assert facts.title == "track"  # no tags: the file name


def test_aac_and_alac_in_the_same_container_are_told_apart_by_the_codec(tmp_path: Path) -> None:
    aac, alac = probe(file_of(tmp_path, "aac", "a")), probe(file_of(tmp_path, "alac", "b"))

    assert (aac.format, aac.mime_type, aac.bit_depth) == (AudioFormat.AAC, "audio/mp4", None)
    assert (alac.format, alac.mime_type, alac.bit_depth) == (AudioFormat.ALAC, "audio/mp4", 16)


def test_alac_reports_its_real_bitrate_not_the_pcm_rate(tmp_path: Path) -> None:
    path = file_of(tmp_path, "alac", seconds=2.0)

    facts = probe(path)

    assert facts.bitrate is not None
    assert facts.bitrate < 1_411_200  # what mutagen reports for 16-bit stereo at 44.1 kHz
    assert facts.bitrate == pytest.approx(path.stat().st_size * 8 / 2.0, rel=0.05)


def test_vorbis_and_opus_in_the_same_container_are_told_apart_by_mutagen(
    tmp_path: Path,
) -> None:
    vorbis, opus = probe(file_of(tmp_path, "vorbis", "a")), probe(file_of(tmp_path, "opus", "b"))

    assert (vorbis.format, vorbis.mime_type) == (AudioFormat.VORBIS, "audio/ogg")
    assert (opus.format, opus.mime_type) == (AudioFormat.OPUS, "audio/ogg")


def test_an_opus_file_named_ogg_is_still_opus(tmp_path: Path) -> None:
    path = tmp_path / "really opus.ogg"
    path.write_bytes(encoded_audio("opus"))

    assert probe(path).format is AudioFormat.OPUS


def test_a_float_wav_is_accepted_with_its_bit_depth(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    path.write_bytes(encoded_audio("wav", extra=("-c:a", "pcm_f32le")))

    facts = probe(path)

    assert (facts.format, facts.bit_depth, facts.duration_seconds) == (AudioFormat.WAV, 32, 1.0)


@pytest.mark.parametrize(
    ("kind", "extra", "suffix", "reason"),
    [
        ("mp3", ("-c:a", "mp2", "-f", "mp2"), ".mp3", "unsupported codec (MPEG audio layer II)"),
        ("vorbis", ("-c:a", "flac"), ".ogg", "unsupported codec in Ogg"),
        ("aac", ("-c:a", "libmp3lame", "-f", "mp4"), ".m4a", "unsupported codec in MP4 (MP4A.6B)"),
        ("wav", ("-c:a", "adpcm_ms"), ".wav", "unsupported codec in WAV (format 0x0002)"),
        ("aac", ("-f", "adts"), ".aac", "unsupported type audio/x-hx-aac-adts"),
    ],
    ids=["mp2", "ogg-flac", "mp3-in-mp4", "adpcm-wav", "raw-aac"],
)
def test_codecs_tonearm_does_not_serve_are_refused_with_the_codec(
    tmp_path: Path, kind: AudioKind, extra: tuple[str, ...], suffix: str, reason: str
) -> None:
    path = tmp_path / f"odd{suffix}"
    path.write_bytes(encoded_audio(kind, extra=extra))

    assert refusal(path) == reason


# --- tags ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_every_tag_family_gives_the_same_facts(tmp_path: Path, kind: AudioKind) -> None:
    facts = probe(file_of(tmp_path, kind, tags=FULL_TAGS))

    assert (facts.title, facts.album, facts.album_artist) == ("Title", "Album", "Album Artist")
    assert facts.artist == "Artist One; Artist Two"
    assert facts.artists == ("Artist One", "Artist Two")
    assert facts.album_artists == ("Album Artist", "Second Album Artist")
    assert (facts.track_number, facts.disc_number, facts.year) == (3, 2, 2001)
    assert (facts.genre, facts.genres) == ("Rock", ("Rock", "Pop"))
    assert facts.composers == ("Composer A", "Composer B")
    assert (facts.disc_subtitle, facts.is_compilation) == ("The Second Disc", True)
    assert facts.musicbrainz_album_id == ALBUM_ID.lower()
    assert facts.musicbrainz_track_id == RECORDING_ID


@pytest.mark.parametrize("kind", ["mp3", "flac", "opus", "aac", "wav"])
def test_a_single_artist_value_leaves_the_split_to_the_scanner(
    tmp_path: Path, kind: AudioKind
) -> None:
    facts = probe(file_of(tmp_path, kind, tags={"artist": "Simon & Garfunkel", "compilation": "0"}))

    assert (facts.artist, facts.artists, facts.is_compilation) == ("Simon & Garfunkel", (), False)


@pytest.mark.parametrize("kind", ["mp3", "flac", "vorbis", "aac"])
def test_an_artists_tag_wins_over_the_credit_and_names_even_one_artist(
    tmp_path: Path, kind: AudioKind
) -> None:
    facts = probe(
        file_of(tmp_path, kind, tags={"artist": "AC/DC feat. Someone", "artists": ["AC/DC"]})
    )

    assert (facts.artist, facts.artists) == ("AC/DC feat. Someone", ("AC/DC",))


@pytest.mark.parametrize("kind", ["mp3", "flac", "aac"])
def test_musicbrainz_ids_that_are_not_uuids_are_dropped(tmp_path: Path, kind: AudioKind) -> None:
    facts = probe(
        file_of(
            tmp_path,
            kind,
            tags={"musicbrainz_albumid": "not-a-uuid", "musicbrainz_trackid": ALBUM_ID[:-1]},
        )
    )

    assert (facts.musicbrainz_album_id, facts.musicbrainz_track_id) == (None, None)


def test_id3v23_null_separated_values_are_multi_valued(tmp_path: Path) -> None:
    path = file_of(tmp_path, "mp3")
    tags = ID3()
    tags.add(TPE1(encoding=1, text=["First", "Second"]))
    tags.add(TYER(encoding=0, text="1987"))
    tags.save(path, v2_version=3, v23_sep=None)  # type: ignore[arg-type]

    facts = probe(path)

    assert (facts.artist, facts.artists, facts.year) == ("First; Second", ("First", "Second"), 1987)


def test_id3v23_slash_joined_values_stay_one_credit(tmp_path: Path) -> None:
    path = file_of(tmp_path, "mp3", tags={"artist": ["First", "Second"]}, id3_version=3)

    assert (probe(path).artist, probe(path).artists) == ("First/Second", ())


def test_the_original_year_is_used_when_no_release_date_is_tagged(tmp_path: Path) -> None:
    path = file_of(tmp_path, "mp3")
    tags = ID3()
    tags.add(TDOR(encoding=3, text="1969-10-22"))
    tags.save(path)
    flac = file_of(tmp_path, "flac", tags={"originaldate": "1971"})
    opus = file_of(tmp_path, "opus", tags={"year": "1999", "originaldate": "1971"})

    assert (probe(path).year, probe(flac).year, probe(opus).year) == (1969, 1971, 1999)


def test_id3v1_numeric_genre_references_become_names(tmp_path: Path) -> None:
    path = file_of(tmp_path, "mp3")
    tags = ID3()
    tags.add(TCON(encoding=3, text=["(17)", "13"]))
    tags.save(path)

    assert probe(path).genres == ("Rock", "Pop")


def test_an_mp4_genre_stored_as_an_id3v1_number_becomes_its_name(tmp_path: Path) -> None:
    path = file_of(tmp_path, "aac", tags={"genre": "zz"})
    data = path.read_bytes()
    # mutagen cannot write ``gnre``; a ``©gen`` atom holding two UTF-8 bytes has its size.
    text_atom = b"\xa9gen\x00\x00\x00\x12data\x00\x00\x00\x01\x00\x00\x00\x00zz"
    genre_number = b"gnre\x00\x00\x00\x12data\x00\x00\x00\x00\x00\x00\x00\x00\x00\x12"
    assert data.count(text_atom) == 1
    path.write_bytes(data.replace(text_atom, genre_number))  # 18: ID3v1's 17 ("Rock"), plus one

    assert probe(path).genres == ("Rock",)


def test_wav_riff_info_is_read_when_there_is_no_id3_chunk(tmp_path: Path) -> None:
    path = file_of(
        tmp_path,
        "wav",
        riff_info={
            "INAM": b"Info Title",
            "IART": b"Info Artist",
            "IPRD": b"Info Album",
            "ICRD": b"1994-03-01",
            "IGNR": b"Jazz",
            "ITRK": b"7",
        },
    )

    facts = probe(path)

    assert (facts.title, facts.artist, facts.album) == ("Info Title", "Info Artist", "Info Album")
    assert (facts.year, facts.genre, facts.track_number) == (1994, "Jazz", 7)


def test_wav_id3_wins_over_riff_info_and_info_fills_the_gaps(tmp_path: Path) -> None:
    path = file_of(
        tmp_path,
        "wav",
        tags={"title": "ID3 Title"},
        riff_info={"INAM": b"Info Title", "IART": b"Info Artist"},
    )

    facts = probe(path)

    assert (facts.title, facts.artist) == ("ID3 Title", "Info Artist")


def test_riff_info_in_a_windows_code_page_is_decoded_and_undecodable_bytes_are_marked(
    tmp_path: Path,
) -> None:
    path = file_of(tmp_path, "wav", riff_info={"INAM": "Café".encode("cp1252"), "IART": b"A\x81B"})

    facts = probe(path)

    assert (facts.title, facts.artist) == ("Café", "A\ufffdB")


def test_vorbis_comments_that_are_not_utf8_become_replacement_characters(tmp_path: Path) -> None:
    path = file_of(tmp_path, "flac", tags={"title": "MARKER", "artist": "Fine"})
    data = path.read_bytes()
    path.write_bytes(data.replace(b"MARKER", b"Ab\xff\xfeCd"))

    facts = probe(path)

    assert (facts.title, facts.artist) == ("Ab\ufffd\ufffdCd", "Fine")


def test_an_id3_latin1_frame_holding_cp1251_bytes_keeps_what_mutagen_decodes(
    tmp_path: Path,
) -> None:
    path = file_of(tmp_path, "mp3")
    tags = ID3()
    tags.add(TIT2(encoding=0, text="Ïåñíÿ"))  # "Песня" in CP1251, read as Latin-1
    tags.save(path, v2_version=3)

    assert probe(path).title == "Ïåñíÿ"


def test_clean_text_replaces_nuls_and_lone_surrogates_and_bounds_the_length() -> None:
    assert clean_text("a\x00b") == "a b"
    assert clean_text("a\ud800b") == "a\ufffdb"
    assert clean_text("x" * 5000) == "x" * 1000
    assert clean_text("  \x00 ") is None


@pytest.mark.parametrize("kind", ["mp3", "flac", "aac"])
def test_ten_thousand_artists_on_one_track_keep_a_hundred(tmp_path: Path, kind: AudioKind) -> None:
    names = [f"Artist {number:05d}" for number in range(10_000)]

    facts = probe(file_of(tmp_path, kind, tags={"artist": names}))

    assert facts.artists == tuple(names[:100])
    assert facts.artist is not None
    assert len(facts.artist) == 1000
    assert facts.artist.startswith("Artist 00000; Artist 00001; ")


def test_a_genre_longer_than_the_registry_column_is_cut(tmp_path: Path) -> None:
    facts = probe(file_of(tmp_path, "flac", tags={"genre": "g" * 400}))

    assert facts.genres == ("g" * 255,)


# --- pictures ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_an_embedded_front_cover_is_noted_and_beats_other_pictures(
    tmp_path: Path, kind: AudioKind
) -> None:
    path = file_of(
        tmp_path,
        kind,
        pictures=[Picture(PNG, type=4), Picture(JPEG, type=3, mime="image/jpeg")],
    )

    picture = embedded_picture(path, max_bytes=1 << 20)

    assert probe(path).picture is PictureKind.FRONT
    assert picture is not None
    if kind in MP4_FAMILY:  # covr has no picture type: the first cover is the front cover
        assert (picture.data, picture.mime_type) == (PNG, "image/png")
    else:
        assert (picture.data, picture.mime_type, picture.kind) == (
            JPEG,
            "image/jpeg",
            PictureKind.FRONT,
        )


@pytest.mark.parametrize("kind", [k for k in AUDIO_KINDS if k not in MP4_FAMILY])
def test_a_picture_that_is_not_a_front_cover_is_other(tmp_path: Path, kind: AudioKind) -> None:
    path = file_of(tmp_path, kind, pictures=[Picture(PNG, type=8)])

    picture = embedded_picture(path, max_bytes=1 << 20)

    assert probe(path).picture is PictureKind.OTHER
    assert picture is not None
    assert (picture.data, picture.mime_type, picture.kind) == (PNG, "image/png", PictureKind.OTHER)


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_no_picture_is_none(tmp_path: Path, kind: AudioKind) -> None:
    path = file_of(tmp_path, kind, tags={"title": "Plain"})

    assert probe(path).picture is None
    assert embedded_picture(path, max_bytes=1 << 20) is None


def test_a_picture_above_the_limit_is_not_returned(tmp_path: Path) -> None:
    path = file_of(
        tmp_path,
        "flac",
        pictures=[Picture(JPEG + bytes(5000), mime="image/jpeg"), Picture(PNG, type=4)],
    )

    assert embedded_picture(path, max_bytes=1000) == embedded_picture(path, max_bytes=100)
    other = embedded_picture(path, max_bytes=1000)
    assert other is not None
    assert (other.data, other.kind) == (PNG, PictureKind.OTHER)
    assert embedded_picture(path, max_bytes=10) is None


def test_embedded_picture_never_raises(tmp_path: Path) -> None:
    text = tmp_path / "text.flac"
    text.write_text("not audio\n" * 50)
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(
        file_of(tmp_path, "aac", pictures=[Picture(JPEG, mime="image/jpeg")]).read_bytes()[:5000]
    )

    assert embedded_picture(text, max_bytes=1 << 20) is None
    assert embedded_picture(cut, max_bytes=1 << 20) is None
    assert embedded_picture(tmp_path / "missing.mp3", max_bytes=1 << 20) is None
    assert embedded_picture(tmp_path, max_bytes=1 << 20) is None


def test_a_50_mb_picture_is_never_read_by_the_probe(tmp_path: Path) -> None:
    cover = JPEG + bytes(50 * 2**20)
    path = file_of(
        tmp_path,
        "mp3",
        tags={"title": "Big", "artists": ["A", "B"], "musicbrainz_trackid": RECORDING_ID},
        pictures=[Picture(cover, mime="image/jpeg"), Picture(PNG, type=4)],
    )
    del cover

    tracemalloc.start()
    try:
        facts = probe(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 4 * 2**20
    assert (facts.title, facts.artists, facts.picture) == ("Big", ("A", "B"), PictureKind.FRONT)
    assert facts.musicbrainz_track_id == RECORDING_ID
    assert facts.duration_seconds == pytest.approx(1.0, abs=0.06)
    small = embedded_picture(path, max_bytes=1 << 20)
    assert small is not None
    assert (small.data, small.kind) == (PNG, PictureKind.OTHER)
    big = embedded_picture(path, max_bytes=60 * 2**20)
    assert big is not None
    assert big.kind is PictureKind.FRONT
    assert len(big.data) == len(JPEG) + 50 * 2**20
    assert big.data.startswith(JPEG)


@pytest.mark.parametrize("version", [3, 4])
def test_a_large_tag_is_read_through_the_splice_in_both_id3_versions(
    tmp_path: Path, version: int
) -> None:
    path = file_of(
        tmp_path,
        "mp3",
        tags={"title": "Spliced", "album": "Kept", "tracknumber": "4"},
        pictures=[Picture(JPEG + bytes(8 * LARGE_TAG), type=5, mime="image/jpeg")],
        id3_version=version,
    )

    tracemalloc.start()
    try:
        facts = probe(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < LARGE_TAG
    assert (facts.title, facts.album, facts.track_number) == ("Spliced", "Kept", 4)
    assert facts.picture is PictureKind.OTHER  # type 5 (leaflet page), read from its header


def test_an_id3v1_tag_behind_a_spliced_tag_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "both.mp3"
    path.write_bytes(encoded_audio("mp3"))
    id3_tags({}, [Picture(JPEG + bytes(LARGE_TAG), mime="image/jpeg")]).save(path)
    with path.open("ab") as handle:
        handle.write(b"TAG" + b"V1 Title".ljust(30, b"\0") + bytes(94) + b"\x11")

    facts = probe(path)

    assert (facts.title, facts.genre, facts.picture) == ("V1 Title", "Rock", PictureKind.FRONT)


# --- bad and truncated files ---------------------------------------------------------------


def test_a_text_file_named_flac_is_refused_as_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.flac"
    path.write_text("these are not the droids you are looking for\n" * 20)

    assert refusal(path) == "unsupported type text/plain"


def test_a_zero_byte_m4a_is_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.m4a"
    path.write_bytes(b"")

    assert refusal(path) == "empty file"


def test_an_id3_tag_with_nothing_after_it_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tag only.mp3"
    id3_tags({"title": "Nothing"}, []).save(path)
    path.write_bytes(path.read_bytes().rstrip(b"\x00"))

    assert refusal(path) == "corrupt or truncated audio (nothing after its ID3 tag)"


@pytest.mark.parametrize("kind", ["flac", "flac24"])
@pytest.mark.parametrize("kept", [0.2, 0.5, 0.95])
def test_a_truncated_flac_is_refused(tmp_path: Path, kind: AudioKind, kept: float) -> None:
    data = file_of(tmp_path, kind, seconds=10.0, tags={"title": "Cut"}).read_bytes()
    path = tmp_path / "cut.flac"
    path.write_bytes(data[: int(len(data) * kept)])

    assert refusal(path) == TRUNCATED


def test_a_flac_cut_within_its_last_block_is_registered_with_its_stated_length(
    tmp_path: Path,
) -> None:
    data = file_of(tmp_path, "flac", seconds=10.0).read_bytes()
    path = tmp_path / "nearly whole.flac"
    path.write_bytes(data[:-100])

    assert probe(path).duration_seconds == 10.0


def test_a_flac_with_trailing_id3v1_is_whole(tmp_path: Path) -> None:
    path = file_of(tmp_path, "flac", seconds=5.0)
    with path.open("ab") as handle:
        handle.write(b"TAG" + bytes(125))

    assert probe(path).duration_seconds == 5.0


def test_a_flac_whose_length_was_left_open_gets_it_from_its_last_frame(tmp_path: Path) -> None:
    path = file_of(tmp_path, "flac", seconds=5.0)
    audio = FLAC(path)
    audio.info.total_samples = 0  # what an encoder writing to a pipe leaves
    audio.save()
    assert FLAC(path).info.length == 0

    assert probe(path).duration_seconds == pytest.approx(5.0, abs=0.11)


@pytest.mark.parametrize("moov_first", [True, False], ids=["moov-first", "moov-last"])
@pytest.mark.parametrize("kind", ["aac", "alac"])
def test_a_truncated_m4a_is_refused(tmp_path: Path, kind: AudioKind, moov_first: bool) -> None:
    extra = () if moov_first else ("-movflags", "-faststart")
    data = encoded_audio(kind, 5.0, 0, extra)
    path = tmp_path / "cut.m4a"
    for kept in (len(data) // 2, len(data) - 20):
        path.write_bytes(data[:kept])

        assert refusal(path) == TRUNCATED


@pytest.mark.parametrize("kind", ["wav", "wav24"])
def test_a_truncated_wav_is_refused(tmp_path: Path, kind: AudioKind) -> None:
    data = file_of(tmp_path, kind, seconds=3.0).read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(data[: len(data) // 2])

    assert refusal(path) == TRUNCATED


def test_a_wav_written_to_a_pipe_gets_its_length_from_the_file(tmp_path: Path) -> None:
    data = bytearray(file_of(tmp_path, "wav", seconds=3.0).read_bytes())
    data_chunk = data.index(b"data")
    data[data_chunk + 4 : data_chunk + 8] = b"\xff\xff\xff\xff"  # the size left open
    path = tmp_path / "piped.wav"
    path.write_bytes(bytes(data))

    assert probe(path).duration_seconds == 3.0


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_a_truncated_ogg_is_registered_with_the_length_it_really_has(
    tmp_path: Path, kind: AudioKind
) -> None:
    # mutagen takes an Ogg stream's length from the last page there is: a cut file is not
    # refused, it is as long as the audio it still holds.
    data = file_of(tmp_path, kind, seconds=10.0).read_bytes()
    path = tmp_path / f"cut{SUFFIXES[kind]}"
    path.write_bytes(data[: len(data) // 2])

    assert 3.0 < probe(path).duration_seconds < 7.0


@pytest.mark.parametrize("kind", ["vorbis", "opus"])
def test_an_ogg_cut_inside_its_headers_is_refused(tmp_path: Path, kind: AudioKind) -> None:
    path = tmp_path / f"cut{SUFFIXES[kind]}"
    path.write_bytes(encoded_audio(kind)[:100])

    assert refusal(path).startswith("corrupt or truncated audio (")
