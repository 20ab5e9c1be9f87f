"""GRPO training loop: DeepSeekMath Algorithm 1 (iterative group relative policy optimisation).

    for iteration = 1..I:                       (`iterations`; I = 1 is plain GRPO)
        π_ref ← π_θ                             (reference = the policy at the start of the iteration)
        [reward model: continual training on verifier-labelled samples of π_θ, 10% replay]
        for step = 1..M:                        (`steps_per_iteration`)
            sample a batch of questions D_b     (`batch_size / group_size` questions)
            π_θold ← π_θ
            sample G outputs per question from π_θold          (rollout.py)
            rewards r_i for each output                        (rewards.py or reward_model.py)
            advantages Â_{i,t}                                  (advantages.py)
            for GRPO iteration = 1..μ:                         (`mu`; paper: 1)
                update π_θ by maximising the GRPO objective     (loss.py)

Settings the paper leaves open, and our reading: `batch_size` (paper: 1024) counts *completions*
per step, i.e. 1024 / G = 16 questions with G = 64 (the paper calls it the batch size of the policy
model's training data, which is made of sampled outputs); weight decay 0 (not stated). With μ = 1 the
old policy *is* the current one, so π_θold's log-probs are the detached current log-probs (ratio 1,
exactly as the paper's single update); with μ > 1 they are the log-probs recorded while sampling.

Runs in one process (Accelerate places the model; the rollout and rewards are not sharded across
processes). Logged per step to metrics.jsonl + TensorBoard: reward mean/std, accuracy, share of groups
with zero reward std, KL, clip fraction, response length, entropy, time split, and sample outputs.
"""

from __future__ import annotations

import copy
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
import torch
from tqdm import tqdm

from corpus.recipe import load_config, recipe_option, save_config
from training import precision
from training.evaluation.verify import Verifier
from training.grpo.distinct import Distinct, distinct_outputs
from training.grpo.reward_model import RewardModelConfig
from training.metrics import MetricsConfig, MetricsLogger
from training.optim import OptimConfig


@dataclass
class GRPOConfig:
    """GRPO settings; defaults are the paper's (DeepSeekMath-RL 7B)."""

    model: str = "runs/sft/final"
    """The starting policy (an SFT model folder); also the reference model."""
    train_data: str = "openai/gsm8k"
    """Questions with gold answers: JSONL/Parquet path or hub dataset id."""
    train_config: str | None = "main"
    """Hub dataset config name."""
    train_split: str = "train"
    """Hub dataset split."""
    question_field: str = "question"
    """Field holding the question."""
    answer_field: str = "answer"
    """Field holding the gold answer (or a full solution, see `gold_kind`)."""
    gold_kind: str = "gsm8k"
    """How the gold answer is read from `answer_field`: plain (as is), gsm8k (after ####), boxed."""
    answer_kind: str = "auto"
    """How a completion's answer is extracted: gsm8k, boxed, auto (boxed else ####), last_number."""
    prompt_suffix: str = ""
    """Appended to each question (e.g. the paper's "\\nPlease reason step by step, and put your final
    answer within \\boxed{}.")."""
    eval_data: str | None = None
    """Held-out questions for greedy accuracy (same fields); None: no evaluation."""
    eval_size: int = 500
    """Held-out questions evaluated."""
    eval_every: int = 50
    """Evaluate every this many steps (and at the start and end)."""
    output_dir: str = "runs/grpo"
    """Metrics, final model (<output_dir>/final) and the accuracy curve go here."""
    iterations: int = 1
    """I in Algorithm 1: the reference model (and a learned reward model) is reset each iteration."""
    steps_per_iteration: int = 500
    """M in Algorithm 1: policy steps per iteration."""
    group_size: int = 64
    """G: outputs sampled per question."""
    batch_size: int = 1024
    """Completions per step (so batch_size / group_size questions per step)."""
    micro_batch_size: int = 64
    """Completions per forward/backward (memory only; the update is the same)."""
    max_new_tokens: int = 1024
    """Maximum completion length."""
    temperature: float = 1.0
    """Sampling temperature (also applied to the log-probs of the ratio and KL)."""
    top_p: float = 1.0
    """Nucleus sampling mass."""
    share_prompt: bool = True
    """Compute each question's prompt once for its outputs in a micro-batch in the log-prob forwards
    (same result, fewer FLOPs); False: the plain per-row forward."""
    distinct_outputs: bool = True
    """Run the reference and update passes on each group's distinct outputs once, each weighted by
    its copies (training/grpo/distinct.py: same loss and gradient, fewer rows when outputs repeat)."""
    rollout_backend: str = "auto"
    """static (preallocated KV cache, prompt prefilled once per question; Llama models), loop (our
    loop over the HF forward with a dynamic KV cache), hf (model.generate); auto: static if the model
    is supported, else loop."""
    mu: int = 1
    """μ: policy updates per exploration stage (paper: 1)."""
    beta: float = 0.04
    """β: weight of the KL penalty to the reference model."""
    epsilon: float = 0.2
    """ε: clip range of the ratio (lower side, and upper unless epsilon_high is set)."""
    epsilon_high: float | None = None
    """Separate upper clip (DAPO clip-higher); None: same as epsilon."""
    loss_type: str = "grpo"
    """Aggregation: grpo (per-output mean, then mean; paper), token (DAPO), dr_grpo (constant norm)."""
    scale_rewards: bool | None = None
    """Divide advantages by the group std; None: yes, except for loss_type=dr_grpo."""
    supervision: str = "outcome"
    """outcome (one reward per output) or process (rule-based step rewards)."""
    reward: str = "verifier"
    """verifier (math-verify against gold) or model (learned reward model, reward_model.py)."""
    format_reward_weight: float = 0.0
    """Weight of the optional format reward added to the outcome reward."""
    verify_timeout: float = 5.0
    """Seconds before a math-verify check is abandoned (counted as wrong)."""
    reward_model: RewardModelConfig = field(default_factory=RewardModelConfig)
    """Learned reward model settings (reward=model)."""
    optim: OptimConfig = field(
        default_factory=lambda: OptimConfig(lr=1e-6, schedule="constant", warmup_steps=0, weight_decay=0.0)
    )
    """AdamW + schedule (paper: LR 1e-6)."""
    metrics: MetricsConfig = field(default_factory=lambda: MetricsConfig(log_every=1))
    """Logging."""
    samples_to_log: int = 2
    """Sample outputs written to metrics.jsonl per logged step."""
    seed: int = 0
    """Seed for question order and sampling."""
    threads: int | None = None
    """torch CPU threads (None: torch's default)."""
    precision: str = "auto"
    """fp32, bf16 (bfloat16 autocast for sampling and the reference and update forwards; weights,
    optimiser state, log-prob arithmetic and the loss stay fp32: the paper's and TRL's way), or auto:
    bf16 where the device multiplies bfloat16 natively (training/precision.py), else fp32.
    Held-out evaluation always runs in fp32."""
    attn_implementation: str | None = None
    """Attention kernel of the policy and reference (transformers' `attn_implementation`: sdpa,
    eager, flash_attention_2, ...); None: the model's default. For tiny models on a CPU eager is
    faster (and bf16 SDPA on a CPU is slow)."""

    @property
    def questions_per_step(self) -> int:
        return max(1, self.batch_size // self.group_size)


def _gold(text: str, kind: str) -> str | None:
    from training.evaluation.verify import extract_answer

    return text.strip() if kind == "plain" else extract_answer(text, kind)


def load_questions(
    source: str, cfg: GRPOConfig, split: str = "train", config: str | None = None, limit: int | None = None
) -> list[dict]:
    """Rows {question, answer (gold)}; rows whose gold cannot be read are kept with answer None
    (they get reward 0, counted as gold_unparsable) so bad data is visible, not hidden."""
    from training.qa_data import load_rows

    rows = []
    for r in load_rows(source, split, config, limit):
        q, a = r.get(cfg.question_field), r.get(cfg.answer_field)
        if not isinstance(q, str) or not q.strip():
            continue
        rows.append({"question": q, "answer": _gold(str(a), cfg.gold_kind) if a is not None else None})
    if not rows:
        raise ValueError(f"no questions in {source} (field {cfg.question_field!r})")
    return rows


def _token_char_ends(tokenizer, ids: list[int]) -> list[int]:
    """Character offset where each token ends in the decoded text (for mapping step ends to tokens)."""
    ends, total = [], 0
    for t in ids:
        total += len(tokenizer.decode([t], skip_special_tokens=True))
        ends.append(total)
    return ends


class GRPOTrainer:
    """Holds policy, reference, optimiser and data; `train()` runs Algorithm 1, `step()` one step."""

    def __init__(
        self,
        cfg: GRPOConfig,
        train_rows: list[dict],
        eval_rows: list[dict] | None = None,
        verifier: Verifier | None = None,
    ):
        """`verifier`: a running Verifier to share (its owner closes it); by default the trainer
        makes its own and closes it at the end of `train()`."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from training.loop import make_accelerator
        from training.optim import build_optimizer, build_scheduler

        if cfg.batch_size % cfg.group_size:
            raise ValueError(f"batch_size {cfg.batch_size} is not a multiple of group_size {cfg.group_size}")
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        self.rng = random.Random(cfg.seed)
        self.out = Path(cfg.output_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.tok = AutoTokenizer.from_pretrained(cfg.model)
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        # precision is ours (training/precision.py); the scheduler is stepped once per optimiser step
        self.accelerator = make_accelerator("no")
        # Sampling draws on the device the model runs on (a CPU generator cannot feed CUDA draws).
        self.gen = torch.Generator(device=self.accelerator.device).manual_seed(cfg.seed)
        self.precision = precision.resolve(cfg.precision, self.accelerator.device.type)
        extra = {"attn_implementation": cfg.attn_implementation} if cfg.attn_implementation else {}
        policy = AutoModelForCausalLM.from_pretrained(cfg.model, dtype=torch.float32, **extra)
        total = cfg.iterations * cfg.steps_per_iteration
        optimizer = build_optimizer(policy, cfg.optim)
        scheduler = build_scheduler(optimizer, cfg.optim, max(total, 1))
        self.policy, self.optimizer, self.scheduler = self.accelerator.prepare(policy, optimizer, scheduler)
        self.ref: torch.nn.Module | None = None
        self.train_rows = train_rows
        self.eval_rows = eval_rows or []
        self._own_verifier = verifier is None
        self.verifier = verifier or Verifier(timeout=cfg.verify_timeout)
        self.reward_model = None
        self.logger = MetricsLogger(self.out, cfg.metrics, self.accelerator.is_main_process)
        self.global_step = 0
        self.curve: list[dict] = []
        self.eval_seconds = 0.0
        self._order: list[int] = []

    # -- pieces --------------------------------------------------------------------------------------

    def reset_reference(self) -> None:
        """π_ref ← π_θ: a frozen copy of the current policy (Algorithm 1, start of each iteration)."""
        ref = copy.deepcopy(self.accelerator.unwrap_model(self.policy))
        ref.eval()
        for p in ref.parameters():
            p.requires_grad_(False)
        self.ref = ref

    def autocast(self) -> torch.autocast:
        """The forward passes' precision context (a no-op for fp32)."""
        return precision.autocast(self.precision, self.accelerator.device.type)

    def next_questions(self) -> list[dict]:
        """The next questions of a shuffled pass over the training set (reshuffled each pass)."""
        out = []
        for _ in range(self.cfg.questions_per_step):
            if not self._order:
                self._order = list(range(len(self.train_rows)))
                self.rng.shuffle(self._order)
            out.append(self.train_rows[self._order.pop()])
        return out

    def score(
        self, questions: list[dict], texts: list[str], comp_ids: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, dict]:
        """Rewards [N] (for logging/accuracy), advantages [N] or [N, C], and reward stats."""
        from training.grpo.advantages import outcome_advantages, process_advantages
        from training.grpo.rewards import answer_rewards, format_reward, step_rewards

        cfg, G = self.cfg, self.cfg.group_size
        golds = [q["answer"] for q in questions for _ in range(G)]
        correct, statuses = answer_rewards(texts, golds, cfg.answer_kind, self.verifier)
        if cfg.reward == "model":
            prompts = [q["question"] + cfg.prompt_suffix for q in questions for _ in range(G)]
            rewards = self.reward_model.score(prompts, texts)
        else:
            rewards = list(correct)
        if cfg.format_reward_weight:
            rewards = [
                r + cfg.format_reward_weight * format_reward(t, cfg.answer_kind)
                for r, t in zip(rewards, texts)
            ]
        r = torch.tensor(rewards, dtype=torch.float)
        scale = cfg.scale_rewards if cfg.scale_rewards is not None else cfg.loss_type != "dr_grpo"
        if cfg.supervision == "process":
            steps = []
            for i, t in enumerate(texts):
                ends = _token_char_ends(self.tok, comp_ids[i, : int(mask[i].sum())].tolist())
                per_step = []
                for char_end, rew in step_rewards(t, rewards[i], cfg.answer_kind):
                    tok_idx = next((k for k, e in enumerate(ends) if e >= char_end), len(ends) - 1)
                    per_step.append((max(tok_idx, 0), rew))
                steps.append(per_step)
            adv = process_advantages(steps, G, comp_ids.shape[1], scale)
        elif cfg.supervision == "outcome":
            adv = outcome_advantages(r, G, scale)
        else:
            raise ValueError(f"unknown supervision {cfg.supervision!r}: outcome or process")
        groups = r.view(-1, G)
        stats = {
            "reward_mean": float(r.mean()),
            "reward_std": float(groups.std(dim=1).mean()) if G > 1 else 0.0,
            "accuracy": sum(correct) / len(correct),
            "zero_std_groups": float((groups.std(dim=1) < 1e-6).float().mean()) if G > 1 else 1.0,
            "gold_unparsable": statuses.count("gold_unparsable"),
            "verify_timeouts": statuses.count("timeout"),
        }
        return r, adv, stats

    def sample(self, questions: list[dict], n: int):
        """`n` sampled completions per question from the current policy (the paper's old policy)."""
        from training.chat import encode_prompt
        from training.grpo.rollout import rollout

        cfg = self.cfg
        prompts = [encode_prompt(self.tok, q["question"] + cfg.prompt_suffix) for q in questions]
        with self.autocast():
            return rollout(
                self.accelerator.unwrap_model(self.policy),
                prompts,
                n,
                cfg.max_new_tokens,
                self.tok.eos_token_id,
                self.tok.pad_token_id,
                cfg.temperature,
                cfg.top_p,
                cfg.rollout_backend,
                self.gen,
            )

    def step(self) -> dict:
        """One exploration stage + μ policy updates; returns the step's metrics."""
        from training.grpo.loss import BatchShape, grpo_loss

        cfg = self.cfg
        if self.ref is None and cfg.beta != 0.0:
            self.reset_reference()
        t0 = time.perf_counter()
        questions = self.next_questions()
        ro = self.sample(questions, cfg.group_size)
        policy = self.accelerator.unwrap_model(self.policy)
        t_gen = time.perf_counter()
        texts = self.tok.batch_decode(ro.completion_ids, skip_special_tokens=True)
        rewards, adv, rstats = self.score(questions, texts, ro.completion_ids, ro.completion_mask)
        t_rew = time.perf_counter()

        N = ro.completion_ids.shape[0]
        shape = BatchShape(
            num_outputs=N, num_tokens=int(ro.completion_mask.sum()), max_len=cfg.max_new_tokens
        )
        # The passes below run on each group's distinct outputs, weighted by their copies.
        device = ro.completion_ids.device
        if cfg.distinct_outputs:  # keyed on the host, where the rewards were scored
            distinct = distinct_outputs(ro.completion_ids, ro.completion_mask, adv, cfg.group_size)
            batch, adv = ro.select(distinct.rows), adv[distinct.rows.cpu()]
        else:
            distinct, batch = Distinct(torch.arange(N, device=device), torch.ones(N, device=device)), ro
        adv = adv.to(device)
        weights = distinct.counts
        question = distinct.rows // cfg.group_size
        U = distinct.rows.numel()
        mask = batch.completion_mask.float()
        ref_logp = self._frozen_logprobs(self.ref, batch, question) if cfg.beta != 0.0 else None
        # π_θold for μ > 1: the sampler's log-probs, unless the hf backend recorded none or bf16
        # sampling rounds differently from the update forward (the ratio must be 1 at θ = θ_old).
        old_logp = batch.old_logprobs if self.precision == "fp32" else None
        if cfg.mu > 1 and old_logp is None:
            old_logp = self._frozen_logprobs(policy, batch, question)
        t_ref = time.perf_counter()

        self.policy.train()
        # Token-weighted sums over the batch (micro-batches hold different numbers of tokens).
        loss_sum, tokens = 0.0, 0.0
        sums: dict[str, float] = {"clip_fraction": 0.0, "kl": 0.0, "entropy": 0.0}
        # μ = 1: π_θ is the sampling policy, whose entropy the sampler already recorded.
        sampled_entropy = batch.entropy if cfg.mu == 1 else None
        for _ in range(cfg.mu):
            for s in range(0, U, cfg.micro_batch_size):
                sl = slice(s, s + cfg.micro_batch_size)
                with self.autocast():
                    logp, ent = self._logprobs(
                        self.policy, batch, question, s, with_entropy=sampled_entropy is None
                    )
                if sampled_entropy is not None:
                    ent = sampled_entropy[sl]
                # μ = 1: π_θold = π_θ, so the ratio is exactly 1 (its gradient is ∇log π_θ).
                old = logp.detach() if cfg.mu == 1 else old_logp[sl]
                loss, st = grpo_loss(
                    logp,
                    old,
                    ref_logp[sl] if ref_logp is not None else None,
                    adv[sl],
                    mask[sl],
                    shape,
                    cfg.epsilon,
                    cfg.epsilon_high,
                    cfg.beta,
                    cfg.loss_type,
                    weights[sl],
                )
                self.accelerator.backward(loss)
                m = mask[sl] * weights[sl, None]  # each output's tokens once per copy
                n_tok = float(m.sum())
                loss_sum += float(loss.detach())
                tokens += n_tok
                sums["clip_fraction"] += st["clip_fraction"] * n_tok
                sums["kl"] += st["kl"] * n_tok
                sums["entropy"] += float((ent * m).sum())
            if cfg.optim.grad_clip > 0:
                self.accelerator.clip_grad_norm_(self.policy.parameters(), cfg.optim.grad_clip)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        t_end = time.perf_counter()
        self.global_step += 1
        lengths = ro.lengths.float()
        metrics = {
            **rstats,
            "loss": loss_sum / cfg.mu,
            **{k: v / max(tokens, 1.0) for k, v in sums.items()},
            "response_length": float(lengths.mean()),
            "response_length_max": float(lengths.max()),
            "distinct_outputs": distinct.fraction,
            "lr": self.scheduler.get_last_lr()[0],
            "time/step_s": t_end - t0,
            "time/generate_s": t_gen - t0,
            "time/reward_s": t_rew - t_gen,
            "time/ref_logprobs_s": t_ref - t_rew,
            "time/update_s": t_end - t_ref,
        }
        if cfg.samples_to_log:
            metrics["samples"] = [
                {
                    "question": questions[i // cfg.group_size]["question"],
                    "output": texts[i],
                    "reward": float(rewards[i]),
                }
                for i in range(0, N, max(1, N // cfg.samples_to_log))
            ][: cfg.samples_to_log]
        return metrics

    def _frozen_logprobs(self, model, ro, question: torch.Tensor) -> torch.Tensor:
        """Log-probs of every row of a rollout under `model`, micro-batch by micro-batch, no
        gradients (the reference and old-policy passes)."""
        n = ro.completion_ids.shape[0]
        with torch.inference_mode(), self.autocast():
            parts = [
                self._logprobs(model, ro, question, s)[0] for s in range(0, n, self.cfg.micro_batch_size)
            ]
            return torch.cat(parts)

    def _logprobs(self, model, ro, question: torch.Tensor, start: int, with_entropy: bool = False):
        """Per-token log-probs of micro-batch rows start … start+micro_batch_size of a rollout whose
        row r answers question[r] (a question's rows consecutive).

        With `share_prompt`, each question's prompt is computed once for its rows in the micro-batch
        (grouped_completion_logprobs: same values, fewer FLOPs); otherwise the plain per-row forward.
        """
        from training.grpo import llama_math
        from training.grpo.logprobs import completion_logprobs, grouped_completion_logprobs

        cfg = self.cfg
        sl = slice(start, start + cfg.micro_batch_size)
        if cfg.share_prompt:
            _, repeats = torch.unique_consecutive(question[sl], return_counts=True)
            first = start + repeats.cumsum(0) - repeats  # each run's first row: its prompt
            return grouped_completion_logprobs(
                model,
                ro.prompt_ids[first],
                ro.prompt_mask[first],
                ro.completion_ids[sl],
                ro.completion_mask[sl],
                repeats,
                cfg.temperature,
                with_entropy,
                # One forward for every pass: a DDP-wrapped policy needs HF's, so the reference
                # and old-policy passes take it too (same function; bf16 rounding differs).
                lean=llama_math.supported(self.policy),
            )
        C = ro.completion_ids.shape[1]
        return completion_logprobs(
            model, ro.input_ids[sl], ro.attention_mask[sl], C, cfg.temperature, with_entropy=with_entropy
        )

    def evaluate(self) -> dict:
        from training.grpo.heldout import greedy_accuracy

        t0 = time.perf_counter()
        res = greedy_accuracy(
            self.accelerator.unwrap_model(self.policy),
            self.tok,
            self.eval_rows,
            self.cfg.answer_kind,
            self.cfg.max_new_tokens,
            prompt_suffix=self.cfg.prompt_suffix,
            verifier=self.verifier,
            backend=self.cfg.rollout_backend,
        )
        self.eval_seconds += time.perf_counter() - t0
        point = {"step": self.global_step, "accuracy": res["accuracy"]}
        self.curve.append(point)
        self.logger.log(self.global_step, {"eval/accuracy": res["accuracy"], "eval/samples": res["samples"]})
        return res

    def train(self) -> dict:
        """Algorithm 1; returns a summary with the held-out accuracy curve."""
        from training import checkpoint as ckpt

        cfg = self.cfg
        t0 = time.time()
        if self.eval_rows:
            self.evaluate()
        total = cfg.iterations * cfg.steps_per_iteration
        bar = tqdm(total=total, desc="grpo")
        for it in range(cfg.iterations):
            if cfg.beta != 0.0:
                self.reset_reference()
            if cfg.reward == "model":
                self.update_reward_model(it)
            for _ in range(cfg.steps_per_iteration):
                m = self.step()
                if self.global_step % cfg.metrics.log_every == 0:
                    self.logger.log(self.global_step, {"iteration": it, **m})
                bar.update(1)
                bar.set_postfix(reward=f"{m['reward_mean']:.2f}", kl=f"{m['kl']:.3f}")
                if (
                    self.eval_rows
                    and cfg.eval_every
                    and self.global_step % cfg.eval_every == 0
                    and self.global_step < total
                ):
                    self.evaluate()
        bar.close()
        if self.eval_rows:
            self.evaluate()
        final = ckpt.export_hf(self.accelerator, self.policy, self.tok, self.out / "final")
        summary = {
            "steps": self.global_step,
            "seconds": time.time() - t0,
            "eval_seconds": self.eval_seconds,
            "precision": self.precision,
            "model": str(final),
            "curve": self.curve,
        }
        (self.out / "summary.json").write_text(json.dumps(summary, indent=1))
        self.logger.close()
        if self._own_verifier:
            self.verifier.close()
        return summary

    # -- learned reward model (iterative RL) ---------------------------------------------------------

    def update_reward_model(self, iteration: int) -> None:
        """Sample from the current policy, label with the verifier, continue training the RM (10% replay)."""
        from training.grpo.reward_model import RewardModel
        from training.grpo.rewards import answer_rewards

        cfg, rcfg = self.cfg, self.cfg.reward_model
        if self.reward_model is None:
            self.reward_model = RewardModel(rcfg.base or cfg.model, rcfg, self.accelerator.device)
        qs = self.rng.sample(self.train_rows, min(rcfg.questions_per_iteration, len(self.train_rows)))
        ro = self.sample(qs, rcfg.samples_per_question)
        texts = self.tok.batch_decode(ro.completion_ids, skip_special_tokens=True)
        golds = [q["answer"] for q in qs for _ in range(rcfg.samples_per_question)]
        labels, _ = answer_rewards(texts, golds, cfg.answer_kind, self.verifier)
        questions = [q["question"] + cfg.prompt_suffix for q in qs for _ in range(rcfg.samples_per_question)]
        stats = self.reward_model.continual_train(
            list(zip(questions, texts, labels)), seed=cfg.seed + iteration
        )
        self.logger.log(self.global_step, {f"reward_model/{k}": v for k, v in stats.items()})


def train_grpo(cfg: GRPOConfig) -> dict:
    """Load questions, run GRPO, save the config and summary in output_dir."""
    save_config(cfg, Path(cfg.output_dir) / "config.yaml")
    train_rows = load_questions(cfg.train_data, cfg, cfg.train_split, cfg.train_config)
    eval_rows = load_questions(cfg.eval_data, cfg, limit=cfg.eval_size) if cfg.eval_data else []
    return GRPOTrainer(cfg, train_rows, eval_rows).train()


@click.command("grpo")
@recipe_option("YAML recipe (e.g. pipelines/grpo-sample.yaml); defaults are the paper's.")
@click.argument("overrides", nargs=-1)
def grpo_cli(recipe: str | None, overrides: tuple[str, ...]) -> None:
    """Group Relative Policy Optimization (DeepSeekMath Algorithm 1) on questions with gold answers.

    OVERRIDES are dotted settings, e.g. `group_size=8 batch_size=64 optim.lr=1e-5 loss_type=token`.
    """
    cfg = load_config(GRPOConfig, recipe, list(overrides))
    s = train_grpo(cfg)
    msg = f"grpo done: {s['steps']} steps in {s['seconds']:.0f}s, model at {s['model']}"
    if s["curve"]:
        msg += f"; held-out accuracy {s['curve'][0]['accuracy']:.1%} -> {s['curve'][-1]['accuracy']:.1%}"
    click.echo(msg)
