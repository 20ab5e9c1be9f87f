"""Dedup stage: URL keys, shingles and signatures, exact / URL / near dedup, side table, determinism, resume."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest

from corpus import shards
from corpus.dedup.clusters import connected_components
from corpus.dedup.lsh import band_keys, detection_probability, star_pairs
from corpus.dedup.minhash import MinHasher, estimate_jaccard
from corpus.dedup.normalize import normalize_for_shingles
from corpus.dedup.planted import dedup_planted, planted_pairs
from corpus.dedup.shingles import hash_words, jaccard, shingle_hashes, shingle_set, word_hashes
from corpus.dedup.stage import DedupConfig, run_dedup
from corpus.dedup.urls import normalize_url
from corpus.executors import LocalExecutor


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("HTTP://WWW.Example.COM:80/a/b", "example.com/a/b"),
        ("https://example.com:443/a/b/", "example.com/a/b"),
        ("https://example.com/a/b#section-2", "example.com/a/b"),
        ("https://example.com/a/b?utm_source=tw&utm_medium=x&fbclid=1&gclid=2", "example.com/a/b"),
        ("https://example.com/p?b=2&a=1&utm_campaign=z", "example.com/p?a=1&b=2"),
        ("https://example.com/", "example.com"),
        ("https://example.com:8080/x", "example.com:8080/x"),
        ("https://example.com/a/./c/../b", "example.com/a/b"),
        ("https://example.com/%7euser/%2f", "example.com/~user/%2F"),
        ("https://example.com/p;jsessionid=ABC?id=3", "example.com/p?id=3"),
        ("https://Example.com/CaseKept", "example.com/CaseKept"),
        ("mailto:someone@example.com", None),
        ("not a url", None),
        ("", None),
        (None, None),
        ("http://example.com:99999/", None),
    ],
)
def test_normalize_url(url, key):
    assert normalize_url(url) == key


def test_shingle_hashes_match_reference_sets():
    texts = [
        "The quick brown fox jumps over the lazy dog, again and again!",
        "Ünïcode “quotes” — ﬁne; Straße x+1=2",
        "",
        None,
        "two words",
        "a a a a a a a a a a",
    ]
    h, offs = shingle_hashes(texts, 5)
    assert offs[0] == 0 and offs[-1] == h.size
    for i, t in enumerate(texts):
        ref = shingle_set(t or "", 5)
        assert len(set(h[offs[i] : offs[i + 1]].tolist())) == len(ref), t
    # the same shingle hashes the same in any batch
    h2, offs2 = shingle_hashes(texts[:1], 5)
    assert set(h2.tolist()) == set(h[: offs[1]].tolist())


def _assert_words_match_reference(texts):
    """The batch word pass gives exactly the reference words (normalize_for_shingles(t).split()), in order."""
    h, counts = word_hashes(texts)
    assert counts.sum() == h.size and len(counts) == len(texts)
    off = np.concatenate(([0], np.cumsum(counts)))
    for i, t in enumerate(texts):
        expected = hash_words(normalize_for_shingles(t or "").split())
        assert np.array_equal(h[off[i] : off[i + 1]], expected), repr(t)


def test_batch_words_match_reference_on_adversarial_unicode():
    # ASCII separators next to combining marks (NFKC composes "<" + U+0338 into the separator "≮"),
    # case pairs that NFKC or lower-casing change (İ, final sigma, ǅ), compatibility forms that NFKC
    # turns into ASCII letters, digits or separators (ﬁ, ½, fullwidth, NBSP), non-Latin digits.
    alphabet = list("aZ9 ,.-<=>\t\n_'") + [
        "\u0338", "\u0301", "\u0307", "İ", "I", "ς", "Σ", "ﬁ", "½", "\u00a0", "Ａ", "ß", "’", "—", "é",
        "𝐀", "\u3000", "٣", "Ⅻ", "ǅ", "\u200b", "ﷺ", "㍱", "\U0001f600", "\x00",
    ]  # fmt: skip
    rng = random.Random(5)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25))) for _ in range(3000)]
    texts += ["x<\u0338y", "=\u0301\u0338e", "I\u0307stanbul", "ΟΔΟΣ ΟΔΟΣ.", "", None, "   ", "a" * 40]
    _assert_words_match_reference(texts)


def test_batch_words_match_reference_on_web_text(shared_data):
    texts = []
    for name in ("agreement_data.jsonl", "majority_data.jsonl"):
        with (shared_data / "web_text_dclm" / name).open() as f:
            texts += [json.loads(line)["text"] for line in f][:60]
    assert sum(not t.isascii() for t in texts) > 10  # the non-ASCII path is exercised
    _assert_words_match_reference(texts)
    # a chunked or large_string input gives the same words
    chunked = pa.chunked_array(
        [pa.array(texts[:50], pa.large_string()), pa.array(texts[50:], pa.large_string())]
    )
    assert all(np.array_equal(x, y) for x, y in zip(word_hashes(texts), word_hashes(chunked)))
    # a slice of an Arrow array (non-zero offset into its buffers) and a string_view array
    assert all(
        np.array_equal(x, y) for x, y in zip(word_hashes(texts[7:]), word_hashes(pa.array(texts).slice(7)))
    )
    assert all(
        np.array_equal(x, y)
        for x, y in zip(word_hashes(texts), word_hashes(pa.array(texts, pa.string_view())))
    )


def test_signature_estimates_jaccard_and_chunking_is_invisible():
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(3000)]
    base = [rng.choice(vocab) for _ in range(400)]
    texts, exact = [], []
    for frac in (0.0, 0.02, 0.05, 0.1, 0.2):
        w = list(base)
        for j in rng.sample(range(len(w)), int(frac * len(w))):
            w[j] = rng.choice(vocab)
        texts.append(" ".join(w))
        exact.append(jaccard(shingle_set(texts[0]), shingle_set(texts[-1])))
    hashes, offs = shingle_hashes(texts, 5)
    for method in ("oph", "kperm"):
        sig = MinHasher(256, seed=3, method=method).signatures(hashes, offs)
        est = estimate_jaccard(sig[:1], sig)
        assert np.abs(est - np.array(exact)).max() < 0.1, method
        assert (MinHasher(8, method=method).signatures(*shingle_hashes([""], 5)) == 0xFFFFFFFF).all()
        # a one-shingle document fills every bin (densification) with a real value
        one = MinHasher(64, method=method).signatures(*shingle_hashes(["just two"], 5))
        assert (one != 0xFFFFFFFF).all()
    kp = MinHasher(256, seed=3, method="kperm")
    assert np.array_equal(
        kp.signatures(hashes, offs), MinHasher(256, seed=3, chunk=97, method="kperm").signatures(hashes, offs)
    )


def test_word_pass_slicing_is_invisible(monkeypatch, shared_data):
    import corpus.dedup.shingles as sh

    texts = [
        json.loads(line)["text"] for line in (shared_data / "web_text_dclm" / "agreement_data.jsonl").open()
    ][:80]
    whole = shingle_hashes(texts, 5)
    hasher = MinHasher(64, seed=2)
    whole_sig = hasher.signatures(*whole)
    monkeypatch.setattr(sh, "MAX_CHARS", 3000)
    sliced = shingle_hashes(texts, 5)
    assert all(np.array_equal(x, y) for x, y in zip(whole, sliced))
    sig, n_shingles = hasher.sketch(texts + [None], 5)  # end to end runs slice by slice
    assert np.array_equal(sig[:-1], whole_sig) and (sig[-1] == 0xFFFFFFFF).all()
    assert np.array_equal(n_shingles, np.append(np.diff(whole[1]), 0))
    for i in range(0, 80, 7):  # and the batch path agrees with the reference shingle sets on real text
        assert len(set(whole[0][whole[1][i] : whole[1][i + 1]].tolist())) == len(shingle_set(texts[i], 5))


def test_union_find_matches_bfs():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 300, 250).astype(np.uint64)
    b = rng.integers(0, 300, 250).astype(np.uint64)
    nodes, root = connected_components(a, b)
    adj = defaultdict(set)
    for x, y in zip(a.tolist(), b.tolist()):
        adj[x].add(y)
        adj[y].add(x)
    for n, r in zip(nodes.tolist(), root.tolist()):
        seen, todo = {n}, [n]
        while todo:
            for m in adj[todo.pop()] - seen:
                seen.add(m)
                todo.append(m)
        assert r == min(seen)


def test_star_pairs_and_band_keys():
    a, b = star_pairs([np.array([3, 1, 3, 2, 1, 3], np.uint64)], np.array([10, 11, 12, 13, 14, 9], np.uint64))
    assert sorted(zip(a.tolist(), b.tolist())) == [(9, 10), (9, 12), (11, 14)]
    sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [9, 9, 3, 4]], np.uint32)
    k = band_keys(sig, bands=2, rows=2)
    assert k[0, 0] == k[1, 0] and k[0, 1] == k[2, 1] and k[0, 0] != k[0, 1] and k[1, 1] != k[2, 1]
    assert detection_probability(0.8, 20, 6) > 0.99 and detection_probability(0.3, 20, 6) < 0.02


def _write(tmp_path, rows, n_shards=2, name="in"):
    t = pa.Table.from_pylist(rows)
    per = -(-t.num_rows // n_shards)
    for s in range(n_shards):
        shards.write_table(t.slice(s * per, per), str(tmp_path / name / shards.shard_name(s)))
    return str(tmp_path / name)


def _read(directory):
    files = shards.list_shards(directory)
    return pa.concat_tables([shards.read_table(f) for f in files]) if files else None


def _corpus(seed=0):
    """Background documents plus planted exact, URL and near duplicates (and a case-only variant)."""
    rng = random.Random(seed)
    vocab = [f"tok{i}" for i in range(4000)]
    t0 = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    rows = [
        {"id": f"d{i:03d}", "text": " ".join(rng.choice(vocab) for _ in range(150)),
         "url": f"https://site.org/page/{i}", "fetch_time": t0, "score": None}
        for i in range(60)
    ]  # fmt: skip
    extra = []
    for i in range(5):  # exact: same text modulo whitespace
        extra.append({**rows[i], "id": f"x{i}", "text": "  " + rows[i]["text"].replace(" ", " \n\t "),
                      "url": f"https://mirror.net/{i}", "fetch_time": None})  # fmt: skip
    for i in range(5, 10):  # URL: a newer capture of the same page (content changed)
        extra.append({"id": f"u{i}", "text": " ".join(rng.choice(vocab) for _ in range(150)),
                      "url": f"http://WWW.site.org/page/{i}/?utm_source=feed#top",
                      "fetch_time": t0 + dt.timedelta(days=30), "score": None})  # fmt: skip
    for i in range(10, 15):  # near: 3 of 150 words replaced, with a higher classifier score
        w = rows[i]["text"].split()
        for j in rng.sample(range(len(w)), 3):
            w[j] = "edited"
        extra.append({"id": f"n{i}", "text": " ".join(w), "url": f"https://copy.io/{i}",
                      "fetch_time": None, "score": 0.9})  # fmt: skip
    extra.append({**rows[20], "id": "c20", "text": rows[20]["text"].upper(), "url": None, "fetch_time": None})
    out = rows + extra
    random.Random(seed + 1).shuffle(out)
    return out


def test_run_dedup_kinds_side_table_and_no_loss(tmp_path):
    rows = _corpus()
    in_dir = _write(tmp_path, rows, n_shards=3)
    stats = run_dedup(in_dir, str(tmp_path / "out"), DedupConfig(num_partitions=4), LocalExecutor(1))
    kept, dropped = _read(str(tmp_path / "out")), _read(str(tmp_path / "out" / "dropped"))
    assert sorted(kept.column("id").to_pylist() + dropped.column("id").to_pylist()) == sorted(
        r["id"] for r in rows
    )
    reason = dict(zip(dropped.column("id").to_pylist(), dropped.column("reason").to_pylist()))
    kept_id = dict(zip(dropped.column("id").to_pylist(), dropped.column("kept_id").to_pylist()))
    # exact: whitespace variants removed in favour of the dated original
    for i in range(5):
        assert reason[f"x{i}"] == "exact_duplicate" and kept_id[f"x{i}"] == f"d{i:03d}"
    # URL: the older capture goes, the newest stays
    for i in range(5, 10):
        assert reason[f"d{i:03d}"] == "url_duplicate" and kept_id[f"d{i:03d}"] == f"u{i}"
    # near: the higher classifier score wins over the newer fetch
    for i in range(10, 15):
        assert reason[f"d{i:03d}"] == "near_duplicate" and kept_id[f"d{i:03d}"] == f"n{i}"
    # upper-cased copy: not an exact duplicate (case kept), but a near duplicate (shingles lower-case)
    assert reason["c20"] == "near_duplicate" and kept_id["c20"] == "d020"
    assert len(reason) == 16
    assert set(kept_id.values()) <= set(kept.column("id").to_pylist())
    clusters = dict(zip(dropped.column("kept_id").to_pylist(), dropped.column("dup_cluster").to_pylist()))
    assert len(set(clusters.values())) == len(clusters)  # one cluster number per kept document
    assert stats["dropped"] == {"exact_duplicate": 5, "url_duplicate": 5, "near_duplicate": 6}
    assert stats["records_in"] == len(rows) and stats["kept"] == len(rows) - 16
    assert set(kept.column_names) == set(rows[0])  # input columns kept as they were
    assert json.loads((tmp_path / "out" / "_done" / "_stage.json").read_text())["kept"] == stats["kept"]


def test_kinds_subset_and_bad_input(tmp_path):
    in_dir = _write(tmp_path, _corpus(), n_shards=2)
    stats = run_dedup(
        in_dir, str(tmp_path / "out"), DedupConfig(kinds=["exact"], num_partitions=2), LocalExecutor(1)
    )
    assert stats["dropped"] == {"exact_duplicate": 5}
    shards.write_table(pa.table({"id": ["a"], "body": ["x"]}), str(tmp_path / "bad" / "part-00000.parquet"))
    with pytest.raises(ValueError, match="text"):
        run_dedup(str(tmp_path / "bad"), str(tmp_path / "o2"), DedupConfig(), LocalExecutor(1))
    with pytest.raises(ValueError, match="bands"):
        DedupConfig(bands=30, rows=6, num_perm=120)
    with pytest.raises(ValueError, match="kind"):
        DedupConfig(kinds=["fuzzy"])


def _snapshot(out):
    return {
        name: _read(str(out / name)).sort_by("id").to_pylist() if name else _read(str(out)).to_pylist()
        for name in ("", "dropped")
    }


def test_deterministic_across_workers_and_partitions(tmp_path):
    in_dir = _write(tmp_path, _corpus(), n_shards=3)
    run_dedup(in_dir, str(tmp_path / "a"), DedupConfig(num_partitions=4), LocalExecutor(1))
    run_dedup(in_dir, str(tmp_path / "b"), DedupConfig(num_partitions=7), LocalExecutor(2))
    assert _snapshot(tmp_path / "a") == _snapshot(tmp_path / "b")
    for i in range(3):
        name = shards.shard_name(i)
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_resume_after_interruption(tmp_path):
    in_dir = _write(tmp_path, _corpus(), n_shards=3)
    out = tmp_path / "out"
    cfg = DedupConfig(num_partitions=4)
    run_dedup(in_dir, str(out), cfg, LocalExecutor(1))
    before = _snapshot(out)
    # Interrupted state: cluster and part of the filter never finished.
    for p in [out / "_done" / "_stage.json", out / "_done" / "part-00001.json", out / "part-00001.parquet",
              out / "_work" / "cluster" / "_done" / "cluster.json"]:  # fmt: skip
        p.unlink()
    for p in (out / "_work" / "cluster" / "decisions").glob("*.parquet"):
        p.unlink()
    (out / "part-00002.parquet").write_bytes(b"garbage from a killed writer is overwritten")
    (out / "_done" / "part-00002.json").unlink()
    stats = run_dedup(in_dir, str(out), cfg, LocalExecutor(1))
    assert _snapshot(out) == before and stats["kept"] == sum(len(v) for v in [before[""]])
    # a complete stage returns at once; other settings in the same folder are refused
    assert run_dedup(in_dir, str(out), cfg, LocalExecutor(1)) == stats
    (out / "_done" / "_stage.json").unlink()
    with pytest.raises(ValueError, match="other settings"):
        run_dedup(in_dir, str(out), DedupConfig(num_partitions=5), LocalExecutor(1))
    # ... and so is a run whose signatures came from another version of the shingle hashes
    recorded = json.loads((out / "_work" / "config.json").read_text())
    (out / "_work" / "config.json").write_text(json.dumps({**recorded, "shingle_hash_version": 1}))
    with pytest.raises(ValueError, match="other settings"):
        run_dedup(in_dir, str(out), cfg, LocalExecutor(1))


def test_planted_pairs_quality_against_exact_jaccard(tmp_path, shared_data):
    texts = [
        json.loads(line)["text"] for line in (shared_data / "web_text_dclm" / "majority_data.jsonl").open()
    ]
    pairs = planted_pairs(texts, 300, seed=1)
    cfg = DedupConfig(num_partitions=4)
    res = dedup_planted(pairs, str(tmp_path), cfg, executor=LocalExecutor(1))
    j = np.array([p.jaccard for p in pairs])
    det = np.array(res.detected)
    high, low = j >= 0.8, j < 0.5
    assert high.sum() >= 40 and low.sum() >= 60
    assert det[high].mean() >= 0.95
    assert not det[low].any()
    assert res.wrong_removals == 0
    # datasketch's MinHashLSH (same threshold, same number of permutations) beside it, when installed
    datasketch = pytest.importorskip("datasketch")
    from corpus.dedup.shingles import shingle_strings

    lsh = datasketch.MinHashLSH(threshold=0.8, num_perm=cfg.num_perm)
    mh = {}
    for k, p in enumerate(pairs):
        for side, text in (("a", p.a), ("b", p.b)):
            m = datasketch.MinHash(num_perm=cfg.num_perm, seed=1)
            m.update_batch([s.encode() for s in shingle_strings(text)])
            mh[f"{side}{k}"] = m
            lsh.insert(f"{side}{k}", m)
    ds = np.array([f"b{k}" in lsh.query(mh[f"a{k}"]) for k in range(len(pairs))])
    # ours must not do worse than the reference on the high-similarity pairs
    assert det[high].mean() >= ds[high].mean()


def test_cli(tmp_path):
    from click.testing import CliRunner

    from corpus.cli import main

    in_dir = _write(tmp_path, _corpus(), n_shards=2)
    res = CliRunner().invoke(
        main, ["corpus", "dedup", in_dir, "--out", str(tmp_path / "out"), "--workers", "1", "--kinds", "url,exact",
               "--set", "num_partitions=3"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    stats = json.loads(res.output[res.output.index("{") :])
    assert stats["dropped"] == {"exact_duplicate": 5, "url_duplicate": 5}
    assert stats["config"]["kinds"] == ["url", "exact"] and stats["config"]["num_partitions"] == 3
