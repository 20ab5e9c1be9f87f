"""Shard I/O for run directories: Parquet (zstd) written atomically, completion records, listings.

Paths may be local or any fsspec URL (s3://, gs://, https:// for reading), so a cluster needs no
shared filesystem. A shard is written under a temporary name and renamed, so a killed writer never
leaves a half shard under the final name; the completion record is written after the shard, so a
record always means the shard is whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterable
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

DONE_DIR = "_done"
PARQUET_OPTS = {"compression": "zstd", "compression_level": 3, "use_dictionary": ["lang", "domain", "host"]}


def url_to_fs(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, path = fsspec.core.url_to_fs(str(url))
    return fs, path


def join(base: str, *parts: str) -> str:
    base = str(base)
    return "/".join([base.rstrip("/"), *[p.strip("/") for p in parts]])


def shard_name(index: int, prefix: str = "part") -> str:
    """Deterministic shard file name: part-00007.parquet."""
    return f"{prefix}-{index:05d}.parquet"


def _atomic_write(url: str, write) -> None:
    fs, path = url_to_fs(url)
    parent = path.rsplit("/", 1)[0] if "/" in path else "."
    fs.makedirs(parent, exist_ok=True)
    tmp = f"{parent}/.tmp-{uuid.uuid4().hex}-{path.rsplit('/', 1)[-1]}"
    try:
        with fs.open(tmp, "wb") as f:
            write(f)
        if getattr(fs, "protocol", None) in ("file", ("file", "local")) or fs.protocol == ("file", "local"):
            os.replace(tmp, path)  # atomic on POSIX
        else:
            fs.mv(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError, OSError):
            fs.rm(tmp)
        raise


def write_table(table: pa.Table, url: str, **opts: Any) -> None:
    """Write `table` to `url` as one Parquet file, atomically."""
    kw = {**PARQUET_OPTS, **opts}
    if isinstance(kw.get("use_dictionary"), list):
        kw["use_dictionary"] = [c for c in kw["use_dictionary"] if c in table.column_names]
    _atomic_write(url, lambda f: pq.write_table(table, f, **kw))


def read_table(url: str, columns: list[str] | None = None) -> pa.Table:
    fs, path = url_to_fs(url)
    return pq.read_table(path, columns=columns, filesystem=fs)


def iter_batches(
    url: str, columns: list[str] | None = None, batch_size: int = 4096
) -> Iterable[pa.RecordBatch]:
    """Stream a shard in record batches (never the whole file in memory)."""
    fs, path = url_to_fs(url)
    with fs.open(path, "rb") as f:
        yield from pq.ParquetFile(f).iter_batches(batch_size=batch_size, columns=columns)


def list_shards(directory: str, pattern: str = "*.parquet") -> list[str]:
    """Sorted shard URLs in `directory` (temporary files excluded)."""
    fs, path = url_to_fs(directory)
    if not fs.exists(path):
        return []
    found = [p for p in fs.glob(f"{path.rstrip('/')}/{pattern}") if not p.rsplit("/", 1)[-1].startswith(".")]
    proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    if proto in ("file", "local"):
        return sorted(found)
    return sorted(f"{proto}://{p}" for p in found)


def write_json(url: str, obj: Any) -> None:
    data = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()
    _atomic_write(url, lambda f: f.write(data))


def read_json(url: str) -> Any:
    fs, path = url_to_fs(url)
    with fs.open(path, "rb") as f:
        return json.loads(f.read())


def exists(url: str) -> bool:
    fs, path = url_to_fs(url)
    return fs.exists(path)


def done_path(stage_dir: str, task_name: str) -> str:
    return join(stage_dir, DONE_DIR, f"{task_name}.json")


def mark_done(stage_dir: str, task_name: str, stats: dict[str, Any]) -> None:
    """Completion record of one task; written only after its outputs are in place."""
    write_json(done_path(stage_dir, task_name), stats)


def read_done(stage_dir: str, task_name: str) -> dict[str, Any] | None:
    p = done_path(stage_dir, task_name)
    return read_json(p) if exists(p) else None


def stage_complete(stage_dir: str) -> bool:
    """True when the stage wrote its final record `_done/_stage.json`."""
    return exists(done_path(stage_dir, "_stage"))
