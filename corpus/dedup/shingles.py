"""Word n-gram shingles, hashed to 64-bit integers for a whole batch of texts at once.

Shingling in Python (normalise, split, join n words, hash each string) costs far more than a
vectorised MinHash, so the batch path works on the batch's UTF-8 bytes and never builds a Python
string for an ASCII word (almost every word of web text):

1. one table lookup per byte (`bytes.translate`, 256 entries): ASCII letters and digits -> their lower case,
   other ASCII bytes -> 0 (separator), bytes of non-ASCII characters -> themselves;
2. *runs* are the maximal non-zero stretches inside one document (from two shifted boolean masks).
   A run of ASCII bytes is already one normalised word. A run holding a non-ASCII byte ("don’t",
   "Straße", "–") is normalised exactly by the reference `normalize_for_shingles` (NFKC, per-character
   lower case, non-alphanumeric -> space) and may give 0, 1 or several words; only these few runs
   (~2% of runs in DCLM web text, each distinct one once per batch) go through Python;
3. every word gets a 64-bit hash of its normalised UTF-8 bytes, read 8 bytes at a time with unaligned
   loads (one gather per 8 bytes of word length, not one operation per character), see `_hash_spans`;
4. numpy combines the hashes of n consecutive words into the shingle hash
   ``mix(sum_k h[i+k] * M_k)`` (odd random multipliers ``M_k`` mod 2^64, then the splitmix64
   finaliser), for every position of every document in one vector expression.

Why splitting at ASCII separators first gives the reference's words: the reference maps each
character on its own after NFKC, every ASCII non-alphanumeric byte is a separator there too, and NFKC
never merges an ASCII separator with its neighbours into an alphanumeric character (ASCII characters
are starters that compose with nothing before them; the only compositions starting with ASCII
punctuation are ``<``, ``=``, ``>`` + U+0338, which give the separators ≮ ≠ ≯). Tests check the batch
path word for word against the reference on real web text and on adversarial Unicode.

A document with fewer than n words (but at least one) has one shingle: all its words, as in the
reference `shingle_set`. Empty documents have no shingles.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpus.dedup.normalize import normalize_for_shingles

# Version of the word and shingle hash functions. The dedup stage records it with its settings, so a run
# sketched with other hashes (signatures that would never match these) is refused on resume, not mixed.
HASH_VERSION = 2  # 1: code-point polynomial word hash; 2: normalised UTF-8 bytes, 8 at a time
_U64 = np.uint64
# Fixed odd multipliers (from a seeded generator) make shingle hashes identical across runs and machines.
_MULTS = np.random.Generator(np.random.PCG64(20240205)).integers(1, 2**63, size=64, dtype=np.uint64) * _U64(
    2
) + _U64(1)
_PAD = _U64(0x9E3779B97F4A7C15)  # word hash standing for "past the end of a short document"
_LEN_MULT = _U64(0xC2B2AE3D27D4EB4F)  # mixes a word's byte length into its hash
# Low-byte masks: _BYTE_MASKS[k] keeps the first k bytes of a little-endian 8-byte load (k = 0..8).
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)


def _byte_map() -> np.ndarray:
    table = np.arange(256, dtype=np.uint8)  # non-ASCII bytes stay themselves (part of a run)
    for b in range(128):
        table[b] = ord(chr(b).lower()) if chr(b).isalnum() else 0
    return table


_BYTE_MAP = _byte_map()
_BYTE_TABLE = _BYTE_MAP.tobytes()  # for bytes.translate: a C loop, ~3x faster than np.take here


def splitmix64(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection on uint64 with full avalanche), vectorised; in place."""
    t = z >> _U64(30)  # one temporary, reused: this runs on every word and shingle of a batch
    with np.errstate(over="ignore"):
        z ^= t
        z *= _U64(0xBF58476D1CE4E5B9)
        np.right_shift(z, _U64(27), out=t)
        z ^= t
        z *= _U64(0x94D049BB133111EB)
        np.right_shift(z, _U64(31), out=t)
        z ^= t
    return z


# Bytes per numpy pass. Memory is ~20 bytes of temporaries per byte, but the real reason for 1 MiB is
# speed: the passes then stay in cache (measured on DCLM text, one core: 52k docs/s for the word pass at
# 256 KiB-1 MiB, 44k at 4 MiB, 33k at 32 KiB where per-call overhead dominates).
MAX_CHARS = 1 << 20


def as_utf8(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> pa.Array:
    """One contiguous Arrow string or large_string array, nulls as ''."""
    arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    if arr.null_count:
        arr = arr.fill_null("")
    return arr


def _offsets(arr: pa.Array) -> np.ndarray:
    dtype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    return np.frombuffer(arr.buffers()[1], dtype=dtype)[arr.offset : arr.offset + len(arr) + 1].astype(
        np.int64
    )


def text_slices(arr: pa.Array, budget: int) -> list[tuple[int, int]]:
    """Consecutive [lo, hi) ranges of the texts of `arr` (from `as_utf8`) with at most `budget` bytes each."""
    return _slices(_offsets(arr), budget)


def _slices(offsets: np.ndarray, budget: int) -> list[tuple[int, int]]:
    """Consecutive [lo, hi) document ranges with at most `budget` bytes each (or one long text)."""
    out, lo, n = [], 0, len(offsets) - 1
    while lo < n:
        hi = int(np.searchsorted(offsets, offsets[lo] + budget, side="right")) - 1
        hi = max(hi, lo + 1)
        out.append((lo, hi))
        lo = hi
    return out


def _runs(m: np.ndarray, doc_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of every maximal run of non-zero bytes of `m` that stays inside one document."""
    n = m.size
    w = m != 0
    inner = doc_off[1:-1]
    inner = inner[(inner > 0) & (inner < n)]
    prev = np.empty(n, dtype=bool)
    prev[0] = False
    prev[1:] = w[:-1]
    prev[inner] = False  # a run never continues into the next document
    starts = np.flatnonzero(w & ~prev)
    nxt = prev  # reuse the buffer
    nxt[-1] = False
    nxt[:-1] = w[1:]
    nxt[inner - 1] = False
    ends = np.flatnonzero(w & ~nxt)
    ends += 1
    return starts, ends


def _hash_spans(padded: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """64-bit hash of each byte span ``padded[s:s+len]`` (``padded`` has 8 spare bytes at its end).

    Hand-written because no library hashes millions of short byte spans of one buffer in bulk with a
    stable function: the first 8 bytes are one unaligned little-endian load (a strided uint64 view of
    the byte buffer), masked to the word's length and xor-ed with the length; every further 8 bytes is
    mixed in by ``h = splitmix64(h) ^ chunk``, only for the words that long; splitmix64 at the end."""
    words64 = np.ndarray(shape=(padded.size - 7,), dtype="<u8", buffer=padded, strides=(1,))
    h = words64[starts]
    h &= _BYTE_MASKS[np.minimum(lens, 8)]
    with np.errstate(over="ignore"):
        h ^= lens.astype(np.uint64) * _LEN_MULT
        k = 8
        long = np.flatnonzero(lens > k)
        while long.size:
            chunk = words64[starts[long] + k] & _BYTE_MASKS[np.minimum(lens[long] - k, 8)]
            h[long] = splitmix64(h[long]) ^ chunk
            k += 8
            long = long[lens[long] > k]
    return splitmix64(h)


def hash_words(words: list[str]) -> np.ndarray:
    """Hashes of already-normalised words (as `normalize_for_shingles(...).split()` gives them): the
    same function the batch path applies to the words it finds."""
    if not words:
        return np.empty(0, np.uint64)
    encoded = [w.encode() for w in words]
    lens = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    buf = np.frombuffer(b"".join(encoded) + bytes(8), dtype=np.uint8)
    starts = np.cumsum(lens) - lens
    return _hash_spans(buf, starts, lens)


def word_hashes(texts: pa.Array | pa.ChunkedArray | list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash of every word of every text in order, uint64; word count per text, int64).

    Words are exactly ``normalize_for_shingles(text).split()``, hashed by `hash_words`' function.
    Large batches are cut into slices of about `MAX_CHARS` bytes so memory stays flat."""
    arr = as_utf8(texts)
    offsets = _offsets(arr)
    data_buf = arr.buffers()[2]
    if len(arr) == 0 or data_buf is None or offsets[-1] == offsets[0]:
        return np.empty(0, np.uint64), np.zeros(len(arr), np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8)
    res = [_word_pass(data, offsets[lo : hi + 1]) for lo, hi in _slices(offsets, MAX_CHARS)]
    if len(res) == 1:
        return res[0]
    return np.concatenate([h for h, _ in res]), np.concatenate([c for _, c in res])


def _word_pass(data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Word hashes and counts of the documents whose bytes are ``data[offsets[d]:offsets[d+1]]``."""
    base, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    doc_off = offsets - base
    n_docs = len(doc_off) - 1
    if size == 0:
        return np.empty(0, np.uint64), np.zeros(n_docs, np.int64)
    raw = data[base : base + size]
    raw_bytes = raw.tobytes() + bytes(8)  # 8 spare bytes for the 8-byte loads of `_hash_spans`
    padded = np.frombuffer(raw_bytes.translate(_BYTE_TABLE), dtype=np.uint8)
    starts, ends = _runs(padded[:size], doc_off)
    run_off = np.searchsorted(starts, doc_off)  # runs of document d: run_off[d]:run_off[d+1]
    hashes = _hash_spans(padded, starts, ends - starts)
    high = np.flatnonzero(raw >= 0x80)
    if high.size == 0:
        return hashes, np.diff(run_off)
    # Runs holding a non-ASCII byte are normalised exactly by the reference rule, each distinct one
    # once: they are grouped by a 64-bit hash of their raw bytes, so only the distinct ones become
    # strings (two different runs of one slice sharing that hash, ~1e-11 per slice, would share words).
    run_of = np.searchsorted(starts, high, side="right") - 1
    special = run_of[np.concatenate(([True], run_of[1:] != run_of[:-1]))]
    raw_keys = _hash_spans(
        np.frombuffer(raw_bytes, dtype=np.uint8), starts[special], ends[special] - starts[special]
    )
    _, first_of, which = np.unique(raw_keys, return_index=True, return_inverse=True)
    uniq = [
        raw_bytes[s:e].decode()
        for s, e in zip(starts[special[first_of]].tolist(), ends[special[first_of]].tolist())
    ]
    split = [normalize_for_shingles(s).split() for s in uniq]
    n_words = np.array([len(w) for w in split], dtype=np.int64)
    flat = hash_words([w for ws in split for w in ws])
    # Every ordinary run is one word; special run r becomes k[r] words (0, 1 or more): repeat each run's
    # hash k times, then overwrite the special runs' slots with their own words.
    k = n_words[which]
    per_run = np.ones(starts.size, dtype=np.int64)
    per_run[special] = k
    out = np.repeat(hashes, per_run)
    if k.sum():  # word j of special run r: from flat[first[which[r]] + j] to out[dest[r] + j]
        shift = np.cumsum(k - 1) - (k - 1)  # extra words added by the special runs before r
        dest = special + shift
        first = np.cumsum(n_words) - n_words
        pos = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
        out[np.repeat(dest, k) + pos] = flat[np.repeat(first[which], k) + pos]
    # words per document: its runs, plus what its special runs added or removed
    counts = np.diff(run_off)
    doc_of = np.searchsorted(run_off, special, side="right") - 1
    counts += np.bincount(doc_of, weights=k - 1, minlength=len(counts)).astype(np.int64)
    return out, counts


def shingle_hashes(
    texts: pa.Array | pa.ChunkedArray | list[str | None], n: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word n-grams of each text of a batch: (hashes uint64, offsets int64 of length
    len(texts)+1); document d's shingles are ``hashes[offsets[d]:offsets[d+1]]`` (repeats kept: MinHash
    does not care, and dropping them would cost a sort)."""
    if not 1 <= n <= len(_MULTS):
        raise ValueError(f"n-gram size must be in 1..{len(_MULTS)}, got {n}")
    words, counts = word_hashes(texts)
    n_docs = len(counts)
    n_sh = np.where(counts > 0, np.maximum(counts - n + 1, 1), 0)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(n_sh, out=offsets[1:])
    word_start = np.cumsum(counts) - counts
    short = np.flatnonzero((counts > 0) & (counts < n))  # one shingle: all words, then _PAD
    n_windows = words.size - n + 1
    if n_windows > 0:
        # Every window of n consecutive words of the batch; those crossing a document boundary are
        # computed and never read: shingle j of document d is window word_start[d] + j.
        with np.errstate(over="ignore"):
            acc = words[:n_windows] * _MULTS[0]
            for k in range(1, n):
                acc += words[k : k + n_windows] * _MULTS[k]
        pos = np.arange(offsets[-1]) + np.repeat(word_start - offsets[:-1], n_sh)
        pos[offsets[short]] = 0  # filled below
        out = acc[pos]
    else:
        out = np.empty(int(offsets[-1]), dtype=np.uint64)
    if short.size:
        vals = np.zeros(short.size, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(n):
                inside = k < counts[short]
                w = np.where(inside, words[np.minimum(word_start[short] + k, words.size - 1)], _PAD)
                vals += w * _MULTS[k]
        out[offsets[short]] = vals
    return splitmix64(out), offsets


def shingle_set(text: str, n: int = 5) -> set[tuple[str, ...]]:
    """Reference shingles of one text as a set of word tuples (exact Jaccard, tests, anchors)."""
    words = normalize_for_shingles(text or "").split()
    if not words:
        return set()
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def shingle_strings(text: str, n: int = 5) -> list[str]:
    """Reference shingles of one text as strings (what datasketch and rensa are fed)."""
    words = normalize_for_shingles(text or "").split()
    if not words:
        return []
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def jaccard(a: set, b: set) -> float:
    """Exact Jaccard similarity of two sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
