"""Arrow columns from Python lists, built from buffers: the same arrays as `pa.array`, without pandas.

Why by hand: `pa.array(python_list)` asks whether the list is a pandas object, and that check imports
pandas (~0.2-0.3 CPU-s) the first time it runs in a process. An ingest worker never uses pandas, so
every fresh worker paid that just to write its first shard. Building the arrays from buffers
(`pa.Array.from_buffers`) needs no check. Covered types are the ones the document schemas use:
strings, integers, floats, booleans, UTC-or-naive timestamps and lists of strings; any other type
(or a string column past 2 GiB, which `pa.array` would split into chunks) goes through `pa.array`.
`tests/test_columns.py` checks that every covered type gives an array equal to `pa.array`'s.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

_INT_CODES = {8: "b", 16: "h", 32: "i", 64: "q"}
_UINT_CODES = {8: "B", 16: "H", 32: "I", 64: "Q"}
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_UNIT = {
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
    "us": timedelta(microseconds=1),
}
_MAX_OFFSET = (1 << 31) - 1


def _validity(values: Sequence[Any]) -> tuple[pa.Buffer | None, int]:
    """Validity bitmap (LSB first, as Arrow lays it out) and null count; no bitmap without nulls."""
    nulls = sum(1 for v in values if v is None)
    if not nulls:
        return None, 0
    bits = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        if v is not None:
            bits[i >> 3] |= 1 << (i & 7)
    return pa.py_buffer(bits), nulls


def _string_buffers(values: Sequence[str | None]) -> tuple[pa.Buffer, pa.Buffer] | None:
    """Offsets and data of a `string` array, or None when the data would not fit int32 offsets."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]  # strict, like pa.array
    offsets = array("i", [0])
    pos = 0
    for b in encoded:
        pos += len(b)
        if pos > _MAX_OFFSET:
            return None
        offsets.append(pos)
    return pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))


def _ticks(v: datetime, unit: timedelta) -> int:
    # pa.array stores an aware datetime as its UTC instant and a naive one as UTC wall time,
    # truncating below the unit
    return (v - (_EPOCH_UTC if v.tzinfo is not None else _EPOCH_NAIVE)) // unit


def to_array(values: Sequence[Any], typ: pa.DataType) -> pa.Array:
    """`values` (Python objects, None for null) as an Arrow array of type `typ`."""
    n = len(values)
    validity, nulls = _validity(values)
    if pa.types.is_string(typ):
        bufs = _string_buffers(values)
        if bufs is not None:
            return pa.Array.from_buffers(typ, n, [validity, *bufs], null_count=nulls)
    elif pa.types.is_integer(typ):
        codes = _INT_CODES if pa.types.is_signed_integer(typ) else _UINT_CODES
        data = array(codes[typ.bit_width], [0 if v is None else v for v in values])
        return pa.Array.from_buffers(typ, n, [validity, pa.py_buffer(data)], null_count=nulls)
    elif pa.types.is_float32(typ) or pa.types.is_float64(typ):
        data = array("f" if pa.types.is_float32(typ) else "d", [0.0 if v is None else v for v in values])
        return pa.Array.from_buffers(typ, n, [validity, pa.py_buffer(data)], null_count=nulls)
    elif pa.types.is_boolean(typ):
        bits = bytearray((n + 7) // 8)
        for i, v in enumerate(values):
            if v:
                bits[i >> 3] |= 1 << (i & 7)
        return pa.Array.from_buffers(typ, n, [validity, pa.py_buffer(bits)], null_count=nulls)
    elif (
        pa.types.is_timestamp(typ)
        and typ.unit in _UNIT
        and all(v is None or type(v) is datetime for v in values)
    ):
        unit = _UNIT[typ.unit]
        data = array("q", [0 if v is None else _ticks(v, unit) for v in values])
        return pa.Array.from_buffers(typ, n, [validity, pa.py_buffer(data)], null_count=nulls)
    elif pa.types.is_list(typ) and pa.types.is_string(typ.value_type):
        flat = [s for v in values if v is not None for s in v]
        if None not in flat:
            child = to_array(flat, typ.value_type)
            offsets = array("i", [0])
            pos = 0
            for v in values:
                pos += 0 if v is None else len(v)
                offsets.append(pos)
            return pa.Array.from_buffers(
                typ, n, [validity, pa.py_buffer(offsets)], null_count=nulls, children=[child]
            )
    return pa.array(values, type=typ)


def table_from_columns(cols: dict[str, Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """A table of `schema` from one Python list per field (like `pa.Table.from_pydict`)."""
    arrays = [to_array(cols[f.name], f.type) for f in schema]
    for f, a in zip(schema, arrays):
        if not f.nullable and a.null_count:
            raise ValueError(f"column {f.name!r} is not nullable but holds {a.null_count} null(s)")
    return pa.Table.from_arrays(arrays, schema=schema)
