"""`extract_math`: HTML -> Markdown-like text with every formula as `$…$` / `$$…$$`.

Pipeline (the OpenWebMath / MegaMath approach):
1. decode bytes, cap the size, strip forged placeholder characters, parse with Resiliparse (lexbor);
2. replace every formula in the DOM by a placeholder token (`math_markup`), un-hiding hidden MathML;
3. write Markdown markers for headings, code and data tables into the DOM (`markdown`);
4. main-content extraction (`main_content`), which cannot strip the tokens because they are plain text;
5. find raw TeX delimiters in the text, as the page's MathJax/KaTeX config allows (`delimiters`);
6. restore the tokens as `$…$` (inline) or `$$…$$` on its own line (display) and count per family.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from resiliparse.parse.html import HTMLTree

from corpus.extract.decode import decode_html
from corpus.extract.delimiters import find_text_math, page_config
from corpus.extract.main_content import main_text
from corpus.extract.markdown import add_markdown
from corpus.extract.math_markup import replace_math
from corpus.extract.store import CLOSE, OPEN, SANITIZE, MathStore
from corpus.extract.timeout import PageTimeout, time_limit
from corpus.schema import MATH_FAMILIES

log = logging.getLogger(__name__)


@dataclass
class ExtractConfig:
    """Settings of the math-preserving extractor."""

    main_content: bool = True  # drop boilerplate (nav, footers, sidebars, ads); False keeps all visible text
    comments: bool = True  # keep comment sections (Stack Exchange comments under posts hold much math)
    timeout_s: float = 10.0  # per-page time limit (main thread of a process only; see timeout.py)
    max_html_bytes: int = 4_000_000  # larger payloads are truncated before parsing (bounds C-level work)
    max_depth: int = (
        1000  # deeper element chains are hostile; Resiliparse's main-content pass is quadratic in depth
    )
    min_text_chars: int = 1  # a page whose extracted text is shorter fails with reason "empty_text"


@dataclass
class ExtractResult:
    """What came out of one page. `ok` False means `reason` says why and `text` is empty."""

    text: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MATH_FAMILIES, 0))
    title: str | None = None
    ok: bool = True
    reason: str | None = None
    seconds: float = 0.0

    @property
    def n_formulas(self) -> int:
        return sum(self.counts.values())


def _fail(reason: str, start: float) -> ExtractResult:
    return ExtractResult(text="", ok=False, reason=reason, seconds=time.perf_counter() - start)


def extract_math(
    html: str | bytes, url: str | None = None, config: ExtractConfig | None = None
) -> ExtractResult:
    """Extract the main text of a page with its math kept as LaTeX; never raises on bad input."""
    cfg = config or ExtractConfig()
    start = time.perf_counter()
    if html is None or len(html) == 0:
        return _fail("empty_input", start)
    try:
        with time_limit(cfg.timeout_s):
            return _extract(html, cfg, start)
    except PageTimeout:
        return _fail("timeout", start)
    except RecursionError:
        return _fail("too_deep", start)
    except MemoryError:
        return _fail("out_of_memory", start)
    except Exception as e:  # a bug or a parser failure on hostile input: count it, never crash the stage
        log.debug("extraction failed for %s: %r", url, e)
        return _fail(f"error:{type(e).__name__}", start)


def _extract(html: str | bytes, cfg: ExtractConfig, start: float) -> ExtractResult:
    if isinstance(html, bytes):
        html = decode_html(html[: cfg.max_html_bytes])
    html = html[: cfg.max_html_bytes]
    if OPEN in html or CLOSE in html:  # forged placeholder characters
        html = html.translate(SANITIZE)
    tree = HTMLTree.parse(html)
    if tree.document is None or tree.body is None:
        return _fail("unparsable", start)
    if _too_deep(tree.body, cfg.max_depth):
        return _fail("too_deep", start)
    page = page_config(tree)
    title = (tree.title or "").strip() or None

    store = MathStore()
    replace_math(tree, store)
    add_markdown(tree)
    text = main_text(tree, cfg.main_content, cfg.comments)
    text = find_text_math(text, page, store) if "```" not in text else _outside_code(text, page, store)
    text, found = store.restore(text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) < cfg.min_text_chars:
        return _fail("empty_text", start)
    counts = {f: int(found.get(f, 0)) for f in MATH_FAMILIES}
    return ExtractResult(text=text, counts=counts, title=title, seconds=time.perf_counter() - start)


def _too_deep(body, limit: int) -> bool:
    """True when the first-child or last-child element chain from <body> is deeper than `limit`.

    A cheap probe (O(limit)) rather than a full traversal: nesting attacks and broken pages that never
    close their tags build exactly such chains."""
    for attr in ("first_element_child", "last_element_child"):
        node, depth = body, 0
        while node is not None:
            depth += 1
            if depth > limit:
                return True
            node = getattr(node, attr)
    return False


_FENCE = re.compile(r"(```\n.*?\n```)", re.S)


def _outside_code(text: str, page, store: MathStore) -> str:
    """Delimiter scanning skips fenced code blocks: `$` in shell or TeX source shown as code is not math."""
    parts = _FENCE.split(text)
    return "".join(p if i % 2 else find_text_math(p, page, store) for i, p in enumerate(parts))
