"""The training loop on Accelerate, split torchtitan-style into `train_step` (one optimiser step) and
`train` (steps, logging, validation, checkpoints, resume). Pretraining and SFT share it; they differ only
in the data they feed and the model wrapper that turns a batch of token rows into a loss.

Batch size is given in tokens and reached by gradient accumulation: `accum = round(batch_tokens /
(micro_batch · world · context))` (at least 1); the batch actually used is logged, since 10M tokens is
not a multiple of 4,096-token rows. Each micro batch's loss is a mean over the same number of tokens
(packed rows have no padding), so dividing by `accum` gives exactly the token mean of the step.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from training import checkpoint as ckpt
from training.checkpoint import CheckpointConfig
from training.metrics import MetricsLogger, Throughput

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Batching, length and cadence of a training run."""

    micro_batch: int = 1
    """Rows per device per forward/backward."""
    batch_tokens: int = 10_000_000
    """Global batch in tokens (paper: 10M for 7B, 4M for 1.3B), reached by gradient accumulation."""
    total_steps: int = 0
    """Optimiser steps; 0 derives them from `total_tokens`."""
    total_tokens: int = 500_000_000_000
    """Training length in tokens when `total_steps` is 0 (paper: 500B)."""
    mixed_precision: str = "auto"
    """`auto` (bf16 on a GPU that supports it, fp32 on CPU), `bf16`, `fp16` or `no`."""
    log_every: int = 10
    """Log loss, LR, grad norm, tokens/s and MFU every this many steps."""
    val_every: int = 500
    """Compute the held-out loss every this many steps (and at the end); 0: only at the end."""
    stop_after_steps: int = 0
    """Save and exit after this many steps in this process (time-limited job slots); 0: run to the end."""
    seed: int = 1234
    """Seed of torch / numpy / random (the data order does not depend on it)."""


def plan_batch(batch_tokens: int, context: int, micro_batch: int, world: int) -> tuple[int, int]:
    """(gradient accumulation steps, tokens per optimiser step actually used)."""
    accum = max(1, round(batch_tokens / (micro_batch * world * context)))
    return accum, accum * micro_batch * world * context


def resolve_precision(setting: str) -> str:
    if setting != "auto":
        return setting
    return "bf16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "no"


def make_accelerator(mixed_precision: str = "auto", grad_accum: int = 1):
    """An Accelerator that accumulates `grad_accum` micro batches per optimiser step."""
    from accelerate import Accelerator

    # The scheduler is stepped once per optimiser step by us; by default Accelerate would step it
    # once per process, which would run the schedule `world` times too fast.
    return Accelerator(
        cpu=not torch.cuda.is_available(),  # without it, CPU processes under torchrun never form a group
        mixed_precision=resolve_precision(mixed_precision),
        gradient_accumulation_steps=grad_accum,
        step_scheduler_with_optimizer=False,
    )


def train_step(
    accelerator, model, optimizer, scheduler, micro_batches: list[torch.Tensor], grad_clip: float = 1.0
) -> dict[str, float]:
    """One optimiser step over the micro batches, through `accelerator.accumulate` so that DDP, FSDP and
    DeepSpeed all skip gradient synchronisation until the last micro batch; then clip and step."""
    if len(micro_batches) != accelerator.gradient_accumulation_steps:
        raise ValueError(
            f"{len(micro_batches)} micro batches for an accelerator accumulating "
            f"{accelerator.gradient_accumulation_steps}"
        )
    model.train()
    total = torch.zeros((), device=accelerator.device)
    grad_norm = torch.zeros(())
    lr = optimizer.param_groups[0]["lr"]
    for ids in micro_batches:
        with accelerator.accumulate(model):
            loss = model(ids.to(accelerator.device, non_blocking=True))
            accelerator.backward(loss)  # divided by the accumulation steps inside
            total += loss.detach().float()
            if accelerator.sync_gradients:
                grad_norm = accelerator.clip_grad_norm_(
                    model.parameters(), grad_clip if grad_clip > 0 else math.inf
                )
            optimizer.step()  # a no-op until the last micro batch
            if accelerator.sync_gradients:
                scheduler.step()
            optimizer.zero_grad(set_to_none=True)
    if not accelerator.sync_gradients:
        raise RuntimeError("gradient accumulation fell out of step with the optimiser")
    loss = accelerator.reduce(total / len(micro_batches), reduction="mean")
    return {"loss": loss.item(), "lr": lr, "grad_norm": float(grad_norm)}


@torch.no_grad()
def evaluate(accelerator, model, rows: torch.Tensor, micro_batch: int) -> dict[str, float]:
    """Mean held-out loss (and perplexity) over `rows`, split across processes."""
    if rows.numel() == 0:
        return {}
    model.eval()
    # Every process must run the same number of forwards (FSDP/ZeRO-3 gather weights collectively), so
    # the rows are cut to a multiple of the world size.
    world = accelerator.num_processes
    rows = rows[: len(rows) // world * world]
    mine = rows[accelerator.process_index :: world]
    acc = torch.zeros(2, device=accelerator.device)  # loss sum, rows
    for s in range(0, len(mine), micro_batch):
        ids = mine[s : s + micro_batch].to(accelerator.device)
        acc += torch.stack([model(ids).float() * len(ids), torch.tensor(float(len(ids)), device=acc.device)])
    acc = accelerator.reduce(acc, reduction="sum")
    val = (acc[0] / acc[1].clamp(min=1)).item()
    return {"val_loss": val, "val_ppl": math.exp(min(val, 50.0))}


@dataclass
class Run:
    """Everything `train` drives; built by the stage entry point (pretrain, sft)."""

    accelerator: Any
    model: Any  # prepared; forward(input_ids) -> scalar loss
    optimizer: Any
    scheduler: Any
    batches: Iterator[list[torch.Tensor]]  # per step: this process's micro batches; has state_dict()
    out_dir: Path
    total_steps: int
    tokens_per_step: int
    grad_clip: float
    train_cfg: TrainConfig
    ckpt_cfg: CheckpointConfig
    logger: MetricsLogger
    throughput: Throughput
    val_rows: torch.Tensor
    micro_batch: int = 1
    start_step: int = 0
    tokens_seen: int = 0
    extra_metrics: Callable[[], dict[str, float]] | None = None
    on_end: Callable[[], None] | None = None


def train(run: Run) -> dict[str, Any]:
    """Run steps `start_step+1 … total_steps`; returns the last metrics."""
    acc, cfg = run.accelerator, run.train_cfg
    step = run.start_step
    last: dict[str, Any] = {}
    steps_here = 0
    saved_at = -1
    progress = None
    if acc.is_main_process:
        from tqdm import tqdm

        progress = tqdm(total=run.total_steps, initial=step, desc="train", unit="step", dynamic_ncols=True)
    while step < run.total_steps:
        t0 = time.perf_counter()
        micro = next(run.batches)
        stats = train_step(acc, run.model, run.optimizer, run.scheduler, micro, run.grad_clip)
        step += 1
        steps_here += 1
        run.tokens_seen += run.tokens_per_step
        run.throughput.add(run.tokens_per_step)
        last = {**stats, "tokens": run.tokens_seen, "step_time_s": time.perf_counter() - t0}
        if not math.isfinite(stats["loss"]):
            raise FloatingPointError(f"loss is {stats['loss']} at step {step}; stopping (checkpoints kept)")
        if step % cfg.log_every == 0 or step == run.total_steps:
            last.update(run.throughput.rate())
            if run.extra_metrics:
                last.update(run.extra_metrics())
            run.logger.log(step, last)
        if (cfg.val_every and step % cfg.val_every == 0) or step == run.total_steps:
            val = evaluate(acc, run.model, run.val_rows, run.micro_batch)
            if val:
                run.logger.log(step, val)
                last.update(val)
        if progress is not None:
            progress.update(1)
            progress.set_postfix(loss=f"{stats['loss']:.3f}", lr=f"{stats['lr']:.2e}")
        stop = cfg.stop_after_steps and steps_here >= cfg.stop_after_steps
        if (run.ckpt_cfg.every and step % run.ckpt_cfg.every == 0) or step == run.total_steps or stop:
            ckpt.save(
                acc,
                run.out_dir,
                step,
                {"tokens": run.tokens_seen, "data": run.batches.state_dict()},
                run.ckpt_cfg.keep_last,
            )
            saved_at = step
        if stop and step < run.total_steps:
            log.warning(
                "stopping after %d steps in this process (stop_after_steps); resume continues", steps_here
            )
            break
    if progress is not None:
        progress.close()
    if step == run.total_steps and run.on_end:
        run.on_end()
    last["step"] = step
    last["checkpoint_step"] = saved_at
    return last
