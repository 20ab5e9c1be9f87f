"""Small real Parquet sources for the pretraining tests, built from ../shared/data (never copied in)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa

from corpus.shards import shard_name, write_table


def _jsonl(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def write_source(texts: list[str], out: Path, per_shard: int = 50) -> Path:
    for i in range(0, len(texts), per_shard):
        write_table(
            pa.Table.from_pylist([{"text": t} for t in texts[i : i + per_shard]]),
            str(out / shard_name(i // per_shard)),
        )
    return out


def math_texts(shared: Path, n: int = 300) -> list[str]:
    """MATH problems with their worked solutions: stand-in for the mined math corpus."""
    out = []
    for rec in _jsonl(shared / "math" / "test.jsonl.gz"):
        out.append(f"Problem: {rec['problem']}\nSolution: {rec['solution']}")
        if len(out) == n:
            break
    return out


def web_texts(shared: Path, n: int = 200) -> list[str]:
    """DCLM general web text: stand-in for Common Crawl text."""
    return [r["text"] for _, r in zip(range(n), _jsonl(shared / "web_text_dclm" / "majority_data.jsonl"))]


def make_sources(
    shared: Path, root: Path, n_math: int = 300, n_web: int = 200, n_code: int = 60
) -> dict[str, Path]:
    from training.data.stdlib_code import write_stdlib_shards

    write_stdlib_shards(str(root / "code"), max_files=n_code, docs_per_shard=20)
    return {
        "math": write_source(math_texts(shared, n_math), root / "math"),
        "web": write_source(web_texts(shared, n_web), root / "web"),
        "code": root / "code",
    }


def tiny_tokenizer(shared: Path):
    from training.tiny_model import train_tokenizer

    return train_tokenizer(math_texts(shared, 300) + web_texts(shared, 100), vocab_size=1024)
