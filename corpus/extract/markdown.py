"""Markdown-like structure for the extracted text.

Resiliparse's plain-text extraction already keeps paragraphs, line breaks, list bullets and `<pre>`
whitespace. What it lacks (headings, code fences, tables) we write into the DOM as text before
extraction: heading markers, ``` fences around code blocks, and data tables re-rendered as pipe rows.
Layout tables (old Stack Exchange posts are laid out with tables) are left alone: only tables whose cells
hold inline content become Markdown tables.
"""

from __future__ import annotations

import re
from typing import Any

_BLOCK_IN_CELL = "table, p, div, ul, ol, pre, blockquote, h1, h2, h3, h4, h5, h6"
_WS = re.compile(r"\s+")


def _prepend(tree: Any, node: Any, text: str) -> None:
    first = node.first_child
    t = tree.create_text_node(text)
    if first is None:
        node.append_child(t)
    else:
        node.insert_before(t, first)


def _cell_text(cell: Any) -> str:
    return _WS.sub(" ", cell.text or "").strip().replace("|", "\\|")


def _table_to_rows(tree: Any, table: Any) -> None:
    rows = []
    for tr in table.query_selector_all("tr")[:]:
        cells = [c for c in tr.child_nodes if c.type == 1 and c.tag in ("td", "th")]
        if cells:
            rows.append([_cell_text(c) for c in cells])
    if not rows:
        return
    width = max(len(r) for r in rows)
    lines = []
    for i, r in enumerate(rows):
        r = r + [""] * (width - len(r))
        lines.append("| " + " | ".join(r) + " |")
        if i == 0:
            lines.append("|" + "---|" * width)
    p = tree.create_element("p")
    for i, line in enumerate(lines):
        if i:
            p.append_child(tree.create_element("br"))
        p.append_child(tree.create_text_node(line))
    table.replace_with(p)


def add_markdown(tree: Any) -> None:
    """Write Markdown markers for headings, code blocks and data tables into the DOM (in place)."""
    doc = tree.document
    if doc is None:
        return
    for level in range(1, 7):
        for h in doc.query_selector_all(f"h{level}")[:]:
            if (h.text or "").strip():
                _prepend(tree, h, "#" * level + " ")
    for pre in doc.query_selector_all("pre")[:]:
        if pre.parent is None or pre.closest("pre") is not pre:
            continue  # nested <pre>: the outer one is fenced
        if (pre.text or "").strip():
            _prepend(tree, pre, "```\n")
            pre.append_child(tree.create_text_node("\n```"))
    # innermost tables first, so a data table inside a layout table is still converted
    for table in reversed(doc.query_selector_all("table")[:]):
        if table.parent is None or table.query_selector(_BLOCK_IN_CELL) is not None:
            continue
        _table_to_rows(tree, table)
