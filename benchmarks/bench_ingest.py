"""Ingest throughput (pages/s per core): mathmine's ingest vs datatrove, side by side in one run.

Anchor: datatrove's WarcReader -> Trafilatura -> LanguageFilter(en, zh) -> ParquetWriter, one task,
one worker, on the same WARC files as `mathmine corpus ingest` with one worker. Both read the
same WARCs, extract text, run lid.176 with the same languages, and write Parquet. Each runs in
a fresh interpreter; its CPU time is that process's plus every child it reaped (mathmine's
extraction child, datatrove's extraction sandbox), imports and model loads included. Rates are
per page *both* readers take as an HTML response (`count_pages`), each pipeline's own count is
reported beside.

How datatrove gets the local lid.176 model: its `LanguageFilter` builds an `FT176LID` that
downloads `lid.176.bin` at run time and calls `model.predict(one_string)`, which raises under
fastText 0.9.3 + numpy 2. The benchmark replaces the filter's `model` attribute with `_LocalLID`,
a subclass of datatrove's `FT176LID` whose `model` is the same local `lid.176.ftz` file mathmine
uses and whose `predict` calls the list form `predict([text])`; and the filter's dependency check
(which demands the `fasttext-numpy2-wheel` distribution, a replacement of the `fasttext` module) is
narrowed to `fasteners` during the run. Nothing else of datatrove changes.

Data: every shared WARC (real Common Crawl captures, a wget crawl, webrecorder captures) plus one
WARC of real saved HTML pages from ../shared/data (math and non-math, English and Chinese) wrapped
into response records, repeated under distinct URLs to reach a few hundred pages.

mathmine's fast tier is its one-pass scanner (corpus/_htmlscan.c: text, main-content rules and
links without a DOM). A third pipeline row runs mathmine with `extractor=resiliparse`, the DOM
extractor the tier used before (in a time-limited child process), for comparison; and a quality
table gives word precision and recall of the fast text against the llm-webkit ground truth for
the scan, for resiliparse, and for all text (no main-content rules), so the speed is not bought
with quality.

Also measured: the WARC readers alone (records + payloads, no extraction) -- FastWARC streaming,
warcio streaming, and mathmine's framing + FastWARC parsing -- which is why corpus/warc.py reads
the way it does.

Run: `python -m benchmarks ingest` (env BENCH_INGEST_COPIES, default 6, scales the wrapped pages;
other values write `results/ingest_copies<N>.json`: more pages amortise both pipelines' start-up).
The pipelines run BENCH_INGEST_REPEATS times (default 3), interleaved; rows give each one's median
run, and the ratios are medians of the per-repeat ratios (this machine drifts 5-10% between runs).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import fix_threads, print_table, timed, write_result

SHARED = Path(os.environ.get("MATHMINE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")


def build_inputs(folder: Path, copies: int) -> list[Path]:
    """Shared WARCs copied into `folder`, plus one WARC of wrapped real HTML pages."""
    from corpus.warc_writer import response_record, write_warc

    out = []
    for p in sorted(SHARED.glob("warc_*/*.warc*")):
        if ".wat." in p.name or ".wet." in p.name:
            continue
        dst = folder / f"{p.parent.name}-{p.name}"
        shutil.copy(p, dst)
        out.append(dst)
    pages = sorted(SHARED.glob("html_llm_webkit/**/*.html")) + sorted(
        SHARED.glob("html_readability/*.source.html")
    )
    pages += sorted(SHARED.glob("html_trafilatura/**/*.html")) + sorted(
        SHARED.glob("html_trafilatura/**/*.html.gz")
    )
    bodies = [gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes() for p in pages]
    # WARC-Identified-Payload-Type, as Common Crawl writes it: datatrove's reader keys on it (and
    # falls back to libmagic, which calls some of these pages JavaScript and skips them).
    ident = {"WARC-Identified-Payload-Type": "text/html"}
    recs = [
        response_record(
            f"https://bench{c}.example/{i}/{p.stem}", body, content_type="text/html", warc_headers=ident
        )
        for c in range(copies)
        for i, (p, body) in enumerate(zip(pages, bodies))
    ]
    out.append(write_warc(folder / "wrapped-pages.warc.gz", recs))
    return out


def count_pages(files: list[Path]) -> dict:
    """HTML response records each reader takes as pages (untimed), and how many both take.

    mathmine: `response` records with an HTML Content-Type (or sniffed HTML) and a readable body.
    datatrove: what its WarcReader's `process_record` returns a document for (WARC-Identified-
    Payload-Type, else libmagic, then a decode). Rates are per page *both* read, so neither
    pipeline is credited for pages the other skipped.
    """
    from datatrove.pipeline.readers.warc import process_record
    from warcio.archiveiterator import ArchiveIterator

    from corpus.warc import iter_warc

    ours, theirs = set(), set()
    for p in files:
        for r in iter_warc(str(p)):
            if r.record_type == "response" and not r.error and r.payload and r.is_html:
                ours.add((p.name, r.record_id))
        with open(p, "rb") as f:
            for r in ArchiveIterator(f):
                d = process_record(r)
                if d:
                    theirs.add((p.name, d["id"]))
    return {"mathmine": len(ours), "datatrove": len(theirs), "both": len(ours & theirs)}


def _datatrove_lid_class():
    from datatrove.utils.lid import FT176LID

    from corpus.language import load_model

    class _LocalLID(FT176LID):
        """datatrove's FT176LID on the local lid.176.ftz, with list-form predict (numpy 2)."""

        @property
        def model(self):
            return load_model()

        def predict(self, doc):
            labels, scores = self.model.predict([doc.text.replace("\n", " ")], k=self.k)
            pairs = {lab.split("__")[2]: float(min(1.0, s)) for lab, s in zip(labels[0], scores[0])}
            best = max(pairs.items(), key=lambda x: x[1])
            return best, {lang: pairs.get(lang, 0.0) for lang in self.languages} if self.languages else pairs

    return _LocalLID


def run_datatrove(folder: Path, out: Path) -> dict:
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.pipeline.readers import WarcReader
    from datatrove.pipeline.writers import ParquetWriter

    # datatrove checks (over the whole class hierarchy, again whenever a step is copied) for the
    # `fasttext-numpy2-wheel` distribution, which would replace the `fasttext` module mathmine uses;
    # relax that check for the duration of this run.
    saved = LanguageFilter._requires_dependencies
    LanguageFilter._requires_dependencies = ["fasteners"]
    try:
        return _run_datatrove(
            folder, out, LanguageFilter, WarcReader, Trafilatura, ParquetWriter, LocalPipelineExecutor
        )
    finally:
        LanguageFilter._requires_dependencies = saved


def _run_datatrove(
    folder, out, LanguageFilter, WarcReader, Trafilatura, ParquetWriter, LocalPipelineExecutor
) -> dict:
    lf = LanguageFilter(languages=["en", "zh"])
    lf.model = _datatrove_lid_class()(["en", "zh"])
    pipeline = [
        WarcReader(str(folder), glob_pattern="*.warc*"),
        # deduplicate=False: the wrapped pages repeat under distinct URLs (a benchmark artefact), and
        # trafilatura's cross-document duplicate filter would drop repeats that real crawls do not
        # have; mathmine's ingest keeps every page too (dedup is its own stage)
        Trafilatura(favour_precision=True, timeout=5.0, deduplicate=False),
        lf,
        ParquetWriter(str(out / "docs")),
    ]
    ex = LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=str(out / "logs"))
    stats = ex.run()
    reader_stats = stats.stats[0]
    pages = int(
        reader_stats.stats.get("documents", {}).total
        if hasattr(reader_stats.stats.get("documents", 0), "total")
        else 0
    )
    kept = 0
    import pyarrow.parquet as pq

    for p in (out / "docs").glob("*.parquet"):
        kept += pq.read_metadata(p).num_rows
    return {"pages": pages, "kept": kept}


def run_mathmine(folder: Path, out: Path, extractor: str = "scan") -> dict:
    from corpus.executors import LocalExecutor
    from corpus.ingest import IngestConfig, run_ingest
    from corpus.text_fast import close_shared_extractors

    cfg = IngestConfig(extractor=extractor)
    s = run_ingest([str(folder / "*.warc*")], str(out), cfg, LocalExecutor(1))
    close_shared_extractors()  # reap the extraction child so its CPU time is counted (RUSAGE_CHILDREN)
    return {"pages": s["responses"], "kept": s["kept"]}


def run_mathmine_resiliparse(folder: Path, out: Path) -> dict:
    """mathmine's ingest with `extractor=resiliparse` (the former default, not the default now)."""
    return run_mathmine(folder, out, extractor="resiliparse")


def run_isolated(name: str, folder: Path, out: Path) -> tuple[dict, float]:
    """Run one pipeline in a fresh interpreter; returns its result and the CPU seconds of that
    process and every process it started and reaped (extraction children, sandboxes).

    A fresh process each: both pay their own imports and model loads, and neither inherits
    modules the other (or this harness) already imported.
    """
    # thread limits come from the environment main() set (fix_threads); the child does not call
    # fix_threads itself, which imports torch (~1.5 CPU-s that neither pipeline needs)
    code = (
        f"import json, sys; from pathlib import Path; from benchmarks.bench_ingest import run_{name}; "
        f"print(json.dumps(run_{name}(Path(sys.argv[1]), Path(sys.argv[2]))))"
    )
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(out)], cwd=root, env=env, capture_output=True, text=True
    )
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} pipeline failed:\n{proc.stderr[-4000:]}")
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    return json.loads(proc.stdout.strip().splitlines()[-1]), cpu


def bench_readers(files: list[Path]) -> list[dict]:
    from fastwarc.warc import ArchiveIterator as FastIter
    from warcio.archiveiterator import ArchiveIterator as WarcioIter

    from corpus.warc import iter_warc

    def fastwarc(p):
        n = 0
        for r in FastIter(str(p), parse_http=True, auto_decode="all"):
            if r.is_http:
                r.reader.read()
            n += 1
        return n

    def warcio(p):
        n = 0
        with open(p, "rb") as f:
            for r in WarcioIter(f):
                r.content_stream().read()
                n += 1
        return n

    def ours(p):
        return sum(1 for _ in iter_warc(str(p)))

    rows = []
    data = [(p, io.BytesIO(p.read_bytes())) for p in files]  # warm the page cache
    del data
    for name, fn in (
        ("fastwarc stream", fastwarc),
        ("warcio stream", warcio),
        ("mathmine framing+fastwarc", ours),
    ):
        reps = 5
        with timed() as t:
            n = sum(fn(p) for _ in range(reps) for p in files)
        rows.append(
            {
                "reader": name,
                "records": n // reps,
                "ms_per_pass": t.seconds / reps * 1000,
                "records_per_s": n / t.seconds,
            }
        )
    return rows


def bench_stages(files: list[Path]) -> list[dict]:
    """CPU ms per page of each step of mathmine's ingest, in this process, on the HTML pages of
    `files` (where the time goes; the pipeline rows above are the end-to-end figures)."""
    from resiliparse.extract.html2text import extract_plain_text

    from corpus.charset import decode_html
    from corpus.language import detect_languages, load_model
    from corpus.markers import math_markers, out_links, resolve_links
    from corpus.text_fast import scan_page
    from corpus.tokens import count_tokens
    from corpus.warc import iter_warc

    load_model()
    t0 = time.process_time()
    recs = [r for p in files for r in iter_warc(str(p))]
    read_s = time.process_time() - t0
    pages = [r for r in recs if r.record_type == "response" and not r.error and r.payload and r.is_html]
    n = len(pages)
    html: list[str] = []
    scans: list = []
    steps = [
        ("WARC framing + parsing (per page)", lambda: None),
        ("math markers", lambda: [math_markers(r.payload) for r in pages]),
        (
            "scan: charset check + text + hrefs (used)",
            lambda: scans.extend(scan_page(r.payload, r.charset) for r in pages),
        ),
        (
            "resolve the scan's hrefs (used)",
            lambda: [resolve_links(h, b, r.url) for r, (_, h, b) in zip(pages, scans)],
        ),
        ("resiliparse path: out-links regex", lambda: [out_links(r.payload, r.url) for r in pages]),
        (
            "resiliparse path: charset decode",
            lambda: html.extend(decode_html(r.payload, r.charset)[0] for r in pages),
        ),
        (
            "resiliparse path: extract main_content=True",
            lambda: [
                extract_plain_text(h, main_content=True, preserve_formatting=True, alt_texts=False)
                for h in html
            ],
        ),
        ("language ID (batched, 2000 chars)", lambda: detect_languages([t for t, _, _ in scans], 2000)),
        ("token count", lambda: [count_tokens(t) for t, _, _ in scans]),
    ]
    rows = []
    for name, fn in steps:
        t0 = time.process_time()
        fn()
        dt = read_s if name.startswith("WARC") else time.process_time() - t0
        rows.append({"step": name, "ms_per_page": dt * 1000 / n})
    return rows


def fast_tier_quality() -> list[dict]:
    """Word precision / recall of the fast text against the llm-webkit ground truth (the expected
    main content of real pages): the scan (used), resiliparse's main content (used before), and
    all text (no main-content rules). Bag-of-words overlap of \\w+ tokens, lower-cased; the pages
    with ground truth are few, so this is a sign, not a score; the last row sums all pages."""
    import re
    from collections import Counter

    from corpus.text_fast import extract_text

    word = re.compile(r"\w+")
    rows = []
    totals: dict[str, int] = {}
    for gt in sorted(SHARED.glob("html_llm_webkit/groundtruth/*.jsonl.gz")):
        truth = json.loads(gzip.decompress(gt.read_bytes()))
        gold = Counter(word.findall(truth["content"].lower()))
        row: dict = {"page": gt.name.removesuffix(".jsonl.gz")}
        for label, main, extractor in (
            ("scan", True, "scan"),
            ("resiliparse", True, "resiliparse"),
            ("all_text", False, "scan"),
        ):
            got = Counter(word.findall(extract_text(truth["html"], main, extractor).lower()))
            both = sum((got & gold).values())
            row[f"{label}_P"] = round(both / max(1, sum(got.values())), 3)
            row[f"{label}_R"] = round(both / max(1, sum(gold.values())), 3)
            for k, v in (("both", both), ("got", sum(got.values())), ("gold", sum(gold.values()))):
                totals[f"{label}_{k}"] = totals.get(f"{label}_{k}", 0) + v
        rows.append(row)
    micro: dict = {"page": "all pages (micro)"}
    for label in ("scan", "resiliparse", "all_text"):
        micro[f"{label}_P"] = round(totals[f"{label}_both"] / max(1, totals[f"{label}_got"]), 3)
        micro[f"{label}_R"] = round(totals[f"{label}_both"] / max(1, totals[f"{label}_gold"]), 3)
    return [*rows, micro]


def main() -> None:
    fix_threads(1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    copies = int(os.environ.get("BENCH_INGEST_COPIES", "6"))
    repeats = int(os.environ.get("BENCH_INGEST_REPEATS", "3"))
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        tmp = Path(tmp)
        folder = tmp / "warcs"
        folder.mkdir()
        files = build_inputs(folder, copies)
        readers = bench_readers(files)
        print_table(readers, "WARC readers (records + payloads, no extraction)")
        stages = bench_stages(files)
        print_table(stages, "mathmine ingest steps, in-process (CPU ms per HTML page)")
        counted = count_pages(files)
        pages = counted["both"]

        quality = fast_tier_quality()
        print_table(quality, "Fast tier vs llm-webkit ground truth (word precision / recall)")

        names = ("mathmine", "datatrove", "mathmine_resiliparse")
        runs: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(repeats):  # interleaved, so drift on the machine hits every pipeline alike
            for name in names:
                with timed() as t:
                    res, cpu = run_isolated(name, folder, tmp / f"{name}-{len(runs[name])}")
                runs[name].append(
                    {
                        "res": res,
                        "seconds": t.seconds,
                        "cpu": cpu,
                        "other": (t.other_cpu_before + t.other_cpu_after) / 2,
                    }
                )
        rows = []
        for name in names:
            median = sorted(runs[name], key=lambda r: r["cpu"])[len(runs[name]) // 2]
            rows.append(
                {
                    "pipeline": name,
                    "pages_read": counted[name.removesuffix("_resiliparse")],
                    "pages_both": pages,
                    # its own stats: datatrove docs read; mathmine responses
                    "pipeline_count": median["res"]["pages"],
                    "kept": median["res"]["kept"],
                    "seconds": median["seconds"],
                    "cpu_seconds": median["cpu"],
                    "cpu_seconds_runs": [round(r["cpu"], 3) for r in runs[name]],
                    "pages_per_s_per_core": pages / median["seconds"],
                    "pages_per_cpu_s": pages / median["cpu"] if median["cpu"] else 0.0,
                    "other_cpu_pct": max(r["other"] for r in runs[name]),
                }
            )

        def paired(name: str, key: str) -> float:
            """Median over repeats of datatrove's `key` / `name`'s `key` (time ratios: speed-ups)."""
            return statistics.median(d[key] / m[key] for m, d in zip(runs[name], runs["datatrove"]))

        ratio_wall, ratio_cpu = paired("mathmine", "seconds"), paired("mathmine", "cpu")
        ratio_resiliparse = paired("mathmine_resiliparse", "cpu")
        print_table(rows, f"Ingest: one worker each (pages/s per core; median of {repeats} interleaved runs)")
        print(
            f"\nmathmine / datatrove: {ratio_wall:.1f}x pages/s (wall, one worker), {ratio_cpu:.1f}x pages per CPU-second"
            f"\n(with extractor=resiliparse, the former default: {ratio_resiliparse:.1f}x per CPU-second)"
        )
        path = write_result(
            "ingest" if copies == 6 else f"ingest_copies{copies}",
            {
                "copies": copies,
                "repeats": repeats,
                "files": [p.name for p in files],
                "html_pages_read": counted,
                "readers": readers,
                "steps": stages,
                "pipelines": rows,
                "ratio_pages_per_s": ratio_wall,
                "ratio_pages_per_cpu_s": ratio_cpu,
                "ratio_pages_per_cpu_s_resiliparse": ratio_resiliparse,
                "fast_tier_quality": quality,
            },
        )
        print(f"results: {path}")


if __name__ == "__main__":
    main()
