"""Evaluation reports: results.json (machines), results.md (people), predictions/<benchmark>.jsonl.

Every item's prediction is saved (id, gold answer, model output(s), extracted answer(s), correctness)
so a score can be audited item by item and re-scored later with `mathmine eval score`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path


def write_predictions(path: str | Path, records: Iterable[dict]) -> Path:
    """One JSON object per line; written to a temp name, then renamed (no half-written files)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def read_predictions(path: str | Path) -> list[dict]:
    """Predictions JSONL (`id` and `output`, or `outputs` for several samples); clear errors."""
    rows = []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None
            if not isinstance(row, dict) or "id" not in row or not ("output" in row or "outputs" in row):
                raise ValueError(f"{path}:{n}: a prediction needs `id` and `output` (or `outputs`)")
            rows.append(row)
    return rows


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def markdown(report: dict) -> str:
    """The report as Markdown: one row per benchmark, then breakdowns and lm-eval tasks."""
    lines = [f"# Evaluation: {report.get('model', '?')}", ""]
    meta = {k: report[k] for k in ("mode", "limit", "max_new_tokens", "samples") if k in report}
    if meta:
        lines += [", ".join(f"{k}: {v}" for k, v in meta.items()), ""]
    benches = report.get("benchmarks", {})
    if benches:
        extra = sorted({k for r in benches.values() for k in r if k.startswith(("maj@", "pass@"))})
        header = ["benchmark", "items", "accuracy (%)", *(f"{k} (%)" for k in extra)]
        lines += ["| " + " | ".join(header) + " |", "|---|---:|---:|" + "---:|" * len(extra)]
        for name, r in benches.items():
            cells = [name, str(r.get("items", 0)), _pct(r.get("accuracy"))] + [_pct(r.get(k)) for k in extra]
            lines.append("| " + " | ".join(cells) + " |")
        for name, r in benches.items():
            for key, groups in r.get("breakdown", {}).items():
                lines += [
                    "",
                    f"**{name} by {key}**",
                    "",
                    f"| {key} | items | accuracy (%) |",
                    "|---|---:|---:|",
                ]
                lines += [f"| {g} | {v['items']} | {_pct(v['accuracy'])} |" for g, v in groups.items()]
    general = report.get("general", {})
    if general:
        lines += [
            "",
            "**General reasoning (lm-evaluation-harness)**",
            "",
            "| task | metric | value |",
            "|---|---|---:|",
        ]
        for task, metrics in general.items():
            for m, v in metrics.items():
                lines.append(
                    f"| {task} | {m} | {v:.4f} |" if isinstance(v, float) else f"| {task} | {m} | {v} |"
                )
    return "\n".join(lines) + "\n"


def write_report(out_dir: str | Path, report: dict) -> tuple[Path, Path]:
    """results.json and results.md in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    js, md = out / "results.json", out / "results.md"
    js.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md.write_text(markdown(report), encoding="utf-8")
    return js, md
