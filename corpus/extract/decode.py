"""Bytes -> text for HTML payloads: BOM, then the declared charset, then detection.

Resiliparse's `detect_encoding`/`bytes_to_str` handle bogus and missing charsets without raising (they
fall back through candidate encodings and finally replace undecodable bytes).
"""

from __future__ import annotations

from resiliparse.parse.encoding import bytes_to_str, detect_encoding


def decode_html(data: bytes | str, declared: str | None = None) -> str:
    """Decode an HTML payload to str; never raises on bad bytes."""
    if isinstance(data, str):
        return data
    enc = declared or detect_encoding(data)
    try:
        return bytes_to_str(data, enc, fallback_encodings=("utf-8", "cp1252"))
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace")
