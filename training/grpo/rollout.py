"""Batched sampling of G outputs per question (the "exploration stage" of Algorithm 1).

Two backends, same output (`Rollout`):

- ``loop`` (default): our own decoding loop over the model's forward with a KV cache (DynamicCache).
  It records the sampled tokens' log-probs under the sampling distribution as they are drawn, which
  are the old-policy log-probs π_θold(o_t|q,o_<t) the clipped ratio needs when μ > 1, without another
  forward pass; it stops as soon as every row has produced EOS. For a small model on a CPU the
  per-token overhead of `generate` (logits processors, stopping criteria, generation config merging)
  dominates; the loop avoids it (see benchmarks/bench_grpo.py for the measurement).
- ``hf``: `model.generate` (for models or caches the loop does not handle); old log-probs are then
  computed by a forward pass if needed.

Prompts are left-padded so every row's next token is at the same column; position ids are counted
from each row's first real token (as in logprobs.py) so padding does not change what is sampled.
Sampling: temperature, then top-p (nucleus) filtering; temperature 0 means greedy (for evaluation).
Completion tokens after the first EOS are replaced by the pad token and masked out.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from training.grpo.logprobs import prefill, tempered_log_softmax


@dataclass
class Rollout:
    """Sampled completions for a batch of prompts (each prompt repeated G times, consecutively)."""

    prompt_ids: torch.Tensor  # [N, P] left-padded
    prompt_mask: torch.Tensor  # [N, P]
    completion_ids: torch.Tensor  # [N, C] right-padded with pad_id after EOS
    completion_mask: torch.Tensor  # [N, C] 1 up to and including EOS
    old_logprobs: torch.Tensor | None  # [N, C] log-probs under the sampling policy, or None
    entropy: torch.Tensor | None = None  # [N, C] entropy of the sampling distribution, or None

    def select(self, rows: torch.Tensor) -> Rollout:
        """The rollout of these rows (a [K] index), in that order."""

        def pick(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.index_select(0, rows)

        return Rollout(**{f.name: pick(getattr(self, f.name)) for f in fields(self)})

    @property
    def input_ids(self) -> torch.Tensor:
        return torch.cat([self.prompt_ids, self.completion_ids], dim=1)

    @property
    def attention_mask(self) -> torch.Tensor:
        return torch.cat([self.prompt_mask, self.completion_mask], dim=1)

    @property
    def lengths(self) -> torch.Tensor:
        return self.completion_mask.sum(-1)


def left_pad(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack token lists into a left-padded id tensor and its attention mask."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        if s:
            ids[i, width - len(s) :] = torch.tensor(s, dtype=torch.long)
            mask[i, width - len(s) :] = 1
    return ids, mask


def _multinomial(probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def sample_next(
    logits: torch.Tensor,
    temperature: float,
    top_p: float,
    generator: torch.Generator | None = None,
    draw=_multinomial,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Draw one token per row; returns (tokens, their log-probs under the temperature-scaled policy,
    that policy's entropy per row; None when greedy).

    The log-prob is taken before top-p truncation: π_θold is the model's distribution, top-p is a
    sampling device (the same convention as TRL and vLLM's logprobs). `draw(probs, generator)` picks
    the tokens from the (top-p truncated, unnormalised) probabilities. The entropy comes almost free
    here (the probabilities are at hand); with μ = 1 it is the logged entropy of π_θ, which spares
    the update a pass over the vocabulary.
    """
    logits = logits.float()
    if temperature <= 0:
        tok = logits.argmax(-1)
        return tok, torch.log_softmax(logits, -1).gather(-1, tok[:, None]).squeeze(-1), None
    logp = tempered_log_softmax(logits, temperature)
    probs = logp.exp()
    entropy = -(probs * logp).sum(-1)
    if top_p < 1.0:
        sorted_p, idx = probs.sort(dim=-1, descending=True)
        cum = sorted_p.cumsum(-1)
        drop = cum - sorted_p > top_p  # keep the smallest prefix whose mass reaches top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, idx, sorted_p)
    tok = draw(probs, generator)
    return tok, logp.gather(-1, tok[:, None]).squeeze(-1), entropy


def _finish(
    prompt_ids,
    prompt_mask,
    gen: torch.Tensor,
    logps: torch.Tensor | None,
    eos_id: int,
    pad_id: int,
    entropy: list[torch.Tensor | None] | None = None,
) -> Rollout:
    """Mask everything after each row's first EOS; `entropy`: per-step entropies (None entries:
    greedy, no entropy)."""
    is_eos = gen == eos_id
    # Mask: tokens up to and including the first EOS (all tokens if the row never ended).
    after_eos = (is_eos.long().cumsum(-1) - is_eos.long()) > 0
    mask = (~after_eos).long()
    gen = gen.masked_fill(after_eos, pad_id)
    if logps is not None:
        logps = logps.masked_fill(after_eos, 0.0)
    ent = None
    if entropy and all(e is not None for e in entropy):
        ent = torch.stack(entropy, dim=1).masked_fill(after_eos, 0.0)
    return Rollout(prompt_ids, prompt_mask, gen, mask, logps, ent)


class Draws:
    """What a decoding loop sampled: one `draw` per step gives the next token of every row (pad
    once a row has produced EOS) and keeps its log-prob and the policy's entropy for the Rollout."""

    def __init__(self, n: int, eos_id: int, pad_id: int, device):
        self.eos_id, self.pad_id = eos_id, pad_id
        self.tokens: list[torch.Tensor] = []
        self.logps: list[torch.Tensor] = []
        self.entropy: list[torch.Tensor | None] = []
        self.done = torch.zeros(n, dtype=torch.bool, device=device)

    def draw(self, logits, temperature, top_p, generator, draw=_multinomial) -> torch.Tensor:
        tok, lp, ent = sample_next(logits, temperature, top_p, generator, draw=draw)
        tok = torch.where(self.done, torch.full_like(tok, self.pad_id), tok)
        self.tokens.append(tok)
        self.logps.append(lp)
        self.entropy.append(ent)
        self.done |= tok == self.eos_id
        return tok

    @property
    def finished(self) -> bool:
        return bool(self.done.all())

    def rollout(self, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor) -> Rollout:
        gen = torch.stack(self.tokens, dim=1)
        logps = torch.stack(self.logps, dim=1)
        return _finish(prompt_ids, prompt_mask, gen, logps, self.eos_id, self.pad_id, self.entropy)


@torch.no_grad()
def generate_loop(
    model,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Rollout:
    """Sample with a KV cache; one forward over the prompts, then one per new token."""
    device = next(model.parameters()).device
    ids, mask = prompt_ids.to(device), prompt_mask.to(device)
    n = ids.shape[0]
    # Finished rows keep decoding pads, which are masked out afterwards and never seen by other rows.
    cache, out, pos, padded = prefill(model, ids, mask)
    next_pos = pos[:, -1:] + 1
    draws = Draws(n, eos_id, pad_id, device)
    for _ in range(max_new_tokens):
        tok = draws.draw(out.logits[:, -1, :], temperature, top_p, generator)
        if draws.finished:
            break
        if padded:
            mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=device)], dim=1)
        out = model(
            input_ids=tok[:, None],
            attention_mask=mask if padded else None,
            position_ids=next_pos if padded else None,
            cache=cache,
            use_cache=True,
        )
        next_pos = next_pos + 1
    return draws.rollout(ids, prompt_mask.to(device))


@torch.no_grad()
def generate_hf(
    model,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Rollout:
    """Sample with `model.generate` (top_k disabled: the paper samples with temperature/top-p only)."""
    device = next(model.parameters()).device
    ids, mask = prompt_ids.to(device), prompt_mask.to(device)
    greedy = temperature <= 0
    kw = {} if greedy else {"temperature": temperature, "top_p": top_p, "top_k": 0}
    seq = model.generate(
        input_ids=ids,
        attention_mask=mask,
        max_new_tokens=max_new_tokens,
        do_sample=not greedy,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        **kw,
    )
    gen = seq[:, ids.shape[1] :]
    if gen.shape[1] == 0:
        gen = torch.full((ids.shape[0], 1), eos_id, dtype=torch.long, device=device)
    return _finish(ids, mask, gen, None, eos_id, pad_id)


BACKENDS = {"loop": generate_loop, "hf": generate_hf}
CHOICES = sorted([*BACKENDS, "static", "auto"])


def rollout(
    model,
    prompts: list[list[int]],
    group_size: int,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    backend: str = "auto",
    generator: torch.Generator | None = None,
) -> Rollout:
    """G = `group_size` samples for each tokenised prompt; rows i*G … i*G+G-1 belong to prompt i.

    Backends: ``static`` (static_decode.py: preallocated KV cache, prompt prefilled once per
    question; Llama-architecture models only), ``loop``, ``hf``; ``auto`` picks static when the model
    is supported, else loop.
    """
    from training.grpo import llama_math, static_decode

    if backend not in CHOICES:
        raise ValueError(f"unknown rollout backend {backend!r}; choose from {CHOICES}")
    if backend == "auto":
        backend = "static" if llama_math.supported(model) else "loop"
    if backend == "static":
        if not llama_math.supported(model):
            raise ValueError(f"rollout backend 'static' does not support {type(model).__name__}")
        ids, mask = left_pad(prompts, pad_id)
        was_training = model.training
        model.eval()
        try:
            return static_decode.generate_static(
                model, ids, mask, group_size, max_new_tokens, eos_id, pad_id, temperature, top_p, generator
            )
        finally:
            model.train(was_training)
    repeated = [p for p in prompts for _ in range(group_size)]
    ids, mask = left_pad(repeated, pad_id)
    was_training = model.training
    model.eval()
    try:
        return BACKENDS[backend](
            model, ids, mask, max_new_tokens, eos_id, pad_id, temperature, top_p, generator
        )
    finally:
        model.train(was_training)
