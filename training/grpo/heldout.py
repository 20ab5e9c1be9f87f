"""Held-out accuracy during training: greedy answers to questions, checked like the rewards are.

Used by SFT (at the end) and GRPO (every `eval_every` steps) to draw the accuracy curve. Greedy
decoding, zero-shot, through the chat template, as the paper evaluates instruct and RL models.
"""

from __future__ import annotations

import torch

from training.chat import encode_prompt
from training.evaluation.verify import Verifier, check_solutions
from training.grpo.rollout import rollout


@torch.no_grad()
def greedy_accuracy(
    model,
    tokenizer,
    rows: list[dict],
    answer_kind: str = "gsm8k",
    max_new_tokens: int = 64,
    batch_size: int = 64,
    prompt_suffix: str = "",
    verifier: Verifier | None = None,
    backend: str = "auto",
) -> dict:
    """Share of `rows` (dicts with question, answer) answered correctly; also a few sample outputs."""
    correct, samples = 0, []
    for start in range(0, len(rows), batch_size):
        chunk = rows[start : start + batch_size]
        prompts = [encode_prompt(tokenizer, r["question"] + prompt_suffix) for r in chunk]
        ro = rollout(
            model,
            prompts,
            1,
            max_new_tokens,
            tokenizer.eos_token_id,
            tokenizer.pad_token_id,
            temperature=0.0,
            backend=backend,
        )
        texts = tokenizer.batch_decode(ro.completion_ids, skip_special_tokens=True)
        results = check_solutions(texts, [r["answer"] for r in chunk], answer_kind, verifier)
        correct += sum(r.correct for r in results)
        if not samples:
            samples = [
                {"question": r["question"], "output": t, "correct": v.correct}
                for r, t, v in list(zip(chunk, texts, results))[:3]
            ]
    return {"accuracy": correct / max(len(rows), 1), "n": len(rows), "samples": samples}
