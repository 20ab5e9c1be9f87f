"""Supervised fine-tuning on question → solution pairs (DeepSeekMath §3.1 / §4 "instruction tuning").

Paper settings (defaults of `SFTConfig`): 500 steps, batch 256, constant LR 5e-5, examples
concatenated to the context length (4K). Each example is rendered through the tokenizer's chat template
(training/chat.py); the loss is on the response tokens only (prompt and padding labels are -100).

Packing: whole examples are placed one after another into rows of `context_length` tokens (next-fit;
an example never straddles two rows, so no response is cut from its prompt); the rest of a row is
padding, masked from attention and loss. As in the paper's "concatenated" SFT (and most packers with
SDPA attention), a later example in a row can attend to earlier ones; their labels are masked, so
they only act as context. An example longer than the context is truncated at the end and counted.

`batch_size` counts packed rows per optimiser step (the paper's 256 is read as rows of 4K tokens);
`micro_batch_size` rows go through one forward/backward (gradient accumulation over the rest).
With several processes (`accelerate launch`), the batch is split between them: each process takes
every world-th micro-batch of the same global sequence, the per-token normalisation counts the whole
batch's response tokens, and gradients are all-reduced once per step, so N processes reproduce the
single-process run (tests/test_sft.py::test_two_processes_match_one).

The embedded default: `data: task:arithmetic` writes the generated arithmetic task
(training/tasks/arithmetic.py) to <output_dir>/data and `model: tiny:arithmetic` builds a tiny Llama
with a tokenizer trained on it at <output_dir>/init.
"""

from __future__ import annotations

import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import torch
from tqdm import tqdm

from corpus.recipe import load_config, recipe_option, save_config
from training.checkpoint import CheckpointConfig
from training.metrics import MetricsConfig, MetricsLogger
from training.optim import OptimConfig, build_optimizer, build_scheduler
from training.tasks.arithmetic import ArithmeticTask


@dataclass
class SFTConfig:
    """SFT settings; defaults are the paper's (7B, 4K context)."""

    model: str = "deepseek-ai/deepseek-math-7b-base"
    """Model folder or hub id to fine-tune; `tiny:arithmetic` builds the embedded tiny model."""
    data: str = "task:arithmetic"
    """JSONL/Parquet path or hub dataset id of question/solution pairs; `task:arithmetic` generates
    the embedded task."""
    data_config: str | None = None
    """Hub dataset config name (e.g. `main` for openai/gsm8k)."""
    split: str = "train"
    """Hub dataset split."""
    question_field: str = "question"
    """Field holding the question."""
    solution_field: str = "solution"
    """Field holding the solution (the response the model learns)."""
    eval_data: str | None = None
    """Optional held-out rows (question + gold `answer`) for greedy accuracy at the end."""
    eval_size: int = 300
    """Held-out rows evaluated."""
    answer_kind: str = "gsm8k"
    """How answers are extracted for evaluation: gsm8k (####), boxed, auto, last_number."""
    max_examples: int | None = None
    """Use at most this many examples (None: all)."""
    output_dir: str = "runs/sft"
    """Where metrics, checkpoints and the final model (<output_dir>/final) go."""
    steps: int = 500
    """Optimiser steps."""
    batch_size: int = 256
    """Packed rows of `context_length` tokens per optimiser step."""
    micro_batch_size: int = 4
    """Rows per forward/backward (gradient accumulation makes up the batch)."""
    context_length: int = 4096
    """Tokens per packed row."""
    optim: OptimConfig = field(
        default_factory=lambda: OptimConfig(lr=5e-5, schedule="constant", warmup_steps=0)
    )
    """AdamW and schedule (paper: constant 5e-5)."""
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    """Logging."""
    checkpoint: CheckpointConfig = field(default_factory=lambda: CheckpointConfig(every=0))
    """Full-state checkpoints (every=0: only the final HF export)."""
    task: ArithmeticTask = field(default_factory=ArithmeticTask)
    """Settings of the generated task (only for data=task:arithmetic)."""
    tiny_hidden_size: int = 128
    """Hidden size of the tiny model (model=tiny:arithmetic)."""
    tiny_layers: int = 4
    """Layers of the tiny model."""
    seed: int = 0
    """Seed for data order and initialisation."""
    threads: int | None = None
    """torch CPU threads (None: torch's default)."""


def pack_examples(
    pairs: list[tuple[list[int], list[int]]], context_length: int, pad_id: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """Next-fit packing into rows; returns (input_ids, attention_mask, labels, truncated count).

    >>> ids, mask, labels, cut = pack_examples([([1, 2], [3, 4]), ([5], [6])], 8, 0)
    >>> ids.tolist(), labels.tolist()
    ([[1, 2, 3, 4, 5, 6, 0, 0]], [[-100, -100, 3, 4, -100, 6, -100, -100]])
    """
    rows: list[tuple[list[int], list[int]]] = []
    cur_ids: list[int] = []
    cur_lab: list[int] = []
    truncated = 0
    for prompt, resp in pairs:
        ids = prompt + resp
        lab = [-100] * len(prompt) + resp
        if len(ids) > context_length:
            ids, lab = ids[:context_length], lab[:context_length]
            truncated += 1
        if len(cur_ids) + len(ids) > context_length:
            rows.append((cur_ids, cur_lab))
            cur_ids, cur_lab = [], []
        cur_ids += ids
        cur_lab += lab
    if cur_ids:
        rows.append((cur_ids, cur_lab))
    n = len(rows)
    input_ids = torch.full((n, context_length), pad_id, dtype=torch.long)
    mask = torch.zeros((n, context_length), dtype=torch.long)
    labels = torch.full((n, context_length), -100, dtype=torch.long)
    for i, (ids, lab) in enumerate(rows):
        input_ids[i, : len(ids)] = torch.tensor(ids)
        mask[i, : len(ids)] = 1
        labels[i, : len(lab)] = torch.tensor(lab)
    return input_ids, mask, labels, truncated


def prepare(cfg: SFTConfig, build: bool = True) -> tuple[str, list[dict], list[dict]]:
    """Resolve the embedded default; returns (model path, training rows, held-out rows).

    `build=False` reads the generated task and tiny model that an earlier `prepare` wrote to
    <output_dir> instead of writing them again: with several processes only the main one builds, so
    that all of them train from the same tokenizer and files (BPE training need not be bit-stable).
    """
    from training.qa_data import load_rows, select_fields
    from training.tasks.arithmetic import make_task_model, write_task

    out = Path(cfg.output_dir)
    eval_rows: list[dict] = []
    if cfg.data == "task:arithmetic":
        if build:
            train_path, test_path = write_task(out / "data", cfg.task)
        else:
            train_path, test_path = out / "data" / "train.jsonl", out / "data" / "test.jsonl"
        raw = load_rows(str(train_path))
        eval_rows = load_rows(str(test_path))
    else:
        raw = load_rows(cfg.data, cfg.split, cfg.data_config)
        if cfg.eval_data:
            eval_rows = load_rows(cfg.eval_data)
    rows, skipped = select_fields(raw, {"question": cfg.question_field, "solution": cfg.solution_field})
    if skipped:
        print(f"sft: skipped {skipped} rows without a {cfg.question_field!r} or {cfg.solution_field!r} field")
    if not rows:
        raise ValueError(f"no usable examples in {cfg.data}")
    if cfg.max_examples:
        rows = rows[: cfg.max_examples]
    model_path = cfg.model
    if cfg.model == "tiny:arithmetic" and not build:
        model_path = str(out / "init")
    elif cfg.model == "tiny:arithmetic":
        model_path = str(
            make_task_model(out / "init", raw, cfg.tiny_hidden_size, cfg.tiny_layers, seed=cfg.seed)
        )
    return model_path, rows, eval_rows[: cfg.eval_size]


def accumulation_steps(batch_size: int, micro_batch_size: int, world: int) -> int:
    """Micro-batches per process per optimiser step: `batch_size` rows split over `world` processes.

    >>> accumulation_steps(8, 2, 2)
    2
    """
    per_round = micro_batch_size * world
    if batch_size < per_round or batch_size % per_round:
        raise ValueError(
            f"batch_size {batch_size} must be a positive multiple of micro_batch_size x processes "
            f"({micro_batch_size} x {world} = {per_round})"
        )
    return batch_size // per_round


def process_micro_batches(step: int, accum: int, world: int, rank: int) -> list[int]:
    """Global micro-batch indices g = (step x accum + k) x world + rank that process `rank` runs at `step`.

    The processes interleave over one global sequence, so together they run exactly the micro-batches
    one process would run with `accum x world` accumulation steps.

    >>> process_micro_batches(1, 2, 2, 0), process_micro_batches(1, 2, 2, 1), process_micro_batches(1, 4, 1, 0)
    ([4, 6], [5, 7], [4, 5, 6, 7])
    """
    return [(step * accum + k) * world + rank for k in range(accum)]


def micro_batch_rows(g: int, micro_batch_size: int, n_rows: int, seed: int) -> torch.Tensor:
    """Packed-row indices of global micro-batch `g` (= step x micro-batches per step + j).

    Rows are read in a fresh permutation per pass over the packed rows, a function of (seed, pass), so
    the order does not depend on the number of processes and a resumed run sees the same batches.
    """
    flat = g * micro_batch_size
    epoch = flat // n_rows
    perm = torch.randperm(n_rows, generator=torch.Generator().manual_seed(seed + epoch))
    return perm[[(flat + j) % n_rows for j in range(micro_batch_size)]]


def train_sft(cfg: SFTConfig) -> dict:
    """Run SFT; writes <output_dir>/final (HF format), metrics.jsonl, and returns a summary."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training import checkpoint as ckpt
    from training.chat import encode_pair
    from training.grpo.heldout import greedy_accuracy
    from training.loop import make_accelerator

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    accelerator = make_accelerator("no")  # full precision; scheduler stepped once per optimiser step
    world, rank = accelerator.num_processes, accelerator.process_index
    accum = accumulation_steps(cfg.batch_size, cfg.micro_batch_size, world)
    out = Path(cfg.output_dir)
    # The main process writes the generated task, the tiny model and the config first; the others then
    # read the same files (concurrent writers would race on them).
    with accelerator.main_process_first():
        out.mkdir(parents=True, exist_ok=True)
        if accelerator.is_main_process:
            save_config(cfg, out / "config.yaml")
        model_path, rows, eval_rows = prepare(cfg, build=accelerator.is_main_process)
    tok = AutoTokenizer.from_pretrained(model_path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    pairs = [encode_pair(tok, r["question"], r["solution"]) for r in rows]
    random.Random(cfg.seed).shuffle(pairs)
    ids, mask, labels, truncated = pack_examples(pairs, cfg.context_length, tok.pad_token_id)
    n_rows = ids.shape[0]
    if n_rows < cfg.micro_batch_size:
        raise ValueError(f"only {n_rows} packed rows; lower micro_batch_size or add data")
    n_resp = (labels[:, 1:] != -100).sum(-1)  # response tokens per packed row (the loss's targets)

    optimizer = build_optimizer(model, cfg.optim)
    scheduler = build_scheduler(optimizer, cfg.optim, cfg.steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    start = 0
    resume = ckpt.resolve_resume(out, cfg.checkpoint.resume) if cfg.checkpoint.every else None
    if resume:
        start = ckpt.load(accelerator, resume)["step"]
    logger = MetricsLogger(out, cfg.metrics, accelerator.is_main_process)
    logger.truncate_after(start)
    device = accelerator.device
    accelerator.print(
        f"sft: {len(pairs)} examples -> {n_rows} rows of {cfg.context_length} tokens "
        f"({truncated} truncated); {cfg.steps} steps x {cfg.batch_size} rows "
        f"({world} processes x {accum} micro-batches of {cfg.micro_batch_size})"
    )
    model.train()
    t0 = time.time()
    last_loss = float("nan")
    steps = range(start, cfg.steps)
    for step in tqdm(
        steps, desc="sft", initial=start, total=cfg.steps, disable=not accelerator.is_main_process
    ):
        # The global batch is `world * accum` micro-batches; this process takes every world-th one, so
        # the processes together see exactly the rows one process would (and a resumed run the same).
        first = step * accum * world
        batch = [  # the whole global batch, every process's micro-batches
            micro_batch_rows(g, cfg.micro_batch_size, n_rows, cfg.seed)
            for g in range(first, first + accum * world)
        ]
        micro = [batch[g - first] for g in process_micro_batches(step, accum, world, rank)]
        # Every response token of the global batch weighs the same, however it was split into
        # micro-batches and processes: all processes hold the packed rows, so each counts the global
        # batch's tokens itself (no communication needed).
        tok_sum = int(sum(int(n_resp[idx].sum()) for idx in batch))
        # DDP averages gradients over processes; multiplying by `world` makes that average the sum of
        # the per-process sums, i.e. the single-process gradient of the whole batch.
        scale = world / max(tok_sum, 1)
        loss_sum = 0.0
        for k, idx in enumerate(micro):
            b_ids, b_mask, b_lab = ids[idx].to(device), mask[idx].to(device), labels[idx].to(device)
            width = int(b_mask.sum(-1).max())  # drop all-padding columns at the end
            b_ids, b_mask, b_lab = b_ids[:, :width], b_mask[:, :width], b_lab[:, :width]
            # Gradients are all-reduced once per step, on the last micro-batch (a no-op without DDP).
            sync = contextlib.nullcontext() if k == len(micro) - 1 else accelerator.no_sync(model)
            with sync:
                logits = model(input_ids=b_ids, attention_mask=b_mask).logits[:, :-1].float()
                loss = torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]),
                    b_lab[:, 1:].reshape(-1),
                    ignore_index=-100,
                    reduction="sum",
                )
                accelerator.backward(loss * scale)
            loss_sum += float(loss.detach())
        if world > 1:
            loss_sum = float(accelerator.reduce(torch.tensor(loss_sum, device=device), reduction="sum"))
        if cfg.optim.grad_clip > 0:
            accelerator.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        last_loss = loss_sum / max(tok_sum, 1)
        if (step + 1) % cfg.metrics.log_every == 0 or step + 1 == cfg.steps:
            logger.log(
                step + 1,
                {
                    "loss": last_loss,
                    "lr": scheduler.get_last_lr()[0],
                    "response_tokens": tok_sum,
                    "elapsed_s": time.time() - t0,
                },
            )
        if cfg.checkpoint.every and (step + 1) % cfg.checkpoint.every == 0 and step + 1 < cfg.steps:
            ckpt.save(accelerator, out, step + 1, {"examples": len(pairs)}, cfg.checkpoint.keep_last)
    final = ckpt.export_hf(accelerator, model, tok, out / "final")
    summary = {
        "steps": cfg.steps,
        "examples": len(pairs),
        "rows": n_rows,
        "truncated": truncated,
        "final_loss": last_loss,
        "train_seconds": time.time() - t0,
        "model": str(final),
    }
    if eval_rows and accelerator.is_main_process:  # the same greedy pass on every process would be waste
        acc = greedy_accuracy(accelerator.unwrap_model(model), tok, eval_rows, cfg.answer_kind)
        summary["heldout_accuracy"] = acc["accuracy"]
        summary["heldout_samples"] = acc["samples"]
        logger.log(cfg.steps, {"eval/accuracy": acc["accuracy"], "eval/samples": acc["samples"]})
        (out / "eval.json").write_text(json.dumps(acc, indent=1))
    logger.close()
    if accelerator.is_main_process:
        (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    accelerator.wait_for_everyone()
    return summary


@click.command("sft")
@recipe_option("YAML recipe (e.g. pipelines/sft-sample.yaml); defaults are the paper's.")
@click.argument("overrides", nargs=-1)
def sft_cli(recipe: str | None, overrides: tuple[str, ...]) -> None:
    """Supervised fine-tuning on question -> solution pairs (loss on responses, packed examples).

    OVERRIDES are dotted settings, e.g. `steps=100 optim.lr=1e-4 output_dir=runs/sft`.
    """
    cfg = load_config(SFTConfig, recipe, list(overrides))
    summary = train_sft(cfg)
    msg = f"sft done: model at {summary['model']}, final loss {summary['final_loss']:.4f}"
    if "heldout_accuracy" in summary:
        msg += f", held-out greedy accuracy {summary['heldout_accuracy']:.1%}"
    click.echo(msg)
