"""The generated sample crawl: WARC files with ground truth, a positive seed in OpenWebMath's columns and
a small sample benchmark. It is the embedded default of `make corpus` and the yardstick of the tests and
benchmarks of ingest, recall rounds, deduplication and decontamination. See docs/sample.md."""

from corpus.sample.generate import TRUTH_SCHEMA, VERSION, Manifest, generate_sample

__all__ = ["TRUTH_SCHEMA", "VERSION", "Manifest", "generate_sample"]
