"""URL parts used by every stage: host and registered domain (eTLD+1).

The registered domain comes from `tldextract` with the Public Suffix List snapshot bundled in its
wheel; `suffix_list_urls=()` stops it from fetching a fresh list over the network, so results are
deterministic and work offline (a worker on a cluster must not depend on publicsuffix.org).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def host_of(url: str | None) -> str | None:
    """Lower-case host name of `url` (no port, no credentials), or None if it has none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # e.g. an invalid IPv6 literal
        return None
    return host.rstrip(".") or None if host else None


@lru_cache(maxsize=65536)
def domain_of_host(host: str) -> str:
    """Registered domain of a host (`math.stackexchange.com` -> `stackexchange.com`).

    Hosts without a known public suffix (IP addresses, `localhost`, intranet names) are their own
    domain, so every page still gets a non-empty domain to group by.
    """
    ext = _EXTRACT(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host


def domain_of(url: str | None) -> str | None:
    """Registered domain of `url`, or None if the URL has no host."""
    host = host_of(url)
    return domain_of_host(host) if host else None
