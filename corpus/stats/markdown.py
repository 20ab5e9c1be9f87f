"""The report as Markdown, for review in a pull request or a terminal."""

from __future__ import annotations

from typing import Any

from corpus.stats.sections import build_sections, fmt_int


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Corpus statistics: {report['path']}", ""]
    for sec in build_sections(report):
        lines += ["#" * sec.level + " " + sec.title, ""]
        if sec.note:
            lines += [sec.note, ""]
        if sec.headers:
            lines.append("| " + " | ".join(_cell(h) for h in sec.headers) + " |")
            lines.append("|" + "|".join("---" for _ in sec.headers) + "|")
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in sec.rows]
            lines.append("")
        for group in sec.samples or []:
            lines += [f"**{group['kind']} = `{group['bucket']}`**", ""]
            for d in group["docs"]:
                meta = f"`{d['id'][:12]}` {d.get('url') or ''} · {fmt_int(d.get('tokens'))} tokens"
                if d.get("score") is not None:
                    meta += f" · score {d['score']:.3f}"
                lines.append(f"- {meta}")
                if d.get("snippet"):
                    snippet = " ".join(d["snippet"].split())[:300]
                    lines.append(f"  > {snippet}")
            lines.append("")
    lines.append(f"_Built by `mathmine corpus stats` in {report.get('seconds', 0):.1f} s._")
    return "\n".join(lines) + "\n"
