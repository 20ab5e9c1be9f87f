"""`run_final` on hand-made round selections: a killed final stage resumes without redoing finished
re-extraction tasks, and a final built from another round is rebuilt."""

from __future__ import annotations

import pyarrow as pa
import pytest

from corpus import run as runmod
from corpus import shards
from corpus.config import CorpusRecipe
from corpus.executors import LocalExecutor
from corpus.schema import conform


def _selection(run_dir: str, k: int) -> None:
    for i in range(2):
        t = pa.table({"id": [f"r{k}-{i}"], "url": [f"https://x.org/{k}/{i}"], "text": ["x"], "n_tokens": [1]})
        shards.write_table(conform(t), shards.join(run_dir, f"round-{k}", "selected", shards.shard_name(i)))


def test_killed_final_resumes_and_other_round_rebuilds(tmp_path, monkeypatch):
    run_dir = str(tmp_path / "run")
    _selection(run_dir, 1)
    _selection(run_dir, 2)
    recipe = CorpusRecipe()
    recipe.final.decontaminate = False
    monkeypatch.setattr(runmod, "write_card", lambda *a, **k: None)
    calls: list[str] = []

    def fake_reextract(in_path, out_path, dropped_path, min_chars, fail_on=None):
        name = in_path.rsplit("/", 1)[-1]
        if name == fail_on:
            raise KeyboardInterrupt  # the run is killed here
        calls.append(name)
        t = shards.read_table(in_path)
        shards.write_table(t, out_path)
        return {"records_in": t.num_rows, "kept": t.num_rows}

    monkeypatch.setattr(
        runmod, "reextract_shard", lambda **kw: fake_reextract(**kw, fail_on="part-00001.parquet")
    )
    with pytest.raises(KeyboardInterrupt):
        runmod.run_final(run_dir, 1, recipe, LocalExecutor(1))
    assert calls == ["part-00000.parquet"]

    calls.clear()
    monkeypatch.setattr(runmod, "reextract_shard", lambda **kw: fake_reextract(**kw))
    stats = runmod.run_final(run_dir, 1, recipe, LocalExecutor(1))
    assert calls == ["part-00001.parquet"]  # the finished task was not redone
    assert stats["pages"] == 2 and stats["round"] == 1

    calls.clear()
    stats = runmod.run_final(run_dir, 2, recipe, LocalExecutor(1))
    assert calls == ["part-00000.parquet", "part-00001.parquet"]  # round 2: everything rebuilt
    ids = {
        i
        for p in shards.list_shards(shards.join(run_dir, "final"))
        for i in shards.read_table(p)["id"].to_pylist()
    }
    assert ids == {"r2-0", "r2-1"}
