"""Full training state checkpoints (resume exactly) and HF-format model exports.

A checkpoint is a folder `<out>/checkpoints/step-00000100/` holding what `accelerator.save_state`
writes (model, optimizer, LR scheduler, RNG states of every process, sharded under FSDP / ZeRO-3) plus
`trainer_state.json`: the step, tokens seen and the data position (a small dict from the data
pipeline). `trainer_state.json` is written last, so its presence marks a complete checkpoint; a run killed
while saving leaves a folder without it, which `latest()` ignores and the next rotation removes.

The export (`export_hf`) is a plain `save_pretrained` folder (safetensors + config + tokenizer) that
`AutoModelForCausalLM.from_pretrained` loads; the weights are gathered from shards first when FSDP or
ZeRO-3 is in use (`accelerator.get_state_dict`).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "trainer_state.json"
_STEP_DIR = re.compile(r"^step-(\d+)$")


@dataclass
class CheckpointConfig:
    """When to save, how many to keep, and whether to resume."""

    every: int = 1000
    """Save the full training state every this many optimiser steps (0: only at the end)."""
    keep_last: int = 3
    """Keep this many most recent complete checkpoints; older ones are deleted."""
    resume: str = "auto"
    """`auto`: continue from the latest complete checkpoint in the output folder if any;
    `never`: start fresh (fails if checkpoints exist, to avoid mixing runs); or a checkpoint path."""
    export_final: bool = True
    """Write an HF-format model (safetensors) to <output_dir>/final at the end."""


def step_dir(out_dir: str | Path, step: int) -> Path:
    return Path(out_dir) / "checkpoints" / f"step-{step:08d}"


def list_checkpoints(out_dir: str | Path, complete_only: bool = True) -> list[Path]:
    """Checkpoint folders under `<out_dir>/checkpoints`, oldest first."""
    root = Path(out_dir) / "checkpoints"
    if not root.is_dir():
        return []
    found = []
    for d in root.iterdir():
        m = _STEP_DIR.match(d.name)
        if m and d.is_dir() and (not complete_only or (d / STATE_FILE).exists()):
            found.append((int(m.group(1)), d))
    return [d for _, d in sorted(found)]


def latest(out_dir: str | Path) -> Path | None:
    """The most recent complete checkpoint, or None."""
    done = list_checkpoints(out_dir)
    return done[-1] if done else None


def save(accelerator, out_dir: str | Path, step: int, state: dict[str, Any], keep_last: int = 3) -> Path:
    """Save the full state at `step` (all processes must call this) and rotate old checkpoints."""
    path = step_dir(out_dir, step)
    accelerator.save_state(str(path))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        tmp = path / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps({"step": step, **state}, indent=1))
        tmp.replace(path / STATE_FILE)
        _rotate(out_dir, keep_last)
    accelerator.wait_for_everyone()
    return path


def _rotate(out_dir: str | Path, keep_last: int) -> None:
    complete = list_checkpoints(out_dir)
    newest = complete[-1] if complete else None
    stale = complete[:-keep_last] if keep_last > 0 else []
    # Incomplete folders older than the newest complete one are leftovers of a killed save.
    stale += [
        d
        for d in list_checkpoints(out_dir, complete_only=False)
        if not (d / STATE_FILE).exists() and newest is not None and d.name < newest.name
    ]
    for d in stale:
        shutil.rmtree(d, ignore_errors=True)


def load(accelerator, path: str | Path) -> dict[str, Any]:
    """Restore model/optimizer/scheduler/RNG from `path`; return its trainer state (step, data position…)."""
    path = Path(path)
    state_file = path / STATE_FILE
    if not state_file.exists():
        raise FileNotFoundError(f"{path} is not a complete checkpoint (no {STATE_FILE})")
    accelerator.load_state(str(path))
    return json.loads(state_file.read_text())


def resolve_resume(out_dir: str | Path, resume: str) -> Path | None:
    """Which checkpoint to resume from, following `CheckpointConfig.resume`."""
    if resume == "never":
        if list_checkpoints(out_dir):
            raise RuntimeError(f"{out_dir} already holds checkpoints; use resume=auto or a new output_dir")
        return None
    if resume == "auto":
        return latest(out_dir)
    path = Path(resume)
    if not (path / STATE_FILE).exists():
        raise FileNotFoundError(f"resume={resume}: not a complete checkpoint")
    return path


def export_hf(accelerator, model, tokenizer, out: str | Path) -> Path:
    """Write an HF-format folder (safetensors weights, config, tokenizer) loadable by `from_pretrained`."""
    out = Path(out)
    state_dict = accelerator.get_state_dict(model)  # gathers FSDP / ZeRO-3 shards onto the main process
    if accelerator.is_main_process:
        unwrapped = accelerator.unwrap_model(model)
        inner = getattr(unwrapped, "hf_model", unwrapped)  # a loss wrapper (training.fused_loss) holds the LM
        if inner is not unwrapped:
            state_dict = {
                k.removeprefix("hf_model."): v for k, v in state_dict.items() if k.startswith("hf_model.")
            }
        inner.save_pretrained(out, state_dict=state_dict, safe_serialization=True)
        if tokenizer is not None:
            tokenizer.save_pretrained(out)
    accelerator.wait_for_everyone()
    return out
