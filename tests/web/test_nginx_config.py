"""``tonearm nginx-config``: what it prints for the settings, that nginx accepts it, and its
refusals of bad input; ``streaming.accel``'s URI of a confined file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import Run
from tonearm.settings import Settings
from tonearm.streaming.accel import AccelRoot, accel_uri, front_secret

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_accel_uri_percent_encodes_the_raw_bytes_of_the_relative_path() -> None:
    resolved = os.fsdecode(b"/srv/music/Alb\xfcm/caf\xe9 100% #1?.mp3")

    uri = accel_uri(AccelRoot.MEDIA, "/srv/music", resolved)

    assert uri == "/_tonearm/accel/media/Alb%FCm/caf%E9%20100%25%20%231%3F.mp3"


@pytest.mark.parametrize("resolved", ["/srv/music", "/srv/musicals/a.mp3", "/etc/passwd"])
def test_accel_uri_refuses_what_is_not_inside_the_root(resolved: str) -> None:
    with pytest.raises(ValueError, match="not inside the root"):
        accel_uri(AccelRoot.MEDIA, "/srv/music", resolved)


def test_the_site_names_every_root_and_nginx_accepts_the_standalone_file(
    tmp_path: Path,
    media_root: Path,
    in_process: Run,
) -> None:
    folder = tmp_path / "nginx"
    (folder / "temp").mkdir(parents=True)
    env = {
        "TONEARM_MEDIA_ROOT": str(media_root),
        "TONEARM_ACCEL": "nginx",
        "TONEARM_MAX_UPLOAD_BYTES": "1000",
    }
    args = ["nginx-config", "--listen", "127.0.0.1:8081", "--upstream", "127.0.0.1:9000"]
    site = in_process(args, **env)
    standalone = in_process([*args, "--standalone", str(folder)], **env)

    assert (site.returncode, site.stderr) == (0, "")
    text = site.stdout
    assert "    server 127.0.0.1:9000;" in text
    assert "    listen 127.0.0.1:8081;" in text
    assert f'        alias "{media_root.resolve()}/";' in text
    assert f'        alias "{(tmp_path / "data" / "uploads").resolve()}/";' in text
    assert f'        alias "{(tmp_path / "data" / "variants").resolve()}/";' in text
    assert text.count("        internal;") == 4  # three roots and the decisions
    assert text.count("        disable_symlinks on;") == 3
    assert "        client_max_body_size 1000;" in text  # tus
    assert f"        client_max_body_size {1000 + 1024 * 1024};" in text  # uploadTracks
    assert "$request_uri" in text
    assert "$args" not in text
    assert "$query_string" not in text
    assert "access_log /var/log/nginx/tonearm.access.log tonearm;" in text
    # Only stream requests carry the front secret; everywhere else a client's own is dropped.
    secret = front_secret(Settings(data_dir=tmp_path / "data").signing_keys()[0])
    # The decision and the stream route asked in full.
    assert text.count(f'proxy_set_header X-Tonearm-Front "{secret}";') == 2
    assert text.count('proxy_set_header X-Tonearm-Front "";') == 3
    (folder / "nginx.conf").write_text(standalone.stdout)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_without_accel_it_still_prints_and_says_why_it_is_unused(
    tmp_path: Path,
    media_root: Path,
    in_process: Run,
) -> None:
    result = in_process(["nginx-config"], TONEARM_MEDIA_ROOT=str(media_root))

    assert result.returncode == 0
    assert "upstream tonearm {" in result.stdout
    assert result.stderr == (
        "tonearm: note: TONEARM_ACCEL is not 'nginx': tonearm keeps sending stream bytes "
        "itself and nginx's internal locations stay unused until you set it\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "localhost"], "expected host:port (e.g. 127.0.0.1:8000), not 'localhost'"),
        (["--upstream", "a:99999"], "expected host:port (e.g. 127.0.0.1:8000), not 'a:99999'"),
        (["--upstream", "[1::2::3]:80"], "not an IPv6 address: '[1::2::3]'"),
        (["--listen", "0"], "not a port: '0'"),
        (["--listen", "; evil"], "expected host:port (e.g. 127.0.0.1:8000), not '; evil'"),
        (["--server-name", "a; b"], "not a server name nginx takes: 'a; b'"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    tmp_path: Path,
    media_root: Path,
    in_process: Run,
    args: list[str],
    message: str,
) -> None:
    result = in_process(["nginx-config", *args], TONEARM_MEDIA_ROOT=str(media_root))

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"tonearm: error: {message}\n"


def test_a_root_nginx_cannot_name_is_a_one_line_error(tmp_path: Path, in_process: Run) -> None:
    root = tmp_path / "music $HOME"
    root.mkdir()

    result = in_process(["nginx-config"], TONEARM_MEDIA_ROOT=str(root))

    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"tonearm: error: the media root {str(root.resolve())!r} holds a character nginx's "
        "configuration cannot take as it is (a quote, backslash, $, ;, braces or a control "
        "character); move it\n"
    )


def test_no_media_root_is_a_one_line_error(tmp_path: Path, in_process: Run) -> None:
    result = in_process(["nginx-config"])

    assert result.returncode == 2
    assert result.stderr == (
        "tonearm: error: TONEARM_MEDIA_ROOT is not set: point it at your music folder.\n"
    )


def test_decisions_are_kept_in_the_folder_given_and_nginx_accepts_it(
    tmp_path: Path, media_root: Path, in_process: Run
) -> None:
    cache = tmp_path / "decisions"
    env = {"TONEARM_MEDIA_ROOT": str(media_root), "TONEARM_ACCEL": "nginx"}

    site = in_process(["nginx-config", "--decision-cache", str(cache)], **env)

    assert (site.returncode, site.stderr) == (0, "")
    assert f"proxy_cache_path {cache}/ levels=1:2 keys_zone=tonearm_decisions:4m" in site.stdout
    assert "        auth_request /_tonearm/decide;" in site.stdout
    assert '        proxy_cache_key "$request_uri $http_origin $tonearm_ranges";' in site.stdout
    assert "        error_page 403 500 = @tonearm_stream;" in site.stdout
    assert "    location @tonearm_stream {" in site.stdout


def test_with_decisions_off_nginx_asks_tonearm_for_every_stream_request(
    tmp_path: Path, media_root: Path, in_process: Run
) -> None:
    folder = tmp_path / "nginx"
    (folder / "temp").mkdir(parents=True)
    env = {
        "TONEARM_MEDIA_ROOT": str(media_root),
        "TONEARM_ACCEL": "nginx",
        "TONEARM_ACCEL_DECISION_SECONDS": "0",
    }

    standalone = in_process(["nginx-config", "--standalone", str(folder)], **env)

    assert (standalone.returncode, standalone.stderr) == (0, "")
    text = standalone.stdout
    for absent in ("auth_request", "proxy_cache", "$tonearm_", "@tonearm_stream"):
        assert absent not in text.replace("$tonearm_log_path", "").replace(
            "$tonearm_connection", ""
        )
    assert "        location /api/tracks/ {" in text
    (folder / "nginx.conf").write_text(text)
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_replicas_are_one_upstream_taken_in_turn_and_the_instance_header_passes(
    media_root: Path, in_process: Run
) -> None:
    args = ["nginx-config", "--upstream", "10.0.0.11:8000", "--upstream", "10.0.0.12:8000"]

    result = in_process(args, TONEARM_MEDIA_ROOT=str(media_root), TONEARM_ACCEL="nginx")

    assert (result.returncode, result.stderr) == (0, "")
    assert "upstream tonearm {\n    server 10.0.0.11:8000;\n    server 10.0.0.12:8000;\n" in (
        result.stdout
    )
    # After an X-Accel-Redirect (or a decision) nginx drops tonearm's headers unless the
    # location sets them.
    assert (
        result.stdout.count(
            "add_header X-Tonearm-Instance "
            "$upstream_http_x_tonearm_instance$tonearm_x_tonearm_instance always;"
        )
        == 3
    )
    # Every proxied location tells tonearm the client and the scheme (TONEARM_TRUSTED_PROXIES):
    # /, /graphql, uploads, the decisions and the stream route.
    assert result.stdout.count("proxy_set_header X-Forwarded-Proto $scheme;") == 5
    assert result.stdout.count("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;") == 5
