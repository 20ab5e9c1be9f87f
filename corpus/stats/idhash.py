"""64-bit hashes of document ids, vectorised, for set operations over millions of ids.

Overlap between rounds, id differences between runs, duplicate-id checks and the sample reservoir
all need ids as fixed-size numbers: a NumPy array of uint64 is 8 bytes an id (a Python set of the
same strings is ~10x that) and sorts / intersects in C. pandas' `hash_array` (SipHash with a fixed
key) is deterministic across processes and machines, so a hash is a stable sort key. At 64 bits,
10^9 ids give ~0.03 expected collisions; callers that must be exact (validation) re-check the
colliding strings.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from pandas.util import hash_array


def hash_ids(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """uint64 hash per id (nulls hash like the empty string: ids are non-nullable by schema)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    values = ids.fill_null("").to_numpy(zero_copy_only=False).astype(object, copy=False)
    return hash_array(values, categorize=False)
