"""The Document schema: one row per web page, the contract between every corpus stage.

Stages add columns (e.g. `score`, `round`); none silently drops one. Columns a stage does not
know yet are nullable so early stages can write the full schema.
"""

from __future__ import annotations

import pyarrow as pa

# Markup families counted per document (raw-HTML markers at ingest, extracted formulas later).
MATH_FAMILIES = ("mathjax", "katex", "mathml", "latex_img", "tex_delims", "asciimath")

DOCUMENT_FIELDS: list[pa.Field] = [
    pa.field(
        "id",
        pa.string(),
        nullable=False,
        metadata={"doc": "stable id: sha1 of WARC record id or url+fetch time"},
    ),
    pa.field("url", pa.string(), metadata={"doc": "target URI of the capture"}),
    pa.field("domain", pa.string(), metadata={"doc": "registered domain (eTLD+1), lower case"}),
    pa.field("host", pa.string(), metadata={"doc": "full host name, lower case"}),
    pa.field(
        "text",
        pa.string(),
        nullable=False,
        metadata={"doc": "extracted text (fast tier at ingest, math tier in final)"},
    ),
    pa.field("lang", pa.string(), metadata={"doc": "fastText lid.176 language code"}),
    pa.field("lang_score", pa.float32(), metadata={"doc": "lid.176 confidence of `lang`"}),
    pa.field("warc_path", pa.string(), metadata={"doc": "WARC file the page was read from"}),
    pa.field(
        "warc_offset",
        pa.int64(),
        metadata={
            "doc": "byte offset of the record (its gzip member) in the WARC file; 0 if gzipped as one stream"
        },
    ),
    pa.field(
        "warc_length",
        pa.int64(),
        metadata={
            "doc": "byte length of the record (its gzip member); gunzipped where warc_record_offset is set"
        },
    ),
    pa.field(
        "warc_record_offset",
        pa.int64(),
        metadata={
            "doc": "record inside a gzip stream or member holding several: its offset in the bytes "
            "gunzipped from warc_offset; else null"
        },
    ),
    pa.field(
        "fetch_time",
        pa.timestamp("ms", tz="UTC"),
        metadata={"doc": "WARC-Date of the capture (ms: Parquet has no seconds unit)"},
    ),
    pa.field("html_bytes", pa.int64(), metadata={"doc": "size of the HTTP payload"}),
    *[
        pa.field(f"math_{f}", pa.int32(), metadata={"doc": f"count of {f} markup found"})
        for f in MATH_FAMILIES
    ],
    pa.field(
        "out_links", pa.list_(pa.string()), metadata={"doc": "absolute http(s) links found on the page"}
    ),
    pa.field("score", pa.float32(), metadata={"doc": "math classifier probability (set by rounds)"}),
    pa.field("round", pa.int16(), metadata={"doc": "round that first selected the page (null: never)"}),
    pa.field("n_tokens", pa.int32(), metadata={"doc": "approximate token count (see corpus.tokens)"}),
]

DOCUMENT_SCHEMA = pa.schema(DOCUMENT_FIELDS, metadata={"mathmine.schema": "document/2"})

# Side tables of dropped documents: the document columns plus why it was dropped.
DROP_REASON_FIELD = pa.field(
    "reason", pa.string(), nullable=False, metadata={"doc": "why the stage dropped it"}
)
DROPPED_SCHEMA = DOCUMENT_SCHEMA.append(DROP_REASON_FIELD)


def conform(table: pa.Table, schema: pa.Schema = DOCUMENT_SCHEMA) -> pa.Table:
    """Return `table` with every column of `schema` (missing ones null) in schema order, then any
    extra columns a later stage added, in their original order."""
    n = table.num_rows
    cols, fields = [], []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            if col.type != field.type:
                col = col.cast(field.type)
        else:
            if not field.nullable:
                raise ValueError(f"table lacks required column {field.name!r}")
            col = pa.nulls(n, field.type)
        cols.append(col)
        fields.append(field)
    for name in table.column_names:
        if name not in schema.names:
            cols.append(table.column(name))
            fields.append(table.schema.field(name))
    return pa.Table.from_arrays(cols, schema=pa.schema(fields, metadata=schema.metadata))


def empty_documents(schema: pa.Schema = DOCUMENT_SCHEMA) -> pa.Table:
    return schema.empty_table()
