"""64-bit hashes of document ids, vectorised over Arrow's string buffers.

Overlap between rounds, id differences between runs, duplicate-id checks and the sample reservoir
all need ids as fixed-size numbers: a NumPy array of uint64 is 8 bytes an id (a Python set of the
same strings is ~10x that) and sorts / intersects in C. The hash is FNV-1a over the id's UTF-8
bytes, computed column-wise on the string buffer (one NumPy pass per byte position, no Python
object per id), followed by the splitmix64 finaliser so that the low and high bits are uniform
(the sample reservoir keeps the smallest hashes). It is deterministic across processes and
machines. At 64 bits, 10^9 ids give ~0.03 expected collisions; callers that must be exact
(validation) re-check the colliding strings.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


def _splitmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def hash_ids(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """uint64 hash per id (nulls hash like the empty string: ids are non-nullable by schema)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if not pa.types.is_string(ids.type):
        ids = pc.cast(ids, pa.string())
    if ids.null_count:
        ids = ids.fill_null("")
    n = len(ids)
    if n == 0:
        return np.zeros(0, np.uint64)
    bufs = ids.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[ids.offset : ids.offset + n + 1].astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(n, FNV_OFFSET, dtype=np.uint64)
    last = max(len(data) - 1, 0)
    with np.errstate(over="ignore"):
        for j in range(int(lengths.max(initial=0))):
            c = data[np.minimum(starts + j, last)].astype(np.uint64)
            h = np.where(j < lengths, (h ^ c) * FNV_PRIME, h)
        return _splitmix64(h ^ lengths.astype(np.uint64))
