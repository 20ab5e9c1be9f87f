"""Every option of the reviewed commands explains itself in --help."""

from __future__ import annotations

import importlib

import click
import pytest

COMMANDS = [
    "corpus.run:run_cli",
    "corpus.decontam.cli:decontaminate_cli",
    "corpus.stats.cli:stats_cli",
    "corpus.stats.cli:compare_cli",
    "training.data.stdlib_code:stdlib_code_cli",
    "training.evaluation.cli:eval_cli",
]


def _walk(cmd: click.Command, name: str):
    if isinstance(cmd, click.Group):
        for sub_name, sub in cmd.commands.items():
            yield from _walk(sub, f"{name} {sub_name}")
    else:
        yield name, cmd


@pytest.mark.parametrize("ref", COMMANDS)
def test_every_option_has_help(ref: str) -> None:
    module, attr = ref.split(":")
    missing = []
    for name, cmd in _walk(getattr(importlib.import_module(module), attr), attr):
        assert cmd.help, f"{name} has no docstring"
        missing += [f"{name} {p.opts[0]}" for p in cmd.params if isinstance(p, click.Option) and not p.help]
    assert not missing, f"options without help: {missing}"
