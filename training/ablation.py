"""Code vs general-text starting point (the paper's central choice, DeepSeekMath §2.2/§5.1.1).

Two (or more) starting points are continued on the *same* math recipe with the *same* budget and then
compared side by side. A starting point is either an existing checkpoint (`model_path`: at 1.3B, a
code model vs a general-text model) or is made here by a first pretraining stage from one shared random
initialisation (`stage1`: at tiny scale, Python stdlib code vs non-math web text). The comparison:

- held-out math loss / perplexity of every model, before and after the math stage (always);
- `eval_command` (e.g. `mathmine eval run --model {model} ...` once the evaluation harness is present),
  run on each final model, its stdout kept beside the table.

Outputs: `<output_dir>/<start>/{stage1,math}/` (ordinary pretraining runs, resumable), `ablation.json`
and `ablation.md` (the side-by-side table).
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from corpus.recipe import deep_merge, from_dict, load_config, recipe_option, save_config, to_dict
from training.pretrain import PretrainConfig, build_tiny, pretrain

log = logging.getLogger(__name__)


@dataclass
class StartConfig:
    """One starting point of the ablation."""

    name: str = "code"
    """Label in the table and folder name."""
    model_path: str | None = None
    """Use this existing checkpoint as the starting point (skips stage 1)."""
    stage1: dict[str, Any] = field(default_factory=dict)
    """Otherwise: a partial PretrainConfig (usually `data.sources` and `train.total_steps`) merged over
    the math recipe for a first stage from the shared random init."""


@dataclass
class AblationConfig:
    """Starting points continued on the same math recipe, then compared."""

    output_dir: str = "runs/sample/ablation-code-vs-text"
    """Where each start's runs and the comparison table go."""
    math_recipe: str = "pipelines/pretrain-sample.yaml"
    """The continued-pretraining recipe every start is trained with (same data, same budget)."""
    math_overrides: dict[str, Any] = field(default_factory=dict)
    """Partial PretrainConfig merged over `math_recipe` (e.g. a smaller budget or math-only sources)."""
    starts: list[StartConfig] = field(default_factory=list)
    """The starting points (at least two)."""
    eval_command: str | None = None
    """Shell command run on each final model, `{model}` replaced by its folder (evaluation harness)."""


def _recipe_dict(path: str) -> dict[str, Any]:
    return to_dict(load_config(PretrainConfig, path))


def heldout_math_loss(model_dir: str | Path, math_cfg: PretrainConfig) -> dict[str, float]:
    """Held-out loss of a saved model on the math recipe's validation rows (the same rows for every model)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.data.stream import validation_rows
    from training.fused_loss import CausalLMLoss
    from training.loop import evaluate, make_accelerator

    acc = make_accelerator(math_cfg.train.mixed_precision)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, attn_implementation=math_cfg.model.attn_implementation
    )
    wrapped = acc.prepare(CausalLMLoss(model, "hf"))
    rows = validation_rows(math_cfg.data, tok)
    with torch.no_grad():
        out = evaluate(acc, wrapped, rows, math_cfg.train.micro_batch)
    return {**out, "val_tokens": int(rows.numel())}


def run_ablation(cfg: AblationConfig) -> list[dict[str, Any]]:
    if len(cfg.starts) < 2:
        raise ValueError("an ablation needs at least two starting points")
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out / "ablation-config.yaml")
    base = deep_merge(_recipe_dict(cfg.math_recipe), cfg.math_overrides)
    init = out / "init"
    math_base = from_dict(PretrainConfig, base)
    if any(s.model_path is None for s in cfg.starts) and not (init / "config.json").exists():
        # one random init (and tokenizer, trained on the math recipe's sources) shared by every stage 1
        build_tiny(from_dict(PretrainConfig, deep_merge(base, {"model": {"path": str(init)}})))
    rows = []
    for start in cfg.starts:
        if start.model_path is None:
            stage1 = deep_merge(base, start.stage1)
            stage1 = deep_merge(
                stage1,
                {
                    "output_dir": str(out / start.name / "stage1"),
                    "model": {"path": str(init), "tiny": {"enabled": False}},
                },
            )
            pretrain(from_dict(PretrainConfig, stage1))
            start_path = out / start.name / "stage1" / "final"
        else:
            start_path = Path(start.model_path)
        math = deep_merge(
            base,
            {
                "output_dir": str(out / start.name / "math"),
                "model": {"path": str(start_path), "tiny": {"enabled": False}},
            },
        )
        last = pretrain(from_dict(PretrainConfig, math))
        final = out / start.name / "math" / "final"
        row = {
            "start": start.name,
            "start_model": str(start_path),
            "final_model": str(final),
            "math_tokens": last.get("tokens"),
            "final_train_loss": last.get("loss"),
        }
        before = heldout_math_loss(start_path, math_base)
        after = heldout_math_loss(final, math_base)
        row.update(
            {
                "math_val_loss_before": before.get("val_loss"),
                "math_val_loss_after": after.get("val_loss"),
                "math_val_ppl_after": after.get("val_ppl"),
            }
        )
        if cfg.eval_command:
            cmd = cfg.eval_command.replace("{model}", shlex.quote(str(final)))
            proc = subprocess.run(cmd, shell=True, capture_output=True, text=True)
            (out / f"eval-{start.name}.txt").write_text(proc.stdout + proc.stderr)
            row["eval_rc"] = proc.returncode
        rows.append(row)
    (out / "ablation.json").write_text(json.dumps(rows, indent=2))
    (out / "ablation.md").write_text(_table(rows))
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    cols = ["start", "math_tokens", "math_val_loss_before", "math_val_loss_after", "math_val_ppl_after"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append(
            "| " + " | ".join(f"{r[c]:.4f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |"
        )
    return "\n".join(lines) + "\n"


@click.command("ablation")
@recipe_option("Ablation recipe (pipelines/ablation-code-vs-text.yaml).", required=True)
@click.argument("overrides", nargs=-1)
def ablation_cli(recipe: str, overrides: tuple[str, ...]) -> None:
    """Code vs general-text starting point: same math continued pretraining, side-by-side table."""
    rows = run_ablation(load_config(AblationConfig, recipe, list(overrides)))
    click.echo(_table(rows))
    click.echo(yaml.safe_dump(rows, sort_keys=False))
