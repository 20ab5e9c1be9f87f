"""`mathmine train …`: pretraining, SFT and GRPO entry points (registered lazily; see corpus.cli)."""

from __future__ import annotations

import click

from corpus.cli import LazyGroup

TRAIN_COMMANDS = {
    "tiny-model": "training.tiny_model:tiny_model_cli",
    "sft": "training.sft:sft_cli",
    "grpo": "training.grpo.trainer:grpo_cli",
    "pretrain": "training.pretrain:pretrain_cli",
    "stdlib-code": "training.data.stdlib_code:stdlib_code_cli",
    "ablation": "training.ablation:ablation_cli",
}


@click.group(cls=LazyGroup, lazy=TRAIN_COMMANDS)
def train() -> None:
    """Train a model on the corpus: pretrain, sft, grpo."""
