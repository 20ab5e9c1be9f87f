"""The training data pipeline end to end: sources -> packed rows -> weighted mixture -> step batches.

Every process builds the same global stream and takes its own slice of each step's rows, so the data
position is one small dict for the whole job (saved in the checkpoint by the main process) and the
mixture holds exactly on the global batch, whatever the world size. Tokenising the global stream on
every rank costs CPU the GPUs do not wait for at these model sizes (a 7B model consumes a few thousand
tokens/s per GPU; a fast tokenizer produces about a million per core).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from training.data.mixture import Mixture
from training.data.packing import Packer, hf_tokenize
from training.data.sources import DocumentStream, SourceConfig


@dataclass
class DataConfig:
    """Sources, mixture and packing."""

    sources: list[SourceConfig] = field(default_factory=list)
    """The mixture's sources with their weights (token shares)."""
    context: int = 4096
    """Row length in tokens (the paper's 4K context)."""
    val_permille: int = 5
    """Documents held out for validation, in permille of each source (chosen by text hash)."""
    val_rows: int = 64
    """Validation rows (of `context` tokens) mixed with the training weights; 0 disables validation."""
    tokenize_batch: int = 64
    """Documents tokenised per call (larger is faster, reads further ahead)."""


def build_mixture(
    cfg: DataConfig, tokenizer, split: str = "train", state: dict[str, Any] | None = None
) -> Mixture:
    """The mixed row stream of `split`, positioned at `state` (from `Mixture.state_dict()`) if given."""
    if not cfg.sources:
        raise ValueError("data.sources is empty: name at least one source")
    names = [s.name for s in cfg.sources]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique: {names}")
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no EOS token, needed between packed documents")
    tokenize = hf_tokenize(tokenizer)
    packers = {}
    for src in cfg.sources:
        stream = DocumentStream(
            src, split=split, val_permille=cfg.val_permille, max_epochs=1 if split == "val" else 0
        )
        src_state = (state or {}).get("sources", {}).get(src.name)
        packers[src.name] = Packer(
            stream, tokenize, cfg.context, tokenizer.eos_token_id, src_state, cfg.tokenize_batch
        )
    return Mixture(packers, {s.name: s.weight for s in cfg.sources}, state)


def validation_rows(cfg: DataConfig, tokenizer) -> torch.Tensor:
    """Up to `val_rows` held-out rows (one pass over the held-out documents), as a [n, context] tensor."""
    if cfg.val_rows <= 0:
        return torch.empty(0, cfg.context, dtype=torch.long)
    rows = [row for _, row in zip(range(cfg.val_rows), (r for _, r in build_mixture(cfg, tokenizer, "val")))]
    if not rows:
        return torch.empty(0, cfg.context, dtype=torch.long)
    return torch.from_numpy(np.stack(rows)).long()


class StepBatches:
    """Per optimiser step, this process's micro batches: `accum` tensors of [micro_batch, context].

    A step consumes `micro_batch · accum · world` rows of the global stream; micro batch a of rank r
    holds rows `[(a · world + r) · micro_batch, …)`, so every rank sees different rows.
    """

    def __init__(self, mixture: Mixture, micro_batch: int, accum: int, world: int = 1, rank: int = 0):
        self.mixture = mixture
        self.micro, self.accum, self.world, self.rank = micro_batch, accum, world, rank
        self.rows_per_step = micro_batch * accum * world
        self.source_rows: dict[str, int] = {}

    def state_dict(self) -> dict[str, Any]:
        return self.mixture.state_dict()

    def __iter__(self) -> Iterator[list[torch.Tensor]]:
        return self

    def __next__(self) -> list[torch.Tensor]:
        picked = []
        for _ in range(self.rows_per_step):
            name, row = next(self.mixture)
            self.source_rows[name] = self.source_rows.get(name, 0) + 1
            picked.append(row)
        rows = torch.from_numpy(np.stack(picked)).long()
        return [
            rows[(a * self.world + self.rank) * self.micro : (a * self.world + self.rank + 1) * self.micro]
            for a in range(self.accum)
        ]
