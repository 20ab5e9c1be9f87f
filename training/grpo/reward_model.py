"""A learned outcome reward model, the paper's alternative to rule-based rewards (§4.1, §4.2).

An HF sequence-classification model (one logit; `AutoModelForSequenceClassification`, for Llama the
last non-pad token's hidden state through a linear head) initialised from the SFT model, trained with
binary cross-entropy on sampled solutions that the verifier labelled right (1) or wrong (0). Its
reward is sigmoid(logit) ∈ (0, 1).

Iterative RL (§4.2, Algorithm 1): between iterations the reward model is trained further on new
samples of the current policy, mixed with a replay of historical data making up `replay_ratio`
(paper: 10%) of the training mix, so it follows the policy without forgetting earlier outputs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch


@dataclass
class RewardModelConfig:
    """Learned reward model settings (used when GRPOConfig.reward = model)."""

    base: str | None = None
    """Model folder to initialise from (None: the GRPO starting policy)."""
    lr: float = 1e-5
    """AdamW learning rate of each continual-training round."""
    epochs: int = 1
    """Passes over each round's training mix."""
    batch_size: int = 16
    """Examples per optimiser step."""
    max_length: int = 1024
    """Tokens per example (prompt + solution), truncated from the left."""
    replay_ratio: float = 0.1
    """Share of each round's training mix drawn from earlier rounds (paper: 10%)."""
    questions_per_iteration: int = 256
    """Questions sampled from the policy per iteration to make new reward-model data."""
    samples_per_question: int = 4
    """Policy samples per question for that data."""


def replay_mix(new: list, history: list, ratio: float, rng: random.Random) -> list:
    """`new` plus enough of `history` that replayed items are `ratio` of the mix (fewer if history is short).

    >>> len(replay_mix(list(range(90)), list(range(1000)), 0.1, random.Random(0)))
    100
    """
    if not history or ratio <= 0:
        return list(new)
    want = math.ceil(len(new) * ratio / (1 - ratio))
    mix = list(new) + rng.sample(history, min(want, len(history)))
    rng.shuffle(mix)
    return mix


class RewardModel:
    """Scores (question, solution) pairs; `continual_train` updates it with replay."""

    def __init__(self, path: str, cfg: RewardModelConfig | None = None, device: torch.device | str = "cpu"):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.cfg = cfg or RewardModelConfig()
        self.tok = AutoTokenizer.from_pretrained(path)
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        self.tok.truncation_side = "left"  # keep the end of the solution, where the answer is
        self.device = torch.device(device)  # the policy's: scoring runs beside it
        self.model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, dtype=torch.float32
        ).to(self.device)
        self.model.config.pad_token_id = self.tok.pad_token_id  # the head pools the last non-pad token
        self.history: list[tuple[str, str, float]] = []
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=self.cfg.lr, weight_decay=0.0)

    def _encode(self, questions: list[str], solutions: list[str]) -> dict:
        from training.chat import prompt_text

        texts = [prompt_text(self.tok, q) + " " + s for q, s in zip(questions, solutions)]
        self.tok.padding_side = "right"
        enc = self.tok(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.cfg.max_length,
            add_special_tokens=False,
        )
        return {k: v.to(self.device) for k, v in enc.items()}

    @torch.no_grad()
    def score(self, questions: list[str], solutions: list[str], batch_size: int = 64) -> list[float]:
        """Reward sigmoid(logit) per pair."""
        self.model.eval()
        out: list[float] = []
        for s in range(0, len(questions), batch_size):
            enc = self._encode(questions[s : s + batch_size], solutions[s : s + batch_size])
            out += torch.sigmoid(self.model(**enc).logits[:, 0].float()).tolist()
        return out

    def continual_train(self, examples: list[tuple[str, str, float]], seed: int = 0) -> dict:
        """One round: train on `examples` (question, solution, label 0/1) plus replay; then remember them."""
        rng = random.Random(seed)
        mix = replay_mix(examples, self.history, self.cfg.replay_ratio, rng)
        self.model.train()
        losses, correct = [], 0
        for _ in range(self.cfg.epochs):
            rng.shuffle(mix)
            for s in range(0, len(mix), self.cfg.batch_size):
                batch = mix[s : s + self.cfg.batch_size]
                enc = self._encode([b[0] for b in batch], [b[1] for b in batch])
                labels = torch.tensor([float(b[2]) for b in batch], device=self.device)
                logits = self.model(**enc).logits[:, 0].float()
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
                loss.backward()
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                losses.append(float(loss.detach()))
                correct += int(((logits > 0).float() == labels).sum())
        replayed = len(mix) - len(examples)
        self.history.extend(examples)
        return {
            "loss": sum(losses) / max(len(losses), 1),
            "train_accuracy": correct / max(len(mix) * self.cfg.epochs, 1),
            "new": len(examples),
            "replayed": replayed,
            "positives": sum(e[2] for e in examples) / max(len(examples), 1),
        }
