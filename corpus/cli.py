"""The `mathmine` command line: `mathmine corpus …`, `mathmine train …`, `mathmine eval …`.

Commands are registered by import path and imported only when run, so `--help` stays fast and the
corpus side never imports torch. To add a command, add one line to the mapping of its group.
"""

from __future__ import annotations

import importlib
import logging
import os

import click

# name -> "module:attribute" of a click command or group
GROUPS = {
    "corpus": "corpus.cli:corpus",
    "train": "training.cli:train",
    "eval": "training.evaluation.cli:eval_cli",
}

CORPUS_COMMANDS = {
    "ingest": "corpus.ingest:ingest_cli",
    "sample": "corpus.sample.cli:sample_cli",
    "dedup": "corpus.dedup.cli:dedup_cli",
    "decontaminate": "corpus.decontam.cli:decontaminate_cli",
    "extract": "corpus.extract.cli:extract_cli",
    "run": "corpus.run:run_cli",
    "stats": "corpus.stats.cli:stats_cli",
    "compare": "corpus.stats.cli:compare_cli",
    "validate": "corpus.stats.cli:validate_cli",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, lazy=GROUPS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
def main(verbose: int) -> None:
    """mathmine: mine a math corpus from Common Crawl and train a math model on it (DeepSeekMath)."""
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@click.group(cls=LazyGroup, lazy=CORPUS_COMMANDS)
def corpus() -> None:
    """Build the corpus: WARC -> documents -> deduplicated, classified, decontaminated shards."""


if __name__ == "__main__":
    main()
