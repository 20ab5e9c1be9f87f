"""corpus.columns builds the same Arrow arrays as pa.array, and an ingest worker never imports pandas."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from corpus.columns import table_from_columns, to_array
from corpus.schema import DROPPED_SCHEMA

CASES = [
    (pa.string(), ["a", None, "", "数学 $x^2$", "x" * 1000]),
    (pa.string(), ["no", "nulls"]),
    (pa.string(), []),
    (pa.int64(), [0, None, -(2**63), 2**63 - 1, 7]),
    (pa.int32(), [1, 2, None, -5]),
    (pa.int16(), [None, None, 300]),
    (pa.uint8(), [0, 255, None]),
    (pa.float32(), [0.1, None, 1e30, -2.5, 0.123456789]),
    (pa.float64(), [0.1, None, 1e300]),
    (pa.bool_(), [True, False, None, True] * 5),
    (
        pa.timestamp("ms", tz="UTC"),
        [
            datetime(2024, 3, 1, 12, 0, 0, 123999, tzinfo=timezone.utc),
            None,
            datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=5))),
            datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=timezone.utc),
            datetime(2001, 1, 1, 0, 0, 1, 1),  # naive
        ],
    ),
    (pa.timestamp("us"), [datetime(2020, 1, 1, 0, 0, 0, 5), None]),
    (pa.timestamp("s", tz="UTC"), [datetime(2020, 1, 1, 0, 0, 1, 999999, tzinfo=timezone.utc)]),
    (pa.list_(pa.string()), [["a", "b"], None, [], ["ü"], ["x"] * 300]),
    (pa.list_(pa.string()), [["a", None]]),  # null inside a list: falls back to pa.array
    (pa.large_string(), ["fallback", None]),
]


@pytest.mark.parametrize(("typ", "values"), CASES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(CASES)])
def test_same_array_as_pa_array(typ, values):
    got = to_array(values, typ)
    got.validate(full=True)
    want = pa.array(values, type=typ)
    assert got.type == want.type and got.null_count == want.null_count
    assert got.equals(want), (got, want)


def test_table_matches_from_pydict_and_rejects_nulls_in_required_columns():
    cols = {f.name: [None, None] for f in DROPPED_SCHEMA}
    cols.update(
        id=["a", "b"],
        text=["t", ""],
        reason=["x", "y"],
        fetch_time=[datetime(2024, 1, 1, tzinfo=timezone.utc), None],
        out_links=[["http://a/"], None],
        math_mathjax=[1, 0],
        lang_score=[0.5, None],
    )
    got = table_from_columns(cols, DROPPED_SCHEMA)
    assert got.equals(pa.Table.from_pydict(cols, schema=DROPPED_SCHEMA))
    assert got.schema.metadata == DROPPED_SCHEMA.metadata
    with pytest.raises(ValueError, match="'id'"):
        table_from_columns({**cols, "id": [None, "b"]}, DROPPED_SCHEMA)


def test_ingest_worker_does_not_import_pandas(tmp_path, shared_data):
    """A fresh interpreter ingests a WARC and writes its shards without importing pandas (its
    import was ~0.2-0.3 CPU-s of every worker's start-up)."""
    warc = sorted((shared_data / "warc_cmoncrawl").glob("*.warc.gz"))[0]
    code = (
        "import sys; from corpus.ingest import IngestConfig, ingest_warc; "
        "s = ingest_warc(sys.argv[1], sys.argv[2] + '/d.parquet', sys.argv[2] + '/x.parquet', "
        "IngestConfig(extract_timeout_s=0)); "
        "print(s['kept'], 'pandas' in sys.modules, 'requests' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    out = subprocess.run(
        [sys.executable, "-c", code, str(warc), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    kept, pandas, requests = out.stdout.split()
    assert int(kept) > 0
    assert pandas == "False", "an ingest worker imported pandas"
    assert requests == "False", "an ingest worker imported requests (tldextract)"
