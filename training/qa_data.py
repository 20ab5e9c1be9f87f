"""Question/solution rows for SFT and GRPO from JSONL (optionally .gz), Parquet, or a hub dataset.

`load_rows("data/train.jsonl")`, `load_rows("runs/x/part-00000.parquet")`,
`load_rows("openai/gsm8k", config="main", split="train")`: a list of dicts. Rows missing a field the
caller needs are counted and skipped by `select_fields`, never silently turned into empty strings.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def load_rows(
    source: str, split: str = "train", config: str | None = None, limit: int | None = None
) -> list[dict]:
    """Rows of a local .jsonl/.jsonl.gz/.parquet file (or folder of parquet), else a hub dataset id."""
    path = Path(source)
    rows: list[dict]
    if path.exists():
        if path.is_dir():
            import pyarrow.parquet as pq

            rows = []
            for f in sorted(path.rglob("*.parquet")):
                rows.extend(pq.read_table(f).to_pylist())
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        else:
            opener = gzip.open if path.suffix == ".gz" else open
            rows = []
            with opener(path, "rt", encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if line.strip():
                        try:
                            rows.append(json.loads(line))
                        except json.JSONDecodeError as e:
                            raise ValueError(f"{path}:{i + 1}: not JSON ({e})") from e
    else:
        from datasets import load_dataset

        rows = list(load_dataset(source, config, split=split))
    return rows[:limit] if limit else rows


def select_fields(rows: list[dict], fields: dict[str, str]) -> tuple[list[dict], int]:
    """Rename `fields` (new name -> source field) in each row; returns (rows, number skipped)."""
    out, skipped = [], 0
    for r in rows:
        if all(isinstance(r.get(src), str) and r[src].strip() for src in fields.values()):
            out.append({new: r[src] for new, src in fields.items()})
        else:
            skipped += 1
    return out, skipped
