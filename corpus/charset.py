"""Decode an HTTP payload to text, honouring the declared charsets and surviving wrong ones.

Order (the WHATWG sniffing order, simplified): the HTTP `Content-Type` charset, then a
`<meta charset>` / `<meta http-equiv>` declaration in the first bytes, then UTF-8, then detection
(uchardet via resiliparse). A declared charset is trusted only if the bytes decode cleanly with it:
servers often lie (a page declared UTF-8 that is really windows-1252), and a strict decode failing
is the cheap signal. Labels are mapped through the WHATWG table (`latin1` means windows-1252,
`gb2312` means GBK) because that is what browsers do and what the page authors tested against.
"""

from __future__ import annotations

import codecs
import re

from resiliparse.parse.encoding import bytes_to_str, detect_encoding, map_encoding_to_html5

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
META_SCAN_BYTES = 4096


def codec_name(label: str | None) -> str | None:
    """Python codec name for a charset label (WHATWG-mapped), or None if unknown."""
    if not label:
        return None
    mapped = map_encoding_to_html5(label.strip().strip("\"'").lower()) or label
    try:
        return codecs.lookup(mapped).name
    except LookupError:
        return None


def meta_charset(body: bytes) -> str | None:
    """Charset declared in a `<meta>` tag near the start of the document, if any."""
    m = _META.search(body, 0, META_SCAN_BYTES)
    return m.group(1).decode("ascii", "ignore") if m else None


def decode_html(body: bytes, http_charset: str | None = None) -> tuple[str, str]:
    """Decode `body`; returns (text, how) where `how` names the source of the codec used
    (`http:<codec>`, `meta:<codec>`, `utf-8`, `detected:<codec>`)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "bom:utf-8"
    for source, label in (("http", http_charset), ("meta", meta_charset(body))):
        codec = codec_name(label)
        if codec:
            try:
                return body.decode(codec), f"{source}:{codec}"
            except (UnicodeDecodeError, LookupError):
                pass  # a wrong declaration: fall through to UTF-8 and detection
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = codec_name(detect_encoding(body, max_len=16384, from_html_meta=False)) or "windows-1252"
    return bytes_to_str(body, guess, errors="replace", fallback_encodings=("utf-8", "windows-1252")), (
        f"detected:{guess}"
    )
