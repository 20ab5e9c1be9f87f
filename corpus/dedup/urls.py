"""URL normalisation: one key per page however it was linked or captured.

Two captures are the same page when their URLs agree after: dropping the scheme (http and https
serve the same page in practice), lower-casing the host and removing a leading ``www.``, dropping
default ports (80, 443), the fragment and tracking parameters (``utm_*``, ``fbclid``, ``gclid``, …),
sorting the remaining query parameters, upper-casing percent escapes and decoding unreserved ones,
resolving ``.``/``..`` path segments, and removing a trailing slash. ``urllib.parse`` does the
parsing; what it does not do (the rules above) is written here because no maintained library
applies exactly this set (``url-normalize`` keeps schemes and tracking parameters).
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

# Query parameters that only record where a click came from; they never change the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "twclid", "igshid", "mc_cid", "mc_eid",
        "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id", "oly_enc_id", "wickedid",
        "ref_src", "spm", "scid", "srsltid", "si", "phpsessid", "jsessionid", "sid", "sessionid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "piwik_")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}

_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_PARAM_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)


def _fix_escapes(s: str) -> str:
    """Upper-case percent escapes and decode those of unreserved characters (RFC 3986 §6.2.2)."""

    def sub(m: re.Match) -> str:
        byte = int(m.group(1), 16)
        return chr(byte) if byte in _UNRESERVED else f"%{m.group(1).upper()}"

    return _PCT.sub(sub, s)


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def normalize_url(url: str | None) -> str | None:
    """The dedup key of `url` (no scheme: ``host[:port]/path[?query]``), or None when it is not an
    absolute http(s)/ftp URL. Examples: ``HTTP://WWW.Example.com:80/a/./b/?utm_source=x#top`` and
    ``https://example.com/a/b`` both give ``example.com/a/b``."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    netloc = host if port in (None, DEFAULT_PORTS[scheme], 80, 443) else f"{host}:{port}"
    path = _fix_escapes(_PATH_PARAM_SESSION.sub("", parts.path))
    if path:
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        if path.startswith("//"):  # normpath keeps a leading '//' (POSIX); a URL path does not need it
            path = "/" + path.lstrip("/")
        if trailing and path != "/":
            path += "/"
    path = path.rstrip("/")
    query = ""
    if parts.query:
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
        query = urlencode(sorted(pairs))
    return f"{netloc}{path}" + (f"?{query}" if query else "")
