"""Resuming a run with a different recipe is refused unless asked for: completed stages would keep
their old settings while recipe.yaml and the dataset card claimed the new ones."""

from __future__ import annotations

import click
import pytest
import yaml

from corpus.config import CorpusRecipe
from corpus.recipe import load_config, to_dict
from corpus.run import TEMPLATE_NAME, check_recipe_unchanged


def _save(run, recipe):
    (run / TEMPLATE_NAME).write_text(yaml.safe_dump(to_dict(recipe), sort_keys=False))


def test_changed_stage_setting_is_refused_with_the_key_named(tmp_path):
    _save(tmp_path, load_config(CorpusRecipe))
    changed = load_config(CorpusRecipe, None, ["classifier.epoch=7"])
    with pytest.raises(click.UsageError, match=r"classifier\.epoch"):
        check_recipe_unchanged(str(tmp_path), changed)


def test_more_rounds_and_workers_may_change(tmp_path):
    _save(tmp_path, load_config(CorpusRecipe))
    check_recipe_unchanged(str(tmp_path), load_config(CorpusRecipe, None, ["rounds.count=9", "workers=3"]))


def test_new_run_has_nothing_to_compare(tmp_path):
    check_recipe_unchanged(str(tmp_path / "fresh"), load_config(CorpusRecipe))
