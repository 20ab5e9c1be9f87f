"""The corpus pipeline on a real Ray cluster gives the local executor's output, byte for byte.

Clusters run inside `corpus.ray_sandbox` (private network namespace, loopback only, needs root):
a head with no CPUs and two worker nodes. The sandboxed command is tests/ray_driver.py; outputs
are compared here after the sandbox exits (the filesystem is shared). Every run happens in the
same directory path (then is renamed), since ingest records each page's WARC path.
"""

from __future__ import annotations

import json
import pickle
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from corpus import ray_sandbox, shards
from corpus.executors import RayExecutor, check_reachable, forwarded_env

ROOT = Path(__file__).resolve().parents[1]
RECIPE = str(ROOT / "pipelines" / "sample.yaml")
NO_SANDBOX = ray_sandbox.available()
needs_sandbox = pytest.mark.skipif(
    NO_SANDBOX is not None, reason=f"no Ray sandbox here: {NO_SANDBOX} (CI runs as root, where it works)"
)

# What must be identical: every shard of every stage, the reports and the dataset card.
COMPARED = ("**/*.parquet", "round-*/report.json", "round-*/discovery/paths.tsv", "final/README.md")


def outputs(run: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for pattern in COMPARED:
        for p in run.glob(pattern):
            rel = p.relative_to(run).as_posix()
            if "/_done/" in f"/{rel}" or p.name.startswith("."):
                continue  # completion records hold timings; dot files are temporaries
            files[rel] = p.read_bytes()
    return files


def assert_same(ref: dict[str, bytes], got: dict[str, bytes]) -> None:
    assert sorted(got) == sorted(ref), f"file sets differ: {sorted(set(ref) ^ set(got))[:10]}"
    differ = [k for k in ref if ref[k] != got[k]]
    assert not differ, f"{len(differ)} file(s) differ from the local run, e.g. {differ[:5]}"
    for stage in ("ingest", "dedup", "final"):
        assert any(k.startswith(f"{stage}/part-") for k in ref), f"no {stage} shards were compared"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ray")


@pytest.fixture(scope="module")
def local_reference(workdir: Path) -> Path:
    """The sample pipeline (3 rounds) on the local executor, at workdir/run, moved to workdir/local."""
    from corpus.run import run_corpus

    run = workdir / "run"
    run_corpus(RECIPE, str(run), 3, "local")
    run.rename(workdir / "local")
    return workdir / "local"


def run_on_ray(workdir: Path, name: str, *driver_args: str, workers: int = 2) -> tuple[Path, dict]:
    run = workdir / "run"
    if run.exists():
        shutil.rmtree(run)
    report = workdir / f"{name}.json"
    cmd = [sys.executable, str(ROOT / "tests" / "ray_driver.py"), "--run", str(run), "--recipe", RECIPE,
           "--rounds", "3", "--report", str(report), *driver_args]  # fmt: skip
    res = ray_sandbox.run_in_sandbox(cmd, workers=workers, timeout=900, cwd=str(ROOT))
    assert res.returncode == 0, (
        f"sandboxed Ray run failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
    )
    run.rename(workdir / name)
    return workdir / name, json.loads(report.read_text())


@needs_sandbox
def test_ray_pipeline_identical_despite_killed_workers(workdir: Path, local_reference: Path) -> None:
    """Two Ray worker processes are SIGKILLed mid-task (one in dedup, one in round 1's scoring);
    Ray retries their tasks and every shard, report and the card equal the local run's."""
    ref = outputs(local_reference)
    run, report = run_on_ray(
        workdir, "ray-killed",
        "--kill-after", "ingest/_done/_stage.json", "--kill-after", "round-1/model/classifier.bin",
        "--check-retries", "--rerun",
    )  # fmt: skip
    assert len(report["kills"]) == 2, report
    assert all(k["task"] != "IDLE" for k in report["kills"])
    assert report["retries"] == {
        "flaky_attempts": 2,
        "always_failing": "TaskFailed",
        "always_failing_recorded": False,
        "worker_sees_driver_env": True,
    }
    assert report["rerun_rewritten"] == [], "a rerun of a finished run rewrote shards"
    assert_same(ref, outputs(run))


@needs_sandbox
@pytest.mark.slow
def test_ray_pipeline_identical(workdir: Path, local_reference: Path) -> None:
    """No faults: the sample pipeline through head + 2 Ray worker nodes equals the local run."""
    run, _ = run_on_ray(workdir, "ray-clean")
    assert_same(outputs(local_reference), outputs(run))


# ----------------------------------------------------------------------------- no cluster needed


def test_stage_functions_are_top_level_and_picklable() -> None:
    """Ray and the process pool ship stage functions by reference: each must be importable by name."""
    from corpus import discovery, seed, selection
    from corpus.decontam.stage import decontaminate_shard
    from corpus.dedup.stage import cluster_pairs, filter_shard, pair_partition, sketch_shard
    from corpus.ingest import ingest_warc
    from corpus.run import reextract_shard

    fns = [ingest_warc, sketch_shard, pair_partition, cluster_pairs, filter_shard, seed.draw_negatives,
           discovery.collect_under_paths, discovery.collect_linked, discovery.count_paths, selection.score_shard,
           selection.gather_boundary, selection.select_shard, reextract_shard, decontaminate_shard]  # fmt: skip
    for fn in fns:
        assert fn.__qualname__ == fn.__name__, f"{fn.__qualname__} is not a top-level function"
        assert pickle.loads(pickle.dumps(fn)) is fn


def test_unreachable_ray_address_is_a_clear_error(monkeypatch) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RuntimeError, match="cannot reach the Ray cluster"):
        check_reachable(f"127.0.0.1:{port}", timeout=2)
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    pytest.importorskip("ray")
    with pytest.raises(RuntimeError, match="cannot reach the Ray cluster"):
        RayExecutor()
    with pytest.raises(RuntimeError, match="not host:port"):
        check_reachable("no-port-here")


def test_forwarded_env_passes_settings_not_secrets() -> None:
    env = {"MATHMINE_LID_MODEL": "/m.ftz", "AWS_ENDPOINT_URL": "http://s3", "AWS_SECRET_ACCESS_KEY": "s",
           "HF_HUB_OFFLINE": "1", "HOME": "/root"}  # fmt: skip
    assert forwarded_env(env) == {
        "MATHMINE_LID_MODEL": "/m.ftz",
        "AWS_ENDPOINT_URL": "http://s3",
        "HF_HUB_OFFLINE": "1",
    }


# ------------------------------------------------------------------------------------ fsspec URLs


@pytest.fixture()
def s3(monkeypatch):
    """A local S3 (moto) on 127.0.0.1 with a bucket; yields the bucket URL."""
    server_mod = pytest.importorskip("moto.server", reason="moto[server] not installed (dev extra)")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for k, v in {"AWS_ENDPOINT_URL": f"http://{host}:{port}", "AWS_ACCESS_KEY_ID": "test",
                 "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(k, v)
    import fsspec
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()  # cached clients would still talk to an earlier server
    # moto keeps its buckets per Python process, whatever the server: a fresh bucket per test
    bucket = f"mathmine-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3", skip_instance_cache=True).mkdir(bucket)
    yield f"s3://{bucket}"
    server.stop()


def _without(t: pa.Table, cols: tuple[str, ...]) -> pa.Table:
    return t.drop_columns([c for c in cols if c in t.column_names])


def test_ingest_and_dedup_on_s3_match_local(s3: str, tmp_path: Path, local_reference: Path) -> None:
    """WARC inputs and the run directory on S3 (no shared filesystem): the same documents, kept and
    dropped, as from local files. Two of the sample's WARC files, to stay quick: their local ingest
    shards are the reference run's part-00000/1 (shards follow the sorted inputs)."""
    import fsspec

    from corpus.config import CorpusRecipe
    from corpus.dedup import run_dedup
    from corpus.executors import LocalExecutor
    from corpus.ingest import run_ingest
    from corpus.recipe import load_config

    warcs = sorted((local_reference / "sample" / "warc").glob("*.warc.gz"))[:2]
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    for w in warcs:
        fs.put_file(str(w), f"{s3.removeprefix('s3://')}/crawl/{w.name}")
    local = tmp_path / "local"
    (local / "ingest").mkdir(parents=True)
    for i in range(2):
        shutil.copy(local_reference / "ingest" / shards.shard_name(i), local / "ingest")
    recipe = load_config(CorpusRecipe, RECIPE)
    run = f"{s3}/run"
    # inline (1 worker): a forkserver started earlier in this process would not see the S3 settings
    with LocalExecutor(1) as ex:
        ing = run_ingest([f"{s3}/crawl/*.warc.gz"], f"{run}/ingest", recipe.ingest, ex)
        run_dedup(f"{run}/ingest", f"{run}/dedup", recipe.dedup, ex)
        run_dedup(str(local / "ingest"), str(local / "dedup"), recipe.dedup, ex)
    assert ing["shards"] == 2 and shards.stage_complete(f"{run}/dedup")
    for stage in ("ingest", "dedup", "dedup/dropped"):
        got = shards.list_shards(f"{run}/{stage}")
        want = sorted((local / stage).glob("part-*.parquet"))
        assert want and [g.rsplit("/", 1)[-1] for g in got] == [w.name for w in want]
        for g, w in zip(got, want):
            a, b = shards.read_table(g), shards.read_table(str(w))
            assert a.column("warc_path")[0].as_py().startswith(f"{s3}/crawl/")
            assert _without(a, ("warc_path",)).equals(_without(b, ("warc_path",))), (
                f"{stage}/{w.name} differs"
            )


@needs_sandbox
@pytest.mark.slow
def test_ray_ingest_and_dedup_on_s3(workdir: Path, local_reference: Path) -> None:
    """Ray workers read WARCs from and write shards to S3 (moto inside the sandbox): no shared
    filesystem needed; the documents equal the local run's."""
    pytest.importorskip("moto.server", reason="moto[server] not installed (dev extra)")
    import os

    out = workdir / "ray-s3"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    cmd = [sys.executable, str(ROOT / "tests" / "ray_driver.py"), "--run", str(out), "--recipe", RECIPE,
           "--s3-from", str(local_reference / "sample" / "warc")]  # fmt: skip
    res = ray_sandbox.run_in_sandbox(cmd, workers=2, timeout=900, cwd=str(ROOT), env=env)
    assert res.returncode == 0, f"{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
    for stage in ("ingest", "dedup", "dedup/dropped"):
        got = sorted((out / stage).glob("part-*.parquet"))
        want = sorted((local_reference / stage).glob("part-*.parquet"))
        assert [g.name for g in got] == [w.name for w in want] and want
        for g, w in zip(got, want):
            a, b = shards.read_table(str(g)), shards.read_table(str(w))
            assert a.column("warc_path")[0].as_py().startswith("s3://mathmine/crawl/")
            assert _without(a, ("warc_path",)).equals(_without(b, ("warc_path",))), (
                f"{stage}/{w.name} differs"
            )


def test_classifier_model_behind_an_s3_url(s3: str) -> None:
    """Training into an s3:// model folder uploads the model; scoring workers load a local copy."""
    from corpus.classifier import MODEL_FILE, ClassifierConfig, MathClassifier, local_copy, train_classifier

    pos = [f"let x^{i} + {i} = 0 solve the equation for x using the quadratic formula" for i in range(40)]
    neg = [f"the recipe {i} needs flour sugar and butter baked for an hour" for i in range(40)]
    cfg = ClassifierConfig(dim=8, epoch=5, min_count=1, bucket=1000, threads=1)
    model_dir = f"{s3}/run/round-1/model"
    m = train_classifier(pos, neg, model_dir, cfg)
    assert m["n_positive"] == 40 and shards.exists(f"{model_dir}/{MODEL_FILE}")
    scores = MathClassifier(f"{model_dir}/{MODEL_FILE}", cfg).score(
        ["solve x^2 + 1 = 0 for x", "bake the flour"]
    )
    assert scores[0] > scores[1]
    first = local_copy(f"{model_dir}/{MODEL_FILE}")
    assert Path(first).exists() and local_copy(f"{model_dir}/{MODEL_FILE}") == first
    with pytest.raises(FileNotFoundError):
        local_copy(f"{s3}/run/round-9/model/{MODEL_FILE}")
