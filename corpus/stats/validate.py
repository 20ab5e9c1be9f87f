"""`mathmine corpus validate`: are these shards what the Document contract promises?

Checks, each reported with the shard and the row: the shard opens and every batch decodes; every
column of `corpus.schema.DOCUMENT_SCHEMA` is present with its type (extra columns are allowed,
stages add them); required columns (`id`, `text`) have no nulls; no document has empty text; ids are
unique within a stage folder.

Id uniqueness scales past memory: ids are hashed to uint64 with the shard and row of each, spilled
into hash partitions on disk when a folder has more than `partition_rows` rows, and each partition
is sorted on its own; equal hashes are then confirmed on the id strings themselves, so a hash
collision is never reported as a duplicate.
"""

from __future__ import annotations

import functools
import io
import os
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from corpus import shards
from corpus.schema import DOCUMENT_SCHEMA
from corpus.stats.idhash import hash_ids
from corpus.stats.layout import is_run, run_stages

ROW_DTYPE = np.dtype([("h", "<u8"), ("s", "<u4"), ("r", "<u8")])
MAX_ROWS_LISTED = 5  # per shard and check: enough to find the rows, not a flood


@dataclass
class Problem:
    shard: str
    check: str  # unreadable | schema | null | empty_text | duplicate_id
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.shard + (f" row {self.row}" if self.row is not None else "")
        return f"{where}: [{self.check}] {self.message}"


@dataclass
class Validation:
    path: str
    shards: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "shards": self.shards,
            "rows": self.rows,
            "problems": [asdict(p) for p in self.problems],
        }


@functools.lru_cache(maxsize=1)
def parquet_document_schema() -> pa.Schema:
    """DOCUMENT_SCHEMA as it reads back from Parquet. Parquet has no seconds unit, so a
    `timestamp[s]` column comes back as `timestamp[ms]`: the writer cannot do otherwise, and a
    shard is judged against what a correct writer produces."""
    buf = io.BytesIO()
    pq.write_table(DOCUMENT_SCHEMA.empty_table(), buf)
    return pq.read_schema(io.BytesIO(buf.getvalue()))


# Nullable columns newer than the first schema (`document/1`): shards written before them lack
# them, and every stage reads them as null.
ADDED_LATER = {"warc_record_offset"}


def _check_schema(shard: str, schema: pa.Schema) -> list[Problem]:
    out = []
    expected = parquet_document_schema()
    for f in DOCUMENT_SCHEMA:
        if f.name not in schema.names:
            if f.name not in ADDED_LATER:
                out.append(Problem(shard, "schema", f"missing column {f.name!r} ({f.type})", column=f.name))
            continue
        got = schema.field(f.name).type
        if got != f.type and got != expected.field(f.name).type:
            out.append(
                Problem(shard, "schema", f"column {f.name!r} is {got}, expected {f.type}", column=f.name)
            )
    return out


def _rows(mask: np.ndarray, offset: int) -> list[int]:
    return (np.nonzero(mask)[0][:MAX_ROWS_LISTED] + offset).tolist()


class _IdIndex:
    """(hash, shard, row) of every id; in memory, or in hash partitions on disk past `partition_rows`."""

    def __init__(self, total_rows: int, partition_rows: int):
        self.parts = 1
        while total_rows / self.parts > partition_rows:
            self.parts *= 2
        self.shift = 64 - (self.parts.bit_length() - 1)
        self.tmp = tempfile.TemporaryDirectory(prefix="mathmine-validate-") if self.parts > 1 else None
        self.mem: list[np.ndarray] = []

    def add(self, h: np.ndarray, shard: int, first_row: int) -> None:
        rec = np.empty(len(h), ROW_DTYPE)
        rec["h"], rec["s"], rec["r"] = h, shard, np.arange(first_row, first_row + len(h), dtype=np.uint64)
        if self.tmp is None:
            self.mem.append(rec)
            return
        part = (h >> np.uint64(self.shift)).astype(np.int64)
        for p in np.unique(part).tolist():
            with open(os.path.join(self.tmp.name, f"{p}.bin"), "ab") as f:
                f.write(rec[part == p].tobytes())

    def duplicates(self) -> list[np.ndarray]:
        """Groups of records whose hashes are equal."""
        out = []
        chunks = [np.concatenate(self.mem)] if self.tmp is None and self.mem else []
        if self.tmp is not None:
            chunks = (
                np.fromfile(os.path.join(self.tmp.name, f), ROW_DTYPE)
                for f in sorted(os.listdir(self.tmp.name))
            )
        for rec in chunks:
            rec = rec[np.argsort(rec["h"], kind="stable")]
            same = rec["h"][1:] == rec["h"][:-1]
            if not same.any():
                continue
            starts = np.nonzero(np.r_[True, ~same])[0]
            ends = np.r_[starts[1:], len(rec)]
            out += [rec[a:b] for a, b in zip(starts, ends, strict=True) if b - a > 1]
        if self.tmp is not None:
            self.tmp.cleanup()
        return out


def _confirm_duplicates(files: list[str], groups: list[np.ndarray], limit: int) -> list[Problem]:
    """Look up the id strings of hash-equal rows; report the truly equal ones."""
    need: dict[int, set[int]] = {}
    for g in groups:
        for s, r in zip(g["s"].tolist(), g["r"].tolist(), strict=True):
            need.setdefault(s, set()).add(r)
    ids: dict[tuple[int, int], str] = {}
    for s, rows in need.items():
        col = shards.read_table(files[s], columns=["id"]).column("id")
        idx = sorted(rows)
        for r, v in zip(idx, col.take(pa.array(idx)).to_pylist(), strict=True):
            ids[(s, r)] = v
    out = []
    for g in groups:
        by_id: dict[str, list[tuple[int, int]]] = {}
        for s, r in zip(g["s"].tolist(), g["r"].tolist(), strict=True):
            by_id.setdefault(ids[(s, r)], []).append((s, r))
        for doc_id, where in by_id.items():
            if len(where) < 2:
                continue  # a 64-bit hash collision between different ids, not a duplicate
            (s0, r0), rest = where[0], where[1:]
            also = ", ".join(f"{files[s]} row {r}" for s, r in rest[:MAX_ROWS_LISTED])
            out.append(
                Problem(files[s0], "duplicate_id", f"id {doc_id!r} also at {also}", row=r0, column="id")
            )
            if len(out) >= limit:
                return out
    return out


def validate_folder(
    folder: str, batch_size: int = 65536, partition_rows: int = 50_000_000, max_problems: int = 200
) -> Validation:
    """Validate every shard of one folder (or one .parquet file); ids must be unique across them."""
    files = [folder] if folder.endswith(".parquet") else shards.list_shards(folder, "*.parquet")
    res = Validation(folder)
    if not files:
        res.problems.append(Problem(folder, "unreadable", "no Parquet shards found"))
        return res
    metas: list[pq.FileMetaData | None] = []
    for f in files:  # metadata first: the row total sizes the id index
        try:
            fs, p = shards.url_to_fs(f)
            with fs.open(p, "rb") as fh:
                metas.append(pq.ParquetFile(fh).metadata)
        except Exception as e:  # noqa: BLE001 - any decode error means an unreadable shard
            res.problems.append(Problem(f, "unreadable", f"cannot open as Parquet: {type(e).__name__}: {e}"))
            metas.append(None)
    index = _IdIndex(sum(m.num_rows for m in metas if m is not None), partition_rows)
    for si, (f, meta) in enumerate(
        tqdm(list(zip(files, metas, strict=True)), desc=f"validate {folder}", unit="shard", leave=False)
    ):
        if meta is None:
            continue
        res.shards += 1
        fs, p = shards.url_to_fs(f)
        row = 0
        try:
            with fs.open(p, "rb") as fh:
                pf = pq.ParquetFile(fh)
                res.problems += _check_schema(f, pf.schema_arrow)
                cols = [c for c in ("id", "text") if c in pf.schema_arrow.names]
                for batch in pf.iter_batches(batch_size=batch_size, columns=cols or None):
                    col = dict(zip(batch.schema.names, batch.columns, strict=True))
                    for name in cols:
                        nulls = col[name].is_null().to_numpy(zero_copy_only=False)
                        res.problems += [
                            Problem(f, "null", f"{name!r} is null", row=r, column=name)
                            for r in _rows(nulls, row)
                        ]
                    if "text" in col:
                        trimmed = pc.utf8_trim_whitespace(col["text"])
                        empty = pc.fill_null(pc.equal(pc.binary_length(trimmed), 0), False).to_numpy(
                            zero_copy_only=False
                        )
                        res.problems += [
                            Problem(f, "empty_text", "text is empty or whitespace only", row=r, column="text")
                            for r in _rows(empty, row)
                        ]
                    if "id" in col:
                        index.add(hash_ids(col["id"]), si, row)
                    row += batch.num_rows
        except Exception as e:  # noqa: BLE001 - a corrupt page or column chunk: name where reading stopped
            res.problems.append(
                Problem(f, "unreadable", f"reading failed after row {row}: {type(e).__name__}: {e}", row=row)
            )
        if row != meta.num_rows and not any(
            pr.shard == f and pr.check == "unreadable" for pr in res.problems
        ):
            res.problems.append(Problem(f, "unreadable", f"read {row} rows, metadata says {meta.num_rows}"))
        res.rows += row
        if len(res.problems) >= max_problems:
            res.problems.append(Problem(folder, "limit", f"stopped after {max_problems} problems"))
            return res
    res.problems += _confirm_duplicates(files, index.duplicates(), max_problems)
    return res


def validate(path: str, **kw: Any) -> list[Validation]:
    """Validate a run (each document stage folder) or a shard folder / file."""
    path = str(path).rstrip("/")
    if not path.endswith(".parquet") and is_run(path):
        stages = run_stages(path)
        if not stages:
            return [Validation(path, problems=[Problem(path, "unreadable", "run holds no stage shards")])]
        return [validate_folder(s.path, **kw) for s in stages]
    return [validate_folder(path, **kw)]
