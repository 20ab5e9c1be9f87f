"""The evaluation run: benchmarks -> prompts -> generations -> scores -> report (and re-scoring).

`evaluate_model` is what `mathmine eval run` calls; `score_predictions` is `mathmine eval score`.
Both share `score_records`, so a saved prediction file re-scores to exactly the numbers of the run
that wrote it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from corpus.benchmarks import BenchmarkItem, load_benchmark
from training.evaluation import prompts as P
from training.evaluation.generate import GenerationConfig, make_generator
from training.evaluation.report import read_predictions, write_predictions, write_report
from training.evaluation.scoring import ANSWER_KIND, ItemScore, score_item_outputs, summarize
from training.evaluation.verify import Verifier

log = logging.getLogger(__name__)
MODES = ("fewshot", "zeroshot")


def score_records(
    items: Sequence[BenchmarkItem],
    outputs: Sequence[Sequence[str]],
    verifier: Verifier,
    ks: Sequence[int] = (),
) -> tuple[dict, list[dict]]:
    """Score the outputs of `items` (one benchmark); returns (summary, per-item prediction records)."""
    if not items:
        return {"items": 0, "accuracy": None}, []
    kind = ANSWER_KIND[items[0].benchmark]
    scores: list[ItemScore] = score_item_outputs(items, outputs, kind, verifier)
    records = []
    for item, outs, s in zip(items, outputs, scores):
        rec = {
            "id": item.id,
            "gold": item.answer,
            "output": outs[0] if outs else "",
            "answer": s.answers[0] if s.answers else None,
            "correct": bool(s.correct and s.correct[0]),
            "status": s.statuses[0] if s.statuses else "no_output",
        }
        if len(outs) > 1:
            rec |= {
                "outputs": list(outs),
                "answers": s.answers,
                "corrects": s.correct,
                "majority": s.majority,
                "majority_correct": s.majority_correct,
            }
        if s.meta:
            rec["meta"] = s.meta
        records.append(rec)
    summary = summarize(scores, ks) | {"answer_kind": kind}
    return summary, records


def build_prompts(
    items: Sequence[BenchmarkItem],
    mode: str,
    tokenizer=None,
    fewshot_source: str | None = None,
    test_path: str | None = None,
) -> list[str]:
    """Few-shot (exemplars + question) or zero-shot (chat template) prompts for one benchmark."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
    if mode == "zeroshot":
        if tokenizer is None or not getattr(tokenizer, "chat_template", None):
            raise ValueError(
                "zero-shot mode renders prompts through the chat template; this tokenizer has none"
            )
        return [P.zeroshot_prompt(it, tokenizer) for it in items]
    name = items[0].benchmark
    avoid = {it.question.strip() for it in items}
    exemplars = P.exemplars_for(name, fewshot_source, test_path, avoid)
    return [P.fewshot_prompt(it, exemplars) for it in items]


def evaluate_model(
    model: str,
    benchmarks: Sequence[tuple[str, str | None]],
    out: str | Path,
    mode: str = "fewshot",
    limit: int | None = None,
    gen: GenerationConfig | None = None,
    backend: str = "auto",
    fewshot_sources: dict[str, str] | None = None,
    ks: Sequence[int] = (),
    lm_eval_tasks: Sequence[str] = (),
    lm_eval_limit: int | None = None,
    lm_eval_include: str | None = None,
    generator=None,
    verifier: Verifier | None = None,
) -> dict:
    """Evaluate `model` (an HF folder or hub id) on each (name, path) benchmark; write the report.

    `generator` may be passed in (tests, or an in-memory model); otherwise one is built for `model`.
    """
    gen = gen or GenerationConfig()
    out = Path(out)
    generator = generator or make_generator(model, backend)
    tokenizer = getattr(generator, "tokenizer", None)
    if tokenizer is None:  # vLLM: prompts still need the model's chat template in zero-shot mode
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(model)
    report: dict = {"model": str(model), "mode": mode, "limit": limit, **asdict(gen), "benchmarks": {}}
    own_verifier = verifier is None
    verifier = verifier or Verifier(workers=1)
    try:
        for name, path in benchmarks:
            items = load_benchmark(name, path, limit=limit)
            if not items:
                log.warning("%s: no items loaded from %s", name, path)
            prompts = (
                build_prompts(items, mode, tokenizer, (fewshot_sources or {}).get(name), path)
                if items
                else []
            )
            outputs = (
                generator.generate(prompts, P.stop_sequences(name, mode), gen, desc=name) if items else []
            )
            summary, records = score_records(items, outputs, verifier, ks)
            summary["source"] = str(path) if path else "hub"
            for rec, prompt in zip(records, prompts):
                rec["prompt"] = prompt
            write_predictions(out / "predictions" / f"{name}.jsonl", records)
            report["benchmarks"][name] = summary
            log.info("%s: accuracy %s on %d items", name, summary.get("accuracy"), summary["items"])
    finally:
        if own_verifier:
            verifier.close()
    if lm_eval_tasks:
        from training.evaluation.lm_eval_bridge import run_lm_eval

        report["general"] = run_lm_eval(
            model,
            list(lm_eval_tasks),
            limit=lm_eval_limit,
            batch_size=gen.batch_size,
            include_path=lm_eval_include,
        )
    write_report(out, report)
    return report


def score_predictions(
    name: str,
    path: str | None,
    predictions: str | Path,
    ks: Sequence[int] = (),
    verifier: Verifier | None = None,
) -> dict:
    """Re-score a predictions JSONL (`id` + `output`/`outputs`) against benchmark `name`.

    Items without a prediction are reported as `missing` and left out of the accuracy; a prediction
    whose id is not in the benchmark, or a repeated id, is an error (it would score the wrong item).
    """
    items = {it.id: it for it in load_benchmark(name, path)}
    rows = read_predictions(predictions)
    seen: set[str] = set()
    picked, outputs = [], []
    for row in rows:
        rid = str(row["id"])
        if rid not in items:
            raise ValueError(f"prediction id {rid!r} is not an item of {name} ({path or 'hub'})")
        if rid in seen:
            raise ValueError(f"prediction id {rid!r} appears twice in {predictions}")
        seen.add(rid)
        outs = row.get("outputs") or [row.get("output") or ""]
        picked.append(items[rid])
        outputs.append([str(o) for o in outs])
    own = verifier is None
    verifier = verifier or Verifier(workers=1)
    try:
        summary, _ = score_records(picked, outputs, verifier, ks)
    finally:
        if own:
            verifier.close()
    summary["missing"] = len(items) - len(picked)
    return summary
