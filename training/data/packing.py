"""Pack one source's documents into fixed-length rows: tokens, EOS after every document, no padding.

Rows are exactly `context` tokens. A document longer than the space left continues in the next row
(standard GPT/Llama pretraining packing; attention may cross a document boundary, the EOS marks it).
Labels are the inputs themselves: the model shifts them by one, as HF causal LMs do, so the token after
an EOS is predicted from the EOS and earlier context.

The position is `{"doc": <source position of the first document not fully emitted>, "offset": <tokens
of it already emitted>}`: a few integers, independent of how far tokenisation has read ahead. Resuming
re-reads that document, re-tokenises it (tokenisers are deterministic) and skips `offset` tokens.
A finite stream (validation) drops its last, partial row rather than padding it.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from training.data.sources import DocumentStream

Tokenize = Callable[[list[str]], list[list[int]]]


def hf_tokenize(tokenizer) -> Tokenize:
    """Batch tokenisation with a HF tokenizer, without special tokens (EOS is added by the packer)."""

    def tokenize(texts: list[str]) -> list[list[int]]:
        return tokenizer(texts, add_special_tokens=False, return_attention_mask=False)["input_ids"]

    return tokenize


class Packer:
    """Iterator of int32 rows of length `context` from one `DocumentStream`, with an exact position."""

    def __init__(
        self,
        stream: DocumentStream,
        tokenize: Tokenize,
        context: int,
        eos_id: int,
        state: dict[str, Any] | None = None,
        tokenize_batch: int = 64,
    ):
        if context < 2:
            raise ValueError(f"context must be at least 2 tokens, got {context}")
        self.stream = stream
        self.tokenize = tokenize
        self.context = context
        self.eos_id = int(eos_id)
        self.tokenize_batch = tokenize_batch
        self._skip = 0
        if state:
            stream.position = dict(state["doc"])
            self._skip = int(state["offset"])
        self._state = {"doc": dict(stream.position), "offset": self._skip}
        self.documents = 0
        self.tokens = 0
        self._it = self._rows()

    def state_dict(self) -> dict[str, Any]:
        """Position after the last row returned (JSON-serialisable)."""
        return {"doc": dict(self._state["doc"]), "offset": self._state["offset"]}

    def __iter__(self) -> Packer:
        return self

    def __next__(self) -> np.ndarray:
        return next(self._it)

    def _rows(self) -> Iterator[np.ndarray]:
        docs = iter(self.stream)
        pending: deque[list] = deque()  # [position, tokens incl. EOS]
        offset = self._skip  # tokens of pending[0] already emitted
        available = 0
        exhausted = False
        while True:
            while available - offset < self.context and not exhausted:
                batch = list(itertools.islice(docs, self.tokenize_batch))
                if not batch:
                    exhausted = True
                    break
                for (pos, _), ids in zip(batch, self.tokenize([t for _, t in batch])):
                    ids = np.asarray([*ids, self.eos_id], dtype=np.int32)
                    pending.append([pos, ids])
                    available += len(ids)
                    self.documents += 1
            if available - offset < self.context:
                return  # finite stream: drop the partial tail instead of padding
            row = np.empty(self.context, dtype=np.int32)
            filled = 0
            while filled < self.context:
                pos, ids = pending[0]
                take = min(self.context - filled, len(ids) - offset)
                row[filled : filled + take] = ids[offset : offset + take]
                filled += take
                offset += take
                if offset == len(ids):
                    pending.popleft()
                    available -= len(ids)
                    offset = 0
            self._state = (
                {"doc": dict(pending[0][0]), "offset": offset}
                if pending
                else {"doc": dict(self.stream.position), "offset": 0}
            )
            self.tokens += self.context
            yield row
