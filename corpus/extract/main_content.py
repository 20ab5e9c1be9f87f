"""Boilerplate removal: Resiliparse's main-content extraction on the placeholder-bearing DOM.

Chosen over trafilatura by measurement (docs/extract.md, benchmarks/bench_extract.py): on the math
pages it keeps as many ground-truth words at a fraction of the time, and it runs on the same lexbor DOM
we already edited for math, so there is no second parse. Navigation, headers/footers, sidebars, ads and
(by default) comment sections are dropped by its heuristics.
"""

from __future__ import annotations

import re
from typing import Any

from resiliparse.extract.html2text import extract_plain_text

# Elements no page's main text lives in (in addition to Resiliparse's own heuristics).
SKIP = [
    "nav",
    "footer",
    "aside",
    "form",
    "[role=navigation]",
    "[role=banner]",
    "[role=contentinfo]",
    "#comments",
    ".comments-area",
    ".ad",
    ".ads",
    ".advert",
    ".advertisement",
    ".share",
    ".social",
]


def main_text(tree: Any, main_content: bool = True, comments: bool = False) -> str:
    """Visible main text of a parsed page, with block structure kept as lines and blank lines."""
    text = extract_plain_text(
        tree,
        preserve_formatting=True,
        main_content=main_content,
        list_bullets=True,
        alt_texts=False,
        links=False,
        form_fields=False,
        noscript=False,
        comments=comments,
        skip_elements=SKIP if main_content else None,
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip()
