"""GRPO on the embedded arithmetic task: our trainer vs TRL's GRPOTrainer at the same settings.

Both start from the same SFT model (runs/sft-sample/final, trained by `make sft` settings if missing),
train on the same questions with the same reward (our verifier), the same G, completions per step,
completion length, steps, LR, β = 0.04, ε = 0.2 and loss_type="grpo" (TRL's own defaults differ from
the paper: β = 0, loss_type="dapo"), the same attention kernel (the recipe's `attn_implementation`),
no activation checkpointing (TRL's default turns it on; ours does not recompute), one torch
thread each. Both are evaluated with the same greedy held-out accuracy (fp32) every
`eval_every` steps; evaluation time is excluded from the timings.

The comparison runs once per precision, both trainers at the same one: fp32, and bf16 autocast (TRL:
`bf16=True`) where this CPU multiplies bfloat16 natively (training/precision.py); elsewhere the bf16
pair is skipped and says so. BENCH_GRPO_PRECISIONS=fp32 runs one. BENCH_GRPO_REPEATS=N runs each
pair N times back to back and reports the median of the N paired ratios (the table shows the
first repeat; every repeat's times are in the JSON).

Reported: held-out accuracy curve of each (JSON + PNG), the gain over the SFT model, wall time of the
whole run (model load + training, evaluation excluded; module imports done before either run) and
time per step, their ratios (ours / TRL),
and other processes' CPU use around each run (this machine is shared).

    python -m benchmarks grpo          # BENCH_GRPO_STEPS=40 by default
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, fix_threads, other_cpu_percent, print_table, timed, write_result

ROOT = Path(__file__).resolve().parent.parent
SFT_DIR = ROOT / "runs" / "sft-sample"


def _sft_model() -> Path:
    final = SFT_DIR / "final"
    if not (final / "config.json").exists():
        from corpus.recipe import load_config
        from training.sft import SFTConfig, train_sft

        train_sft(load_config(SFTConfig, ROOT / "pipelines" / "sft-sample.yaml", [f"output_dir={SFT_DIR}"]))
    return final


def _config(out: Path, precision: str = "fp32"):
    from corpus.recipe import load_config
    from training.grpo.trainer import GRPOConfig

    steps = int(os.environ.get("BENCH_GRPO_STEPS", "40"))
    return load_config(
        GRPOConfig,
        ROOT / "pipelines" / "grpo-sample.yaml",
        [
            f"model={SFT_DIR / 'final'}",
            f"train_data={SFT_DIR / 'data' / 'train.jsonl'}",
            f"eval_data={SFT_DIR / 'data' / 'test.jsonl'}",
            f"output_dir={out}",
            f"steps_per_iteration={steps}",
            "metrics.tensorboard=false",
            "samples_to_log=0",
            f"precision={precision}",
        ],
    )


def _fresh_accelerate_state() -> None:
    """Forget the process-wide Accelerate state the previous run left: both trainers run in this
    process, and an Accelerator asking for another mixed precision (TRL's bf16, our "no", since
    our trainer handles precision itself) than the state already holds raises."""
    from accelerate.state import AcceleratorState

    # A private method (accelerate's own tests use it); present in every accelerate this project
    # has run with (1.x). Without it the second trainer of a precision pair would raise.
    AcceleratorState._reset_state(reset_partial_state=True)


def run_ours(cfg, train_rows, eval_rows, verifier) -> dict:
    from training.grpo.trainer import GRPOTrainer
    from training.metrics import read_metrics

    _fresh_accelerate_state()

    with timed() as t:
        trainer = GRPOTrainer(cfg, train_rows, eval_rows, verifier)
        summary = trainer.train()
    steps = [r for r in read_metrics(cfg.output_dir) if "time/step_s" in r]
    split = {
        k: statistics.mean(r[f"time/{k}_s"] for r in steps)
        for k in ("generate", "reward", "ref_logprobs", "update")
    }
    return {
        "wall_s": t.seconds - summary["eval_seconds"],
        "step_s": statistics.mean(r["time/step_s"] for r in steps),
        "step_split_s": split,
        "curve": summary["curve"],
        "final_accuracy": summary["curve"][-1]["accuracy"],
        "other_cpu_before": t.other_cpu_before,
        "other_cpu_after": t.other_cpu_after,
    }


def run_trl(cfg, train_rows, eval_rows, out: Path, verifier) -> dict:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig as TRLConfig
    from trl import GRPOTrainer as TRLTrainer

    from training.grpo.heldout import greedy_accuracy
    from training.grpo.rewards import answer_rewards

    _fresh_accelerate_state()

    def reward_fn(completions, answer, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        return answer_rewards(texts, list(answer), cfg.answer_kind, verifier)[0]

    state = {"eval_s": 0.0, "step_t0": 0.0, "steps": [], "curve": []}

    class Clock(TrainerCallback):
        def on_step_begin(self, args, st, control, **kw):
            state["step_t0"] = time.perf_counter()

        def on_step_end(self, args, st, control, model=None, **kw):
            state["steps"].append(time.perf_counter() - state["step_t0"])
            if (
                cfg.eval_every and st.global_step % cfg.eval_every == 0
            ) or st.global_step == cfg.steps_per_iteration:
                t0 = time.perf_counter()
                acc = greedy_accuracy(
                    model, tok, eval_rows, cfg.answer_kind, cfg.max_new_tokens, verifier=verifier
                )
                state["curve"].append({"step": st.global_step, "accuracy": acc["accuracy"]})
                state["eval_s"] += time.perf_counter() - t0

    with timed() as t:
        tok = AutoTokenizer.from_pretrained(cfg.model)
        extra = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
        model = AutoModelForCausalLM.from_pretrained(cfg.model, dtype=torch.float32, **extra)
        ds = Dataset.from_list(
            [
                {"prompt": [{"role": "user", "content": r["question"]}], "answer": r["answer"]}
                for r in train_rows
            ]
        )
        args = TRLConfig(
            output_dir=str(out),
            per_device_train_batch_size=cfg.batch_size,
            gradient_accumulation_steps=1,
            num_generations=cfg.group_size,
            max_completion_length=cfg.max_new_tokens,
            max_steps=cfg.steps_per_iteration,
            learning_rate=cfg.optim.lr,
            lr_scheduler_type="constant",
            warmup_steps=0,
            weight_decay=cfg.optim.weight_decay,
            adam_beta1=cfg.optim.betas[0],
            adam_beta2=cfg.optim.betas[1],
            adam_epsilon=cfg.optim.eps,
            max_grad_norm=cfg.optim.grad_clip,
            beta=cfg.beta,
            epsilon=cfg.epsilon,
            loss_type="grpo",
            scale_rewards="group",
            num_iterations=cfg.mu,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            top_k=0,
            bf16=cfg.precision == "bf16",
            # TRL's GRPOConfig turns activation checkpointing on by default (recomputing the forward
            # in the backward, ~15% of its step here); ours keeps activations, so TRL does too.
            activation_checkpointing=False,
            gradient_checkpointing=False,
            use_cpu=True,
            seed=cfg.seed,
            logging_steps=1,
            report_to="none",
            save_strategy="no",
            dataloader_num_workers=0,
        )
        trainer = TRLTrainer(
            model=model,
            reward_funcs=reward_fn,
            args=args,
            train_dataset=ds,
            processing_class=tok,
            callbacks=[Clock()],
        )
        trainer.train()
    return {
        "wall_s": t.seconds - state["eval_s"],
        "step_s": statistics.mean(state["steps"]),
        "curve": state["curve"],
        "final_accuracy": state["curve"][-1]["accuracy"],
        "other_cpu_before": t.other_cpu_before,
        "other_cpu_after": t.other_cpu_after,
    }


def _plot(sft_acc: float, runs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for prec, pair in runs.items():
        for name, res, style in (("mathmine", pair["ours"], "-"), ("TRL", pair["trl"], "--")):
            pts = (
                res["curve"]
                if res["curve"] and res["curve"][0]["step"] == 0
                else [{"step": 0, "accuracy": sft_acc}] + res["curve"]
            )
            ax.plot(
                [p["step"] for p in pts],
                [100 * p["accuracy"] for p in pts],
                ls=style,
                marker="o",
                label=f"{name} GRPO ({prec})",
            )
    ax.axhline(100 * sft_acc, color="grey", ls=":", lw=1, label="SFT model")
    ax.set_xlabel("GRPO step")
    ax.set_ylabel("held-out greedy accuracy (%)")
    ax.set_title("GRPO on the embedded arithmetic task")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _warm_imports() -> None:
    """Import what either trainer needs before timing either: Python's module imports (~2 s here)
    are paid once per process, so whichever run came first would otherwise pay them for both."""
    import accelerate  # noqa: F401
    import transformers.models.llama.modeling_llama  # noqa: F401
    import trl  # noqa: F401
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401
    from trl import GRPOTrainer  # noqa: F401

    import training.checkpoint  # noqa: F401
    import training.evaluation.verify  # noqa: F401
    import training.grpo.trainer  # noqa: F401


def _precisions() -> tuple[list[str], list[str]]:
    """Precisions to compare, and notes on those skipped."""
    from training.precision import native_bf16

    asked = os.environ.get("BENCH_GRPO_PRECISIONS", "fp32,bf16").split(",")
    run, skipped = [], []
    for p in (p.strip() for p in asked if p.strip()):
        if p == "bf16" and not native_bf16("cpu"):
            skipped.append("bf16: this CPU has no native bfloat16 matmuls (AVX-512 BF16/AMX)")
        else:
            run.append(p)
    return run, skipped


def _pair_summary(pairs: list[tuple[dict, dict]]) -> dict:
    """The first repeat's full results, and the ratios ours / TRL: each repeat's (ours and TRL run
    back to back, so they share the machine's state), and their median, which is the figure
    reported (this machine's speed drifts ±5-10% between runs)."""
    per = [
        {
            "ours_step_s": o["step_s"],
            "trl_step_s": t["step_s"],
            "ours_wall_s": o["wall_s"],
            "trl_wall_s": t["wall_s"],
            "step_ratio": o["step_s"] / t["step_s"],
            "wall_ratio": o["wall_s"] / t["wall_s"],
        }
        for o, t in pairs
    ]
    ours, trl = pairs[0]
    return {
        "ours": ours,
        "trl": trl,
        "wall_ratio_ours_over_trl": statistics.median(p["wall_ratio"] for p in per),
        "step_ratio_ours_over_trl": statistics.median(p["step_ratio"] for p in per),
        "repeats": per,
    }


def main() -> None:
    fix_threads(1)
    _sft_model()
    _warm_imports()
    from training.evaluation.verify import Verifier
    from training.grpo.trainer import load_questions

    precisions, skipped = _precisions()
    repeats = max(1, int(os.environ.get("BENCH_GRPO_REPEATS", "1")))
    if not precisions:
        raise SystemExit(f"no precision to compare: {'; '.join(skipped) or 'BENCH_GRPO_PRECISIONS is empty'}")
    cfg = _config(Path("unused"))
    train_rows = load_questions(cfg.train_data, cfg)
    eval_rows = load_questions(cfg.eval_data, cfg, limit=cfg.eval_size)
    runs = {}
    # One verifier, started before any timing: its worker pool (spawn + sympy import, ~1 s) would
    # otherwise land in whichever step first meets a non-numeric answer, in one trainer or the other.
    with (
        tempfile.TemporaryDirectory() as tmp,
        Verifier(timeout=cfg.verify_timeout).start() as verifier,
    ):
        for prec in precisions:
            pairs = []
            for r in range(repeats):
                cfg = _config(Path(tmp) / f"ours-{prec}-{r}", prec)
                print(f"[{prec}] other processes' CPU before: {other_cpu_percent(1.0)}% of one core")
                ours = run_ours(cfg, train_rows, eval_rows, verifier)
                trl = run_trl(cfg, train_rows, eval_rows, Path(tmp) / f"trl-{prec}-{r}", verifier)
                pairs.append((ours, trl))
            runs[prec] = _pair_summary(pairs)
    first = runs[precisions[0]]
    sft_acc = first["ours"]["curve"][0]["accuracy"]
    for pair in runs.values():
        pair["gain_points_ours"] = 100 * (pair["ours"]["final_accuracy"] - sft_acc)
        pair["gain_points_trl"] = 100 * (pair["trl"]["final_accuracy"] - sft_acc)
    result = {
        "settings": {
            "group_size": cfg.group_size,
            "completions_per_step": cfg.batch_size,
            "max_new_tokens": cfg.max_new_tokens,
            "steps": cfg.steps_per_iteration,
            "lr": cfg.optim.lr,
            "beta": cfg.beta,
            "epsilon": cfg.epsilon,
            "loss_type": cfg.loss_type,
            "attn_implementation": cfg.attn_implementation,
            "torch_threads": 1,
            "eval_questions": len(eval_rows),
        },
        "sft_accuracy": sft_acc,
        "runs": runs,
        "skipped": skipped,
    }
    path = write_result("grpo", result)
    _plot(sft_acc, runs, RESULTS / "grpo.png")
    rows = []
    for prec, pair in runs.items():
        for name, key in (("mathmine", "ours"), ("TRL", "trl")):
            res = pair[key]
            rows.append(
                {
                    "trainer": name,
                    "precision": prec,
                    "final_acc_%": 100 * res["final_accuracy"],
                    "gain_pts": pair[f"gain_points_{key}"],
                    "wall_s": res["wall_s"],
                    "step_s": res["step_s"],
                    "other_cpu_%": res["other_cpu_after"],
                }
            )
    print_table(rows, title=f"GRPO, SFT accuracy {100 * sft_acc:.1f}%")
    for prec, pair in runs.items():
        each = ""
        if len(pair["repeats"]) > 1:
            each = (
                " (median of "
                + ", ".join(f"{p['step_ratio']:.2f}/{p['wall_ratio']:.2f}" for p in pair["repeats"])
                + " step/wall)"
            )
        print(
            f"[{prec}] ratios ours/TRL: wall {pair['wall_ratio_ours_over_trl']:.2f}, "
            f"step {pair['step_ratio_ours_over_trl']:.2f}{each}"
        )
    for note in skipped:
        print(f"skipped {note}")
    print(f"written {path} and {RESULTS / 'grpo.png'}")


if __name__ == "__main__":
    main()
