"""The GraphiQL page, served with its assets from tonearm itself (works offline).

The HTML references only same-origin files; the CSP below therefore allows scripts from
``'self'`` only. Styles need ``'unsafe-inline'`` because GraphiQL's editor injects style
attributes, and fonts come as ``data:`` URLs inside ``graphiql.min.css``.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent / "graphiql_assets"

# Subresource-integrity hashes (identical to the ones Strawberry pins for unpkg).
# ruff: noqa: E501 - hashes do not wrap
STYLESHEETS: dict[str, str] = {
    "graphiql.min.css": "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "plugin-explorer.css": "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
}
SCRIPTS: dict[str, str] = {
    "react.production.min.js": "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react-dom.production.min.js": "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    "graphiql.min.js": "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "plugin-explorer.umd.js": "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
}
INIT_SCRIPT = "graphiql-init.js"

# A Host header this plain may be named in the CSP (anything else could inject directives).
_PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def graphiql_csp(host: str | None) -> str:
    """The page's CSP: same-origin code only; fetches to itself and, for subscriptions,
    WebSockets to the same host (not every browser lets ``'self'`` match ``ws:``)."""
    connect = "connect-src 'self'"
    if host is not None and _PLAIN_HOST.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            connect,
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


_STYLE = "body{height:100%;margin:0;width:100%;overflow:hidden}#graphiql{height:100vh;display:flex}"


def graphiql_html(assets_path: str) -> str:
    """The GraphiQL page, loading its files from ``assets_path`` (a same-origin path)."""
    base = escape(assets_path.rstrip("/"), quote=True)
    links = "".join(
        f'<link rel="stylesheet" href="{base}/{name}" integrity="{sri}">'
        for name, sri in STYLESHEETS.items()
    )
    scripts = "".join(
        f'<script src="{base}/{name}" integrity="{sri}"></script>' for name, sri in SCRIPTS.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>tonearm GraphiQL</title>"
        '<link rel="icon" href="data:,">'
        f"<style>{_STYLE}</style>{links}</head>"
        '<body><div id="graphiql">Loading…</div>'
        f'{scripts}<script src="{base}/{INIT_SCRIPT}"></script></body></html>'
    )
