"""Discovery's pre-fill rule (rate, size, specificity) and rejected paths stopping link-following."""

from __future__ import annotations

import pyarrow as pa

from corpus import discovery as disc
from corpus import shards


def _paths(rows: list[tuple[str, str, int, int]]) -> pa.Table:
    return pa.table(
        {
            "key": [r[0] for r in rows],
            "path": [r[1] for r in rows],
            "pages": pa.array([r[2] for r in rows], pa.int64()),
            "selected": pa.array([r[3] for r in rows], pa.int64()),
            "rate": [r[3] / r[2] for r in rows],
        }
    )


def test_prefill_prefers_the_specific_sub_path():
    cfg = disc.DiscoveryConfig(accept_min_rate=0.3, accept_min_pages=10, specific_share=0.9, min_path_pages=2)
    rows = disc.prefill(
        _paths(
            [
                ("ask.net", "/questions/", 140, 64),  # rate 0.46, but all of it is /questions/math/
                ("ask.net", "/questions/math/", 64, 64),
                ("ask.net", "/questions/recipe/", 40, 0),
                ("blog.org", "/2024/", 40, 36),  # spread over two months: stays accepted
                ("blog.org", "/2024/02/", 20, 18),
                ("blog.org", "/2024/03/", 20, 18),
                ("forum.com", "/questions/123/", 1, 1),  # one page: not a section, left out
            ]
        ),
        cfg,
    )
    got = {(r["domain"], r["path"]): r["accept"] for r in rows}
    assert got == {
        ("ask.net", "/questions/"): "no",
        ("ask.net", "/questions/math/"): "yes",
        ("ask.net", "/questions/recipe/"): "no",
        ("blog.org", "/2024/"): "yes",
        ("blog.org", "/2024/02/"): "yes",
        ("blog.org", "/2024/03/"): "yes",
    }
    cfg.specific_share = 0  # disabled: the broad path is accepted too
    assert {
        r["path"]
        for r in disc.prefill(_paths([("a", "/q/", 20, 10), ("a", "/q/m/", 10, 10)]), cfg)
        if r["accept"] == "yes"
    } == {"/q/", "/q/m/"}


def test_rejected_paths_stop_links(tmp_path):
    pool = str(tmp_path / "pool.parquet")
    shards.write_table(
        pa.table(
            {
                "id": ["a", "b", "c"],
                "url": ["https://s.com/math/1", "https://s.com/t/2", "https://s.com/about"],
                "domain": ["s.com"] * 3,
                "text": ["x", "y", "z"],
            }
        ),
        pool,
    )
    under = str(tmp_path / "under.parquet")
    shards.write_table(pa.table({"id": ["a"], "url": ["https://s.com/math/1"], "text": ["x"]}), under)
    links = str(tmp_path / "links.parquet")
    shards.write_table(pa.table({"url": ["https://s.com/t/2", "https://s.com/about"]}), links)
    out = str(tmp_path / "out.parquet")
    st = disc.collect_linked(pool, under, [links], out, [], rejected=[["s.com", "/t/"]], key="domain")
    assert shards.read_table(out).column("id").to_pylist() == ["a", "c"]
    assert st["linked"] == 1 and st["linked_under_rejected_paths"] == 1
    ann = tmp_path / "paths.tsv"
    ann.write_text("accept\tdomain\tpath\nyes\ts.com\t/math/\nno\ts.com\t/t/\n")
    assert disc.read_annotations(str(ann)) == [("s.com", "/math/")]
    assert disc.read_annotations(str(ann), accepted=False) == [("s.com", "/t/")]
