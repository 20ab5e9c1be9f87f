"""General reasoning (MMLU, BBH, …) through EleutherAI's lm-evaluation-harness, on the same checkpoint.

The paper reports that math training also improves MMLU and BBH; those suites are lm-eval's job, so
we call `lm_eval.simple_evaluate` with its `hf` model on the checkpoint folder and fold the numeric
metrics into the evaluation report under "general". lm-eval is an optional dependency (the `eval`
extra); its hub tasks (`mmlu`, `bbh_cot_fewshot`, …) download their data from the Hugging Face hub,
so offline machines pass `include_path` with task YAMLs over local files instead.
"""

from __future__ import annotations

from collections.abc import Sequence


def run_lm_eval(
    model_path: str,
    tasks: Sequence[str],
    limit: int | float | None = None,
    batch_size: int = 8,
    include_path: str | None = None,
    device: str | None = None,
    num_fewshot: int | None = None,
) -> dict:
    """{task: {metric: value}} from lm-eval's `simple_evaluate` on an HF checkpoint."""
    try:
        import lm_eval
        from lm_eval.tasks import TaskManager
    except ImportError as e:
        raise RuntimeError("lm-eval is not installed: pip install 'mathmine[eval]'") from e
    import torch

    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    task_manager = TaskManager(include_path=include_path) if include_path else TaskManager()
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={model_path}",
        tasks=list(tasks),
        limit=limit,
        batch_size=batch_size,
        device=device,
        task_manager=task_manager,
        num_fewshot=num_fewshot,
        log_samples=False,
    )
    merged: dict[str, dict] = {}
    for task, metrics in (results or {}).get("results", {}).items():
        # lm-eval keys are "metric,filter" (e.g. "acc,none"); keep the numbers, drop the alias text.
        merged[task] = {k.replace(",none", ""): v for k, v in metrics.items() if isinstance(v, (int, float))}
    return merged
