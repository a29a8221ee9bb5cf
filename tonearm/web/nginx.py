"""``tonearm nginx-config``: the nginx configuration of ``TONEARM_ACCEL=nginx`` for these settings.

nginx proxies everything to tonearm (GraphQL with WebSocket upgrades, the player, art,
uploads without request buffering) and serves the bytes of streams from internal
locations over the media root, the uploads root and the variant store, which only an
``X-Accel-Redirect`` from tonearm can reach (``streaming.accel``). Each internal location
``alias``es its root and refuses symlinks (``disable_symlinks on``): tonearm names a file
by its resolved path, which holds none, so a symlink found there at open time was swapped
in after tonearm's check and is refused (as a 404, like a file that is not there).

With ``TONEARM_ACCEL_DECISION_SECONDS`` above 0 (the default), nginx first asks tonearm
through ``auth_request`` and keeps a yes for that long per stream URL (``proxy_cache``), so a
player's seeks go out without reaching tonearm; a decline (403) sends the request down the
``X-Accel-Redirect`` path, where tonearm answers it in full (``streaming.accel``). The
decisions' cache folder holds stream tokens for seconds: keep it private (tmpfs is fine).

The access log names the request path only, never the query string that carries the
stream token (and, when nginx decides, whether a decision came from its cache). TLS is
left to the admin: a commented block shows where it goes.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from tonearm.settings import ConfigurationError, Settings
from tonearm.streaming.accel import (
    CACHE_CONTROL_HEADER,
    DECIDE_HEADER,
    DISPOSITION_HEADER,
    FILE_HEADER,
    FRONT_HEADER,
    RANGES_HEADER,
    TYPE_HEADER,
    AccelRoot,
    front_secret,
    internal_location,
)
from tonearm.streaming.urls import STREAM_PATH
from tonearm.transcoding.store import VariantStore
from tonearm.uploads.tus import UPLOADS_PATH
from tonearm.web.security_headers import INSTANCE_HEADER, SECURITY_HEADERS

# The multipart envelope around one file of ``uploadTracks`` (part headers, operations).
GRAPHQL_BODY_SLACK = 1024 * 1024
# A path nginx's configuration can hold as it is: no quotes, escapes, variables, controls.
_PLAIN_PATH = re.compile(r"[^\"'\\$;{}\x00-\x1f\x7f]+")
_HOST_PORT = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})")
# The regex map below takes the path of the request line and drops its query string.
LOG_FORMAT = (
    "'$remote_addr - [$time_local] \"$request_method $tonearm_log_path $server_protocol\" '\n"
    "        '$status $body_bytes_sent $request_time \"$http_user_agent\"{decision}'"
)
DECIDE_LOCATION = "/_tonearm/decide"
STREAM_FALLBACK = "@tonearm_stream"
# The headers a decision hands over, each into a variable of its own.
_DECIDED = {
    "tonearm_file": FILE_HEADER,
    "tonearm_type": TYPE_HEADER,
    "tonearm_disposition": DISPOSITION_HEADER,
    "tonearm_cache_control": CACHE_CONTROL_HEADER,
}
# tonearm's own headers nginx must pass on when it sends a file (which replica decided, CORS).
_PASSED = (
    INSTANCE_HEADER,
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Credentials",
    "Access-Control-Expose-Headers",
    "Vary",
)
# What a decision does not depend on: nginx applies ranges and validators to the file.
_REQUEST_ONLY = (
    "Range",
    "If-Range",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
)


@dataclass(frozen=True, slots=True)
class NginxSite:
    """What the generated configuration needs to know beyond the settings."""

    # Where ``tonearm serve`` listens (its defaults); several: replicas, taken in turn.
    upstreams: tuple[str, ...] = ("127.0.0.1:8000",)
    listen: str = "80"
    server_name: str = "_"
    access_log: str = "/var/log/nginx/tonearm.access.log"
    decision_cache: str = "/var/cache/nginx/tonearm-decisions"


def parse_host_port(value: str) -> str:
    """``host:port`` checked (a name, an IPv4 or a bracketed IPv6 address; port 1–65535)."""
    match = _HOST_PORT.fullmatch(value.strip())
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise ConfigurationError(f"expected host:port (e.g. 127.0.0.1:8000), not {value!r}")
    host = match["host"]
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ConfigurationError(f"not an IPv6 address: {host!r}") from None
    return f"{host}:{int(match['port'])}"


def parse_listen(value: str) -> str:
    """A ``listen`` address: a port, or ``host:port``."""
    value = value.strip()
    if value.isdigit():
        if not 1 <= int(value) <= 65535:
            raise ConfigurationError(f"not a port: {value!r}")
        return str(int(value))
    return parse_host_port(value)


def _directory(path: Path, what: str) -> str:
    text = str(path)
    if not _PLAIN_PATH.fullmatch(text):
        raise ConfigurationError(
            f"the {what} {text!r} holds a character nginx's configuration cannot take as it "
            "is (a quote, backslash, $, ;, braces or a control character); move it"
        )
    return text.rstrip("/") + "/"


def accel_roots(settings: Settings) -> dict[AccelRoot, Path]:
    """The resolved root behind each internal location (the ones the stream route confines to)."""
    return {
        AccelRoot.MEDIA: settings.require_media_root(),
        AccelRoot.UPLOADS: settings.resolved_uploads_dir,
        AccelRoot.VARIANTS: VariantStore.in_data_dir(settings.data_dir).root,
    }


def _proxy_headers(*, upgrade: bool = False, front: str = "") -> list[str]:
    # proxy_set_header in a location replaces every inherited one: each location repeats all.
    # The front secret goes only with stream requests; an empty value drops a client's own.
    connection = "$tonearm_connection" if upgrade else '""'
    lines = [
        "proxy_set_header Host $http_host;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        f"proxy_set_header Connection {connection};",
        f'proxy_set_header {FRONT_HEADER} "{front}";',
    ]
    if upgrade:
        lines.insert(0, "proxy_set_header Upgrade $http_upgrade;")
    return lines


def _variable(name: str) -> str:
    return name.lower().replace("-", "_")


def _security_headers(*, deciding: bool = False) -> list[str]:
    # add_header in a location replaces the inherited ones; nginx does not pass tonearm's
    # own (or CORS) headers on after an X-Accel-Redirect, so they are set here. With
    # decisions they come from the redirect or from the decision: one of the two is empty.
    lines = [f'add_header {name} "{value}" always;' for name, value in SECURITY_HEADERS.items()]
    for name in _PASSED:
        variable = f"$upstream_http_{_variable(name)}"
        if deciding:
            variable += f"$tonearm_{_variable(name)}"
        lines.append(f"add_header {name} {variable} always;")  # empty: not sent
    return lines


def _decided_headers() -> list[str]:
    # After a decision nginx sends the file with the headers tonearm owns; after a redirect
    # these are empty (nginx keeps the redirect's own instead) and are not sent.
    return [
        "types {}",
        'default_type "";',
        "add_header Content-Type $tonearm_type;",
        "add_header Content-Disposition $tonearm_disposition;",
        "add_header Cache-Control $tonearm_cache_control;",
    ]


def _decision_blocks(front: str, stream_prefix: str) -> list[str]:
    ask = [
        "# tonearm decides once per stream URL and nginx keeps a yes for a few seconds",
        "# (TONEARM_ACCEL_DECISION_SECONDS): a player's seeks go out without asking again.",
        f"auth_request {DECIDE_LOCATION};",
        *(
            f"auth_request_set ${variable} $upstream_http_{_variable(header)};"
            for variable, header in _DECIDED.items()
        ),
        *(
            f"auth_request_set $tonearm_{_variable(name)} $upstream_http_{_variable(name)};"
            for name in _PASSED
        ),
        "auth_request_set $tonearm_decision $upstream_cache_status;",
        "# A decline (a refusal, an encode, a name it cannot hand over) or tonearm out of",
        "# reach: the request goes to tonearm in full.",
        f"error_page 403 500 = {STREAM_FALLBACK};",
        "root /nonexistent;",
        "try_files /.tonearm-never $tonearm_file;",
    ]
    decide = [
        "internal;",
        "proxy_pass http://tonearm$request_uri;",
        *_proxy_headers(front=front),
        f"proxy_set_header {DECIDE_HEADER} 1;",
        f"proxy_set_header {RANGES_HEADER} $tonearm_ranges;",
        "proxy_pass_request_body off;",
        'proxy_set_header Content-Length "";',
        *(f'proxy_set_header {name} "";' for name in _REQUEST_ONLY),
        "# tonearm's X-Accel-Expires says how long: never past the token's life, a decline never.",
        "proxy_cache tonearm_decisions;",
        'proxy_cache_key "$request_uri $http_origin $tonearm_ranges";',
        "proxy_cache_lock on;",
    ]
    return [
        *_block(f"location {stream_prefix}", ask),
        *_block(f"location = {DECIDE_LOCATION}", decide),
    ]


def _block(header: str, lines: list[str], indent: str = "    ") -> list[str]:
    return [f"{indent}{header} {{", *(f"{indent}    {line}" for line in lines), f"{indent}}}"]


def render_site(settings: Settings, site: NginxSite) -> str:
    """The ``http``-level configuration: upstream, log format, the server block."""
    if not site.upstreams:
        raise ConfigurationError("name at least one upstream (host:port of tonearm serve)")
    upstreams = [parse_host_port(upstream) for upstream in site.upstreams]
    listen = parse_listen(site.listen)
    server_name = check_server_name(site.server_name)
    roots = {
        root: _directory(path, f"{root.value} root") for root, path in accel_roots(settings).items()
    }
    max_upload = settings.max_upload_bytes
    stream_prefix = STREAM_PATH.split("{", 1)[0]  # /api/tracks/
    deciding = settings.accel_decision_seconds > 0
    decisions: list[str] = []
    if deciding:
        cache = _directory(Path(site.decision_cache), "decisions folder")
        decisions = [
            "# tonearm's yes to a stream URL, kept a few seconds. The keys hold stream tokens:",
            "# keep this folder private (tmpfs is fine).",
            f"proxy_cache_path {cache} levels=1:2 keys_zone=tonearm_decisions:4m",
            "                 max_size=64m inactive=30s use_temp_path=off;",
            "# Several ranges at once: tonearm declines to decide, and answers in full.",
            "map $http_range $tonearm_ranges {",
            '    "~," several;',
            '    default "";',
            "}",
            "",
        ]
    front = front_secret(settings.signing_keys()[0])
    log_format = LOG_FORMAT.format(decision=" $tonearm_decision" if deciding else "")
    lines = [
        "# tonearm behind nginx: generated by `tonearm nginx-config` (TONEARM_ACCEL=nginx).",
        "# tonearm checks every stream request and answers with X-Accel-Redirect; nginx",
        "# then sends the file from an internal location (Range, If-Range, HEAD, 304).",
        "# Replicas of one server (one database, one secret key) are taken in turn.",
        "upstream tonearm {",
        *(f"    server {upstream};" for upstream in upstreams),
        "    keepalive 32;",
        "}",
        "",
        "map $http_upgrade $tonearm_connection {",
        "    default upgrade;",
        "    ''      '';",
        "}",
        "",
        "# Stream tokens travel in the query string: the log names the path only.",
        "map $request_uri $tonearm_log_path {",
        '    "~^(?<path>[^?]*)" $path;',
        "}",
        f"log_format tonearm {log_format};",
        "",
        *decisions,
        "server {",
        f"    listen {listen};",
        f"    server_name {server_name};",
        f"    access_log {site.access_log} tonearm;",
        "",
        "    # TLS is yours to set up (certificates, protocols); for example:",
        "    # listen 443 ssl http2;",
        "    # ssl_certificate     /etc/letsencrypt/live/music.example.org/fullchain.pem;",
        "    # ssl_certificate_key /etc/letsencrypt/live/music.example.org/privkey.pem;",
        "    # tonearm believes this proxy's X-Forwarded-Proto (TONEARM_TRUSTED_PROXIES) and so",
        "    # marks its cookies Secure and knows its public origin.",
        "",
        "    proxy_http_version 1.1;",
        "    proxy_connect_timeout 5s;",
        "    proxy_send_timeout 60s;",
        "    proxy_read_timeout 60s;",
        "    client_max_body_size 1m;",
        "    server_tokens off;",
        "",
    ]
    lines += _block("location /", ["proxy_pass http://tonearm;", *_proxy_headers()])
    lines += _block(
        "location = /graphql",
        [
            "proxy_pass http://tonearm;",
            *_proxy_headers(upgrade=True),
            "# Subscriptions are WebSockets that stay open.",
            "proxy_read_timeout 1h;",
            "# uploadTracks: one file of TONEARM_MAX_UPLOAD_BYTES plus its multipart envelope,",
            "# parsed by tonearm as it arrives.",
            f"client_max_body_size {max_upload + GRAPHQL_BODY_SLACK};",
            "proxy_request_buffering off;",
        ],
    )
    lines += _block(
        f"location {UPLOADS_PATH}",
        [
            "proxy_pass http://tonearm;",
            *_proxy_headers(),
            "# tus PATCHes go to tonearm as they arrive (it fsyncs before it answers).",
            f"client_max_body_size {max_upload};",
            "proxy_request_buffering off;",
            "proxy_read_timeout 10m;",
        ],
    )
    if deciding:
        lines += _decision_blocks(front, stream_prefix)
    lines += _block(
        f"location {STREAM_FALLBACK if deciding else stream_prefix}",
        [
            "proxy_pass http://tonearm;",
            "# Proves to tonearm that nginx asks: only then does it name a file. Keep this",
            "# file readable by root only.",
            *_proxy_headers(front=front),
            "# A first play's encoding (and tonearm's refusals) go out as they come.",
            "proxy_buffering off;",
            "proxy_read_timeout 5m;",
        ],
    )
    for root, directory in roots.items():
        lines += _block(
            f"location {internal_location(root)}",
            [
                "internal;",
                f'alias "{directory}";',
                "# tonearm names resolved paths: a symlink here was swapped in after its check.",
                "disable_symlinks on;",
                "sendfile on;",
                "tcp_nopush on;",
                "log_not_found off;",
                *(_decided_headers() if deciding else []),
                *_security_headers(deciding=deciding),
                "error_page 403 404 = @tonearm_not_found;",
            ],
        )
    lines += _block(
        "location @tonearm_not_found",
        [
            "# What tonearm answers for a file that is not there (or that it refuses).",
            "default_type application/json;",
            "add_header Cache-Control no-store always;",
            *_security_headers()[: len(SECURITY_HEADERS)],
            'return 404 \'{"error":"not_found"}\';',
        ],
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def check_server_name(name: str) -> str:
    """A ``server_name`` nginx takes as one word."""
    if not re.fullmatch(r"[A-Za-z0-9._*~-]+", name):
        raise ConfigurationError(f"not a server name nginx takes: {name!r}")
    return name


def render_standalone(settings: Settings, site: NginxSite, prefix: Path) -> str:
    """A whole ``nginx.conf`` for ``nginx -p PREFIX -c PREFIX/nginx.conf``, files in PREFIX."""
    base = _directory(prefix.expanduser().resolve(), "nginx folder")
    standalone = NginxSite(
        upstreams=site.upstreams,
        listen=site.listen,
        server_name=site.server_name,
        access_log=f"{base}access.log",
        decision_cache=f"{base}decisions",
    )
    http = render_site(settings, standalone)
    temp = [
        f"{kind}_temp_path {base}temp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    ]
    return "\n".join(
        [
            "worker_processes auto;",
            f"pid {base}nginx.pid;",
            f"error_log {base}error.log warn;",
            "events { worker_connections 1024; }",
            "http {",
            "    default_type application/octet-stream;",
            *(f"    {line}" for line in temp),
            *(f"    {line}" if line else "" for line in http.splitlines()),
            "}",
            "",
        ]
    )


__all__ = [
    "NginxSite",
    "accel_roots",
    "check_server_name",
    "parse_host_port",
    "parse_listen",
    "render_site",
    "render_standalone",
]
