"""Continued pretraining (DeepSeekMath §2.3): a causal LM trained on a weighted mix of Parquet sources.

    mathmine train pretrain --recipe pipelines/pretrain-sample.yaml train.total_steps=50
    accelerate launch --config_file pipelines/accelerate/fsdp.yaml -m corpus.cli \
        train pretrain --recipe pipelines/pretrain-deepseekmath-7b.yaml

The output folder holds `config.yaml` (the resolved recipe), `metrics.jsonl`, `tensorboard/`,
`checkpoints/step-N/` (full state, last K kept) and `final/` (HF format). Rerunning the same command
resumes from the latest checkpoint with the same losses an uninterrupted run would have had.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from pathlib import Path

import click

from corpus.recipe import load_config, recipe_option, save_config, to_dict
from training import checkpoint as ckpt
from training.checkpoint import CheckpointConfig
from training.data.sources import DocumentStream
from training.data.stream import DataConfig, StepBatches, build_mixture, validation_rows
from training.loop import Run, TrainConfig, make_accelerator, plan_batch, train
from training.metrics import (
    MetricsConfig,
    MetricsLogger,
    Throughput,
    model_flops_per_token,
    peak_flops_per_device,
)
from training.optim import OptimConfig, build_optimizer, build_scheduler

log = logging.getLogger(__name__)


@dataclass
class TinyConfig:
    """Build the tiny Llama model + BPE tokenizer (embedded default) when `model.path` does not exist."""

    enabled: bool = False
    """Build the model at `model.path` from config if that folder is missing."""
    vocab_size: int = 4096
    """BPE vocabulary trained on the first documents of the training sources."""
    tokenizer_docs: int = 2000
    """Documents per source used to train the tokenizer."""
    hidden_size: int = 128
    layers: int = 4
    heads: int = 4
    seed: int = 0


@dataclass
class ModelConfig:
    """Which model to continue and how to run it."""

    path: str = "deepseek-ai/deepseek-coder-7b-base-v1.5"
    """Hub id or local folder of the starting checkpoint (any HF causal LM)."""
    tokenizer: str | None = None
    """Tokenizer id or folder; None: the model's own."""
    attn_implementation: str = "sdpa"
    """Attention kernel: `sdpa` (PyTorch fused attention), `flash_attention_2`, `eager`."""
    dtype: str = "float32"
    """Parameter dtype. float32 master weights with bf16 autocast is the safe default; `bfloat16` halves
    memory (pure bf16 training)."""
    gradient_checkpointing: bool = True
    """Recompute activations in the backward pass (needed for 7B at 4K context)."""
    compile: bool = False
    """torch.compile the decoder (faster steps after a compilation pause)."""
    loss: str = "fused"
    """`fused`: chunked linear+cross-entropy that never materialises full logits; `hf`: the model's own
    loss. FSDP / ZeRO-3 need `hf` (the fused loss reads the unsharded output weight); set automatically."""
    tiny: TinyConfig = field(default_factory=TinyConfig)
    """Embedded default: build a tiny model instead of loading one."""


@dataclass
class PretrainConfig:
    """Continued pretraining: model, data mixture, optimiser, batching, checkpoints, metrics."""

    output_dir: str = "runs/pretrain"
    """Where config, metrics, checkpoints and the final model go."""
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    eval_command: str | None = None
    """Optional shell command run on the main process after training, `{model}` replaced by the final
    model folder (e.g. `mathmine eval run --model {model} …`)."""


def build_tiny(cfg: PretrainConfig) -> Path:
    """Train the tokenizer on the first documents of each training source and build the tiny model."""
    from training.tiny_model import build_tiny_model, train_tokenizer

    t = cfg.model.tiny
    texts = []
    for src in cfg.data.sources:
        stream = DocumentStream(src, "train", cfg.data.val_permille, max_epochs=1)
        texts += [text for _, text in itertools.islice(stream, t.tokenizer_docs)]
    if not texts:
        raise ValueError("no training documents to train the tiny tokenizer on")
    tok = train_tokenizer(texts, t.vocab_size)
    model = build_tiny_model(
        tok,
        hidden_size=t.hidden_size,
        layers=t.layers,
        heads=t.heads,
        max_positions=max(2048, cfg.data.context),
        seed=t.seed,
    )
    out = Path(cfg.model.path)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out


def load_model(cfg: ModelConfig):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(cfg.tokenizer or cfg.path)
    model = AutoModelForCausalLM.from_pretrained(
        cfg.path, attn_implementation=cfg.attn_implementation, dtype=getattr(torch, cfg.dtype)
    )
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    return model, tok


def pretrain(cfg: PretrainConfig) -> dict:
    """Run (or resume) continued pretraining; returns the last metrics."""
    import torch
    from accelerate import PartialState
    from accelerate.utils import DistributedType, set_seed

    from training.fused_loss import CausalLMLoss

    world = PartialState(cpu=not torch.cuda.is_available()).num_processes
    accum, tokens_per_step = plan_batch(
        cfg.train.batch_tokens, cfg.data.context, cfg.train.micro_batch, world
    )
    acc = make_accelerator(cfg.train.mixed_precision, accum)
    out = Path(cfg.output_dir)
    set_seed(cfg.train.seed)
    if cfg.model.tiny.enabled and not (Path(cfg.model.path) / "config.json").exists():
        if acc.is_main_process:
            build_tiny(cfg)
        acc.wait_for_everyone()
    model, tok = load_model(cfg.model)
    sharded = acc.distributed_type in (DistributedType.FSDP, DistributedType.DEEPSPEED)
    loss_mode = "hf" if sharded else cfg.model.loss
    if cfg.model.compile:
        model.model.compile()
    fpt = model_flops_per_token(model, cfg.data.context)
    wrapped = CausalLMLoss(model, loss_mode)

    world = acc.num_processes
    accum, tokens_per_step = plan_batch(
        cfg.train.batch_tokens, cfg.data.context, cfg.train.micro_batch, world
    )
    total_steps = cfg.train.total_steps or max(1, cfg.train.total_tokens // tokens_per_step)
    optimizer = build_optimizer(wrapped, cfg.optim)
    scheduler = build_scheduler(optimizer, cfg.optim, total_steps)
    wrapped, optimizer, scheduler = acc.prepare(wrapped, optimizer, scheduler)

    resume_from = ckpt.resolve_resume(out, cfg.checkpoint.resume)
    state = ckpt.load(acc, resume_from) if resume_from else {"step": 0, "tokens": 0, "data": None}
    logger = MetricsLogger(out, cfg.metrics, acc.is_main_process, run_config=to_dict(cfg))
    if acc.is_main_process:
        save_config(cfg, out / "config.yaml")
        logger.truncate_after(state["step"])  # steps after the checkpoint are recomputed
        log.warning(
            "pretrain: %d steps x %d tokens (accum %d, world %d)%s",
            total_steps,
            tokens_per_step,
            accum,
            world,
            f", resuming at step {state['step']}" if resume_from else "",
        )
    mixture = build_mixture(cfg.data, tok, "train", state["data"])
    batches = StepBatches(mixture, cfg.train.micro_batch, accum, world, acc.process_index)

    def shares() -> dict[str, float]:
        total = sum(mixture.rows.values()) or 1
        return {f"share/{k}": v / total for k, v in mixture.rows.items()}

    def on_end() -> None:
        if not cfg.checkpoint.export_final:
            return
        final = ckpt.export_hf(acc, wrapped, tok, out / "final")
        if cfg.eval_command and acc.is_main_process:
            import shlex
            import subprocess

            subprocess.run(
                cfg.eval_command.replace("{model}", shlex.quote(str(final))), shell=True, check=False
            )

    run = Run(
        accelerator=acc,
        model=wrapped,
        optimizer=optimizer,
        scheduler=scheduler,
        batches=batches,
        out_dir=out,
        total_steps=total_steps,
        tokens_per_step=tokens_per_step,
        grad_clip=cfg.optim.grad_clip,
        train_cfg=cfg.train,
        ckpt_cfg=cfg.checkpoint,
        logger=logger,
        throughput=Throughput(fpt, peak_flops_per_device(cfg.metrics.peak_flops), world),
        val_rows=validation_rows(cfg.data, tok),
        micro_batch=cfg.train.micro_batch,
        start_step=state["step"],
        tokens_seen=state.get("tokens", 0),
        extra_metrics=shares,
        on_end=on_end,
    )
    try:
        return train(run)
    finally:
        logger.close()


@click.command("pretrain", context_settings={"ignore_unknown_options": True})
@recipe_option("YAML recipe (pipelines/pretrain-*.yaml); fields of PretrainConfig.")
@click.option("--print-config", is_flag=True, help="Print the resolved config and exit.")
@click.argument("overrides", nargs=-1)
def pretrain_cli(recipe: str | None, print_config: bool, overrides: tuple[str, ...]) -> None:
    """Continued pretraining on a weighted data mix (DeepSeekMath). OVERRIDES are dotted.key=value,
    e.g. train.total_steps=100 output_dir=runs/x. Rerun the same command to resume."""
    cfg = load_config(PretrainConfig, recipe, list(overrides))
    if print_config:
        import yaml

        click.echo(yaml.safe_dump(to_dict(cfg), sort_keys=False))
        return
    last = pretrain(cfg)
    click.echo(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in last.items()))
