"""Document sources for training: Parquet shards (local paths, globs, fsspec URLs) or a hub dataset.

A source is read as an endless, deterministic stream of documents (epoch after epoch, shards in sorted
order, rows in file order) with an exact, JSON-serialisable position: `{"epoch", "shard", "row"}` for
Parquet (the row is the index within the shard, so resuming reads the shard again and skips to it) and
`{"epoch", "hf": <datasets IterableDataset.state_dict()>}` for hub datasets streamed by `datasets`.
The position always names the *next* document to be read, so a checkpoint can store it and resume
there without reading anything twice or skipping anything.

Held-out validation documents are chosen by a hash of the text (stable across runs, shard layouts and
machines) and never appear in the training stream.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import xxhash

from corpus.shards import iter_batches, url_to_fs

log = logging.getLogger(__name__)


@dataclass
class SourceConfig:
    """One data source of the mixture."""

    name: str = "corpus"
    """Name used in logs and metrics (`corpus`, `algebraic_stack`, `arxiv`, `github`, `common_crawl`)."""
    weight: float = 1.0
    """Mixture weight: the share of training *tokens* drawn from this source (weights are normalised)."""
    paths: list[str] = field(default_factory=list)
    """Parquet folders (their top-level *.parquet, so a stage's dropped/ side tables are not read), globs
    or fsspec URLs (s3://bucket/prefix/*.parquet)."""
    hub_id: str | None = None
    """Instead of `paths`: a dataset id (or builder such as `parquet`) streamed with `datasets`."""
    hub_config: str | None = None
    """Dataset configuration name for `hub_id`."""
    hub_data_files: list[str] = field(default_factory=list)
    """`data_files` for `hub_id` (e.g. with the `parquet` or `json` builders)."""
    split: str = "train"
    """Split of `hub_id`."""
    text_column: str = "text"
    """Column holding the document text."""
    exclude_ids_from: list[str] = field(default_factory=list)
    """Skip rows whose `id` appears in these Parquet folders/globs (e.g. the pool minus the selected math
    corpus = the pool's non-math pages, used as Common Crawl text). The ids are held in memory."""
    score_below: float | None = None
    """Keep only rows whose `score` column is null or below this (e.g. the pool's non-math pages as
    general web text); None keeps every row."""


def resolve_paths(paths: list[str]) -> list[str]:
    """Expand folders and globs into a sorted list of Parquet files (local or remote URLs)."""
    files: list[str] = []
    for p in paths:
        fs, path = url_to_fs(p)
        proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if any(c in path for c in "*?["):
            found = fs.glob(path)
        elif fs.isdir(path):
            found = fs.glob(path.rstrip("/") + "/*.parquet")
        elif fs.exists(path):
            found = [path]
        else:
            raise FileNotFoundError(f"data source path {p!r} does not exist")
        found = sorted(f for f in found if not f.rsplit("/", 1)[-1].startswith("."))
        files += found if proto in ("file", "local") else [f"{proto}://{f}" for f in found]
    return files


def _load_ids(paths: list[str]) -> set[str]:
    ids: set[str] = set()
    for f in resolve_paths(paths):
        for batch in iter_batches(f, columns=["id"]):
            ids.update(batch.column(0).to_pylist())
    return ids


def is_validation(text: str, val_permille: int) -> bool:
    """A document is held out when the hash of its text falls in the first `val_permille` of 1000."""
    return val_permille > 0 and xxhash.xxh64_intdigest(text.encode("utf-8", "replace")) % 1000 < val_permille


class DocumentStream:
    """Endless stream of (position, text) for one source; `split` picks training or held-out documents."""

    def __init__(
        self,
        cfg: SourceConfig,
        split: str = "train",
        val_permille: int = 5,
        max_epochs: int = 0,
        position: dict[str, Any] | None = None,
    ):
        if split not in ("train", "val"):
            raise ValueError(f"split must be train or val, got {split!r}")
        if not cfg.paths and not cfg.hub_id:
            raise ValueError(f"source {cfg.name!r} names neither paths nor hub_id")
        self.cfg = cfg
        self.split = split
        self.val_permille = val_permille
        self.max_epochs = max_epochs  # 0: repeat forever (training); 1: one pass (validation)
        self.position = dict(position or {"epoch": 0, "shard": 0, "row": 0})
        self.files = resolve_paths(cfg.paths) if cfg.paths else []
        if cfg.paths and not self.files:
            raise FileNotFoundError(f"source {cfg.name!r}: no Parquet files under {cfg.paths}")
        self.skipped = {"empty_text": 0, "score_filtered": 0, "excluded_id": 0}
        self.exclude = _load_ids(cfg.exclude_ids_from) if cfg.exclude_ids_from else set()

    def _keep(self, text: Any, score: Any, doc_id: Any = None) -> bool:
        if not isinstance(text, str) or not text.strip():
            self.skipped["empty_text"] += 1
            return False
        if doc_id is not None and doc_id in self.exclude:
            self.skipped["excluded_id"] += 1
            return False
        if self.cfg.score_below is not None and score is not None and score >= self.cfg.score_below:
            self.skipped["score_filtered"] += 1
            return False
        return is_validation(text, self.val_permille) == (self.split == "val")

    def __iter__(self) -> Iterator[tuple[dict[str, Any], str]]:
        """Yield (position of this document, text); `self.position` then names the next document."""
        reader = self._iter_hub if self.cfg.hub_id else self._iter_parquet
        while not self.max_epochs or self.position["epoch"] < self.max_epochs:
            fresh = (
                not self.position.get("hf")
                and not self.position.get("shard")
                and not self.position.get("row")
            )
            produced = 0
            for pos, text in reader():
                produced += 1
                yield pos, text
            if fresh and produced == 0:  # nothing passes the filters: stop rather than spin forever
                log.warning("source %s has no %s documents", self.cfg.name, self.split)
                return
            self.position = {"epoch": self.position["epoch"] + 1, "shard": 0, "row": 0}

    def _iter_parquet(self) -> Iterator[tuple[dict[str, Any], str]]:
        columns = [
            self.cfg.text_column,
            "score" if self.cfg.score_below is not None else None,
            "id" if self.exclude else None,
        ]
        epoch = self.position["epoch"]
        for shard in range(self.position["shard"], len(self.files)):
            start = self.position["row"] if shard == self.position["shard"] else 0
            row = 0
            for batch in iter_batches(self.files[shard], columns=[c for c in columns if c], batch_size=1024):
                n = batch.num_rows
                if row + n <= start:  # whole batch before the resume point
                    row += n
                    continue
                texts = batch.column(self.cfg.text_column).to_pylist()
                scores = batch.column("score").to_pylist() if columns[1] else [None] * n
                ids = batch.column("id").to_pylist() if columns[2] else [None] * n
                for i in range(max(0, start - row), n):
                    pos = {"epoch": epoch, "shard": shard, "row": row + i}
                    self.position = {"epoch": epoch, "shard": shard, "row": row + i + 1}
                    if self._keep(texts[i], scores[i], ids[i]):
                        yield pos, texts[i]
                row += n
            self.position = {"epoch": epoch, "shard": shard + 1, "row": 0}

    def _iter_hub(self) -> Iterator[tuple[dict[str, Any], str]]:
        import datasets

        ds = datasets.load_dataset(
            self.cfg.hub_id,
            self.cfg.hub_config,
            split=self.cfg.split,
            streaming=True,
            data_files=self.cfg.hub_data_files or None,
        )
        epoch = self.position["epoch"]
        if self.position.get("hf"):
            ds.load_state_dict(self.position["hf"])
        state = copy.deepcopy(ds.state_dict())
        for example in ds:
            pos = {"epoch": epoch, "hf": state}
            state = copy.deepcopy(ds.state_dict())
            self.position = {"epoch": epoch, "hf": state}
            if self._keep(example.get(self.cfg.text_column), example.get("score"), example.get("id")):
                yield pos, example[self.cfg.text_column]
