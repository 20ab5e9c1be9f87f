"""`mathmine eval …`: run a model on the benchmarks, or re-score saved predictions.

mathmine eval run MODEL --benchmark gsm8k=../shared/data/gsm8k/test.jsonl --limit 50
mathmine eval MODEL --benchmark math500=...           (same as `eval run`)
mathmine eval score --benchmark gsm8k=PATH --predictions out/predictions/gsm8k.jsonl --format json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from corpus.benchmarks import parse_benchmark_arg


class _ModelFirstGroup(click.Group):
    """`mathmine eval MODEL …` runs `eval run MODEL …`: a first word that is no command is a model."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["run", *args]
        return super().resolve_command(ctx, args)


def _benchmarks(values: tuple[str, ...]) -> list[tuple[str, str | None]]:
    try:
        return [parse_benchmark_arg(v) for v in values]
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--benchmark") from None


@click.group("eval", cls=_ModelFirstGroup, context_settings={"help_option_names": ["-h", "--help"]})
def eval_cli() -> None:
    """Evaluate a model on GSM8K, MATH and the DeepSeekMath suite (few-shot CoT or zero-shot).

    `mathmine eval MODEL --benchmark …` is short for `mathmine eval run MODEL --benchmark …`.
    """


@eval_cli.command("run")
@click.argument("model")
@click.option(
    "-b",
    "--benchmark",
    "benchmarks",
    multiple=True,
    required=True,
    help="NAME or NAME=PATH (local file/URL; NAME alone loads the hub test split). Repeatable.",
)
@click.option("--limit", type=int, default=None, help="Evaluate the first N items of each benchmark.")
@click.option(
    "--mode",
    type=click.Choice(["fewshot", "zeroshot"]),
    default="fewshot",
    show_default=True,
    help="fewshot: chain-of-thought exemplars (base models); zeroshot: chat template + "
    "'Please reason step by step…' (instruct/RL models).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Report folder (results.json, results.md, predictions/). Default: eval/<model name>.",
)
@click.option(
    "--max-new-tokens", default=1024, show_default=True, help="Generation limit per output, in tokens."
)
@click.option(
    "--batch-size", default=16, show_default=True, help="Prompts per generation batch (HF backend)."
)
@click.option(
    "--samples", default=1, show_default=True, help="Outputs per question; >1 reports maj@N and pass@k."
)
@click.option(
    "--temperature",
    type=float,
    default=None,
    help="Sampling temperature. Default: 0 (greedy) for one sample, 0.7 for several.",
)
@click.option(
    "--top-p", type=float, default=0.95, show_default=True, help="Nucleus sampling (when sampling)."
)
@click.option("--pass-k", "pass_k", type=int, multiple=True, help="k values for pass@k (default: 1 and N).")
@click.option("--seed", default=0, show_default=True, help="Random seed of sampling (when sampling).")
@click.option(
    "--backend",
    type=click.Choice(["auto", "hf", "vllm"]),
    default="auto",
    show_default=True,
    help="auto: vLLM when importable on a GPU machine, else transformers.",
)
@click.option(
    "--fewshot-source",
    "fewshot_sources",
    multiple=True,
    help="NAME=PATH of a train/dev split to draw exemplars from (or NAME=hub). Repeatable.",
)
@click.option(
    "--lm-eval-tasks", default="", help="Comma-separated lm-eval tasks (e.g. mmlu,bbh_cot_fewshot)."
)
@click.option("--lm-eval-limit", type=float, default=None, help="lm-eval items per task (or a fraction).")
@click.option("--lm-eval-include", default=None, help="Folder of extra lm-eval task YAMLs (e.g. local data).")
def run_cmd(
    model: str,
    benchmarks: tuple[str, ...],
    limit: int | None,
    mode: str,
    out: Path | None,
    max_new_tokens: int,
    batch_size: int,
    samples: int,
    temperature: float | None,
    top_p: float,
    pass_k: tuple[int, ...],
    seed: int,
    backend: str,
    fewshot_sources: tuple[str, ...],
    lm_eval_tasks: str,
    lm_eval_limit: float | None,
    lm_eval_include: str | None,
) -> None:
    """Generate answers with MODEL (HF folder or hub id), score them, write the report."""
    from training.evaluation.generate import GenerationConfig
    from training.evaluation.harness import evaluate_model

    benches = _benchmarks(benchmarks)
    sources = {}
    for s in fewshot_sources:
        name, sep, path = s.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"{s!r}: expected NAME=PATH or NAME=hub", param_hint="--fewshot-source")
        sources[name.strip()] = path.strip()
    if temperature is None:
        temperature = 0.0 if samples == 1 else 0.7
    if samples > 1 and temperature <= 0:
        raise click.BadParameter("several samples need --temperature > 0", param_hint="--samples")
    gen = GenerationConfig(
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        top_p=top_p if temperature > 0 else 1.0,
        samples=samples,
        batch_size=batch_size,
        seed=seed,
    )
    out = out or Path("eval") / Path(model.rstrip("/")).name
    tasks = [t.strip() for t in lm_eval_tasks.split(",") if t.strip()]
    lm_limit = int(lm_eval_limit) if lm_eval_limit and lm_eval_limit >= 1 else lm_eval_limit
    report = evaluate_model(
        model,
        benches,
        out,
        mode=mode,
        limit=limit,
        gen=gen,
        backend=backend,
        fewshot_sources=sources,
        ks=pass_k,
        lm_eval_tasks=tasks,
        lm_eval_limit=lm_limit,
        lm_eval_include=lm_eval_include,
    )
    from training.evaluation.report import markdown

    click.echo(markdown(report))
    click.echo(f"report: {out / 'results.json'}, {out / 'results.md'}; predictions in {out / 'predictions'}")


@eval_cli.command("score")
@click.option("-b", "--benchmark", required=True, help="NAME=PATH (or NAME for the hub test split).")
@click.option(
    "--predictions",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL with `id` (the item's id, or its 0-based line number) and `output` (or `outputs`).",
)
@click.option(
    "--pass-k", "pass_k", type=int, multiple=True, help="k values for pass@k when rows have `outputs`."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a Markdown table; json: the scores as one JSON object.",
)
def score_cmd(benchmark: str, predictions: Path, pass_k: tuple[int, ...], fmt: str) -> None:
    """Re-score saved predictions against a benchmark, without a model."""
    from training.evaluation.harness import score_predictions
    from training.evaluation.report import markdown

    ((name, path),) = _benchmarks((benchmark,))
    try:
        summary = score_predictions(name, path, predictions, ks=pass_k)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    if fmt == "json":
        json.dump({"benchmark": name, **summary}, sys.stdout, indent=2, ensure_ascii=False)
        click.echo()
    else:
        click.echo(markdown({"model": str(predictions), "benchmarks": {name: summary}}))
        if summary.get("missing"):
            click.echo(f"{summary['missing']} items of {name} have no prediction (left out of the accuracy)")
