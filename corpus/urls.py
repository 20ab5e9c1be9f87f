"""URL parts used by every stage: host and registered domain (eTLD+1).

The registered domain comes from `publicsuffixlist` with the Public Suffix List bundled in its
wheel (ICANN section only, as tldextract's default): no network, so results are deterministic and
work offline (a worker on a cluster must not depend on publicsuffix.org). It replaced tldextract,
which gives the same domains but imports `requests` and builds its suffix trie on first use
(~0.11 CPU-s more per worker process; `tests/test_ingest_parts.py` compares the two on every host
in the shared data where tldextract is installed).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

_PSL: PublicSuffixList | None = None


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
    global _PSL
    if _PSL is None:  # loaded on first use (~25 ms), not at import
        # accept_unknown=False: a host under no known suffix is not split (see above)
        _PSL = PublicSuffixList(only_icann=True, accept_unknown=False)
    if ".." in host or host[:1] == ".":  # empty labels (`a..b.com`) are skipped, as tldextract did
        host = ".".join(filter(None, host.split(".")))
    return _PSL.privatesuffix(host) or host


def domain_of(url: str | None) -> str | None:
    """Registered domain of `url`, or None if the URL has no host."""
    host = host_of(url)
    return domain_of_host(host) if host else None
