"""Training metrics: `metrics.jsonl` + TensorBoard (+ optional W&B), and throughput / MFU accounting.

Every record is one JSON line `{"step": N, "time": unix, ...}` in `<out>/metrics.jsonl` (appended, so a
resumed run continues the same file) and the same scalars in TensorBoard under `<out>/tensorboard`.
Only the main process writes.

MFU follows the PaLM paper (Chowdhery et al. 2022, appendix B): model FLOPs per token
`6·N + 12·L·H·T` (N: parameters doing matmuls, L layers, H hidden size, T sequence length; the second
term is attention's QKᵀ and AV, counted without the causal halving as PaLM does), times tokens/s,
divided by the hardware peak. Activation recomputation is *not* counted (that would be HFU).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

# Dense bf16 peak FLOP/s per device (vendor datasheets, no sparsity).
PEAK_FLOPS = {
    "H200": 989e12,
    "H100": 989e12,
    "H800": 989e12,
    "A100": 312e12,
    "A800": 312e12,
    "L40S": 362e12,
    "A10G": 125e12,
    "4090": 165e12,
}


@dataclass
class MetricsConfig:
    """Where and how metrics are written."""

    log_every: int = 10
    """Log training metrics every this many optimiser steps."""
    tensorboard: bool = True
    """Write TensorBoard event files under <output_dir>/tensorboard."""
    wandb_project: str | None = None
    """Also log to Weights & Biases under this project (needs `pip install wandb`)."""
    peak_flops: float | None = None
    """Peak FLOP/s of one device for MFU; None = look the GPU up in PEAK_FLOPS (no MFU on CPU)."""


def peak_flops_per_device(override: float | None = None) -> float | None:
    """The configured peak, else a datasheet value for the current CUDA device, else None."""
    if override:
        return float(override)
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    for key, value in PEAK_FLOPS.items():
        if key in name:
            return value
    return None


def matmul_params(model: torch.nn.Module) -> int:
    """Parameters that take part in matmuls: all, minus input embeddings unless tied to the output head."""
    total = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    get_in = getattr(model, "get_input_embeddings", None)
    get_out = getattr(model, "get_output_embeddings", None)
    emb = get_in() if get_in else None
    out = get_out() if get_out else None
    if emb is not None and (out is None or out.weight is not emb.weight):
        total -= emb.weight.numel()
    return total


def flops_per_token(n_params: int, n_layers: int, hidden_size: int, seq_len: int) -> float:
    """Training FLOPs per token, forward + backward: 6·N + 12·L·H·T (PaLM appendix B)."""
    return 6.0 * n_params + 12.0 * n_layers * hidden_size * seq_len


def model_flops_per_token(model: torch.nn.Module, seq_len: int) -> float:
    cfg = model.config
    return flops_per_token(matmul_params(model), cfg.num_hidden_layers, cfg.hidden_size, seq_len)


class Throughput:
    """Tokens/s and MFU over the interval since the last `rate()` call."""

    def __init__(self, flops_per_token: float, peak_flops: float | None, world_size: int = 1):
        self.fpt = flops_per_token
        self.peak = peak_flops
        self.world = world_size
        self.tokens = 0
        self.t0 = time.perf_counter()

    def add(self, tokens: int) -> None:
        """Count tokens processed by *all* processes."""
        self.tokens += tokens

    def rate(self) -> dict[str, float]:
        now = time.perf_counter()
        dt = max(now - self.t0, 1e-9)
        tps = self.tokens / dt
        out = {"tokens_per_s": tps, "tokens_per_s_per_device": tps / self.world}
        if self.peak:
            out["mfu"] = tps * self.fpt / (self.peak * self.world)
        self.tokens, self.t0 = 0, now
        return out


class MetricsLogger:
    """Append JSON lines and mirror scalars to TensorBoard / W&B; a no-op off the main process."""

    def __init__(
        self,
        out_dir: str | Path,
        cfg: MetricsConfig | None = None,
        is_main: bool = True,
        run_config: dict[str, Any] | None = None,
    ):
        self.cfg = cfg or MetricsConfig()
        self.is_main = is_main
        self.path = Path(out_dir) / "metrics.jsonl"
        self._tb = None
        self._wandb = None
        if not is_main:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.cfg.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(Path(out_dir) / "tensorboard"))
        if self.cfg.wandb_project:
            try:
                import wandb
            except ImportError as e:
                raise RuntimeError(
                    "wandb_project is set but wandb is not installed: pip install wandb"
                ) from e
            self._wandb = wandb.init(project=self.cfg.wandb_project, config=run_config, resume="allow")

    def log(self, step: int, values: dict[str, Any]) -> None:
        if not self.is_main:
            return
        record = {"step": int(step), "time": round(time.time(), 3), **values}
        with self.path.open("a") as f:
            f.write(json.dumps(record, default=float) + "\n")
        scalars = {
            k: float(v) for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        if self._tb is not None:
            for k, v in scalars.items():
                self._tb.add_scalar(k, v, step)
        if self._wandb is not None:
            self._wandb.log(scalars, step=step)

    def truncate_after(self, step: int) -> None:
        """Drop records beyond `step` (a resumed run repeats the steps after its checkpoint)."""
        if not self.is_main or not self.path.exists():
            return
        keep = [
            line
            for line in self.path.read_text().splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step
        ]
        tmp = self.path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(line + "\n" for line in keep))
        tmp.replace(self.path)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


def read_metrics(out_dir: str | Path) -> list[dict[str, Any]]:
    """All records of `<out_dir>/metrics.jsonl` (handy for tests and reports)."""
    path = Path(out_dir) / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
