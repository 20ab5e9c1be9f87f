"""The report as one self-contained HTML page: inline CSS, plots embedded as base64 PNG, no scripts
and no external requests, so it can be mailed, archived or opened offline."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

from corpus.stats.plots import PLOTS
from corpus.stats.sections import build_sections, fmt_int

CSS = """
body { font-family: -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 24px auto; max-width: 1300px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.row { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.note { color: #555; font-size: 13px; } img { max-width: 640px; border: 1px solid #eee; }
code { background: #f6f6f6; padding: 0 3px; }
.doc { border-left: 3px solid #ccd; margin: 6px 0; padding: 2px 10px; font-size: 12px; }
.doc pre { white-space: pre-wrap; margin: 4px 0; max-height: 7em; overflow: hidden; font-size: 11px; }
.bad { color: #b00; font-weight: bold; }
"""

_NUM = re.compile(r"^[-\d,.]+( ?(%|B|KB|MB|GB|TB))?$")


def _inline(s: str) -> str:
    """Escape, then render `code` spans and **bold** (the Markdown the sections use)."""
    s = html.escape(s)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    return re.sub(r"\*\*([^*]+)\*\*", r'<span class="bad">\1</span>', s)


def to_html(report: dict[str, Any]) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>mathmine stats: {html.escape(report['path'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Corpus statistics: <code>{html.escape(report['path'])}</code></h1>",
    ]
    for sec in build_sections(report):
        parts.append(f"<h{sec.level}>{_inline(sec.title)}</h{sec.level}>")
        if sec.note:
            parts.append(f"<p class='note'>{_inline(sec.note)}</p>")
        parts.append("<div class='row'>")
        if sec.headers:
            parts.append("<table><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in sec.headers) + "</tr>")
            for row in sec.rows:
                cells = "".join(
                    f"<td class='num'>{_inline(c)}</td>" if _NUM.match(c) else f"<td>{_inline(c)}</td>"
                    for c in row
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
        png = PLOTS[sec.plot](report) if sec.plot else None
        if png:
            b64 = base64.b64encode(png).decode()
            parts.append(f"<img alt='{html.escape(sec.title)}' src='data:image/png;base64,{b64}'>")
        parts.append("</div>")
        for group in sec.samples or []:
            parts.append(
                f"<h3>{html.escape(group['kind'])} = <code>{html.escape(group['bucket'])}</code></h3>"
            )
            for d in group["docs"]:
                meta = f"<code>{html.escape(d['id'][:12])}</code> {html.escape(d.get('url') or '')} · {fmt_int(d.get('tokens'))} tokens"
                if d.get("score") is not None:
                    meta += f" · score {d['score']:.3f}"
                snippet = f"<pre>{html.escape(d['snippet'])}</pre>" if d.get("snippet") else ""
                parts.append(f"<div class='doc'>{meta}{snippet}</div>")
    parts.append(
        f"<p class='note'>Built by <code>mathmine corpus stats</code> in {report.get('seconds', 0):.1f} s.</p>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)
