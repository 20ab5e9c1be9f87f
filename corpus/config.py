"""`CorpusRecipe`: the whole corpus run in one typed config (ingest, dedup, rounds, final).

Recipes live in pipelines/ (`sample.yaml`: the embedded sample; `deepseekmath.yaml`: the paper's
numbers). Any string may contain `${run}`, replaced by the run directory, so a recipe can point at
files the run itself creates (the generated sample's WARC files, seed and truth).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from corpus.classifier import ClassifierConfig
from corpus.decontam import DecontamConfig
from corpus.dedup import DedupConfig
from corpus.discovery import DiscoveryConfig
from corpus.ingest import IngestConfig
from corpus.rounds import LoopConfig, RoundsConfig
from corpus.seed import SeedConfig
from corpus.selection import SelectionConfig


@dataclass
class SampleConfig:
    """The embedded sample crawl, generated into RUN/sample/ before ingest when `generate` is true."""

    generate: bool = False  # generate the deterministic sample crawl (WARC, seed, benchmarks, truth)
    seed: int = 0  # the generator's seed
    pages: int | None = None  # regular site pages (None: the generator's default size, ~5,900)


@dataclass
class FinalConfig:
    """The last stage: the last round's selection re-extracted, decontaminated, written as the corpus."""

    reextract: bool = True  # re-read each page's WARC record and extract it with the math extractor
    decontaminate: bool = True  # remove pages matching benchmark n-grams (see `decontam`)
    min_chars: int = 1  # pages whose re-extracted text is shorter are dropped (reason extract_too_short)


@dataclass
class CorpusRecipe:
    """A corpus run: where the crawl is, and the settings of every stage."""

    name: str = "corpus"  # recipe name, shown in the dataset card
    inputs: list[str] = field(default_factory=list)  # WARC files or globs (local, s3://, https://)
    workers: int = 0  # local executor processes (0: one per CPU core)
    sample: SampleConfig = field(default_factory=SampleConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    seed: SeedConfig = field(default_factory=SeedConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    rounds: RoundsConfig = field(default_factory=RoundsConfig)
    decontam: DecontamConfig = field(default_factory=DecontamConfig)
    final: FinalConfig = field(default_factory=FinalConfig)

    def loop(self) -> LoopConfig:
        return LoopConfig(self.seed, self.classifier, self.selection, self.discovery, self.rounds)


def substitute(obj: Any, mapping: dict[str, str]) -> Any:
    """Replace `${key}` in every string field of a (nested) dataclass, in place; returns `obj`."""

    def sub(v: Any) -> Any:
        if isinstance(v, str):
            for k, val in mapping.items():
                v = v.replace("${" + k + "}", val)
            return v
        if isinstance(v, list):
            return [sub(x) for x in v]
        if isinstance(v, dict):
            return {k: sub(x) for k, x in v.items()}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                setattr(v, f.name, sub(getattr(v, f.name)))
            return v
        return v

    return sub(obj)
