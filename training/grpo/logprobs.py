"""Per-token log-probabilities of completions under a causal LM, with padding handled.

Sequences are laid out as [left-padded prompt | right-padded completion]. Two things make the
result independent of padding: the attention mask hides pad tokens, and position ids are counted
from each sequence's first real token (cumsum of the mask), as `generate` does. Without the latter a
left-padded prompt would be shifted in RoPE and its log-probs would change with the batch's padding.

A batch with no left padding (prompts of equal length) is run without a mask (see
`right_padded_only`): the result is the same, the forward is faster.

Only the completion positions are projected to the vocabulary (`logits_to_keep`), which saves the
largest matmul on the prompt.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def right_padded_only(attention_mask: torch.Tensor) -> bool:
    """True when every row is real tokens followed only by padding (no left padding, no holes).

    Under causal attention a real token never attends to a later position, so trailing padding
    cannot change it: such a batch needs no attention mask at all, which lets the model take its
    fused causal attention path instead of building a 4D mask (a large share of a small model's
    forward time). Outputs at the padded positions are ignored by the callers.
    """
    m = attention_mask.bool()
    return bool(m[:, 0].all()) and not bool((~m[:, :-1] & m[:, 1:]).any())


def position_ids_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Positions counted from each row's first real token; pads get 0 (they are masked anyway)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def kept_indices(mask: torch.Tensor) -> torch.Tensor | None:
    """Flat indices of the real positions of `mask`, or None when every position is real."""
    return None if bool(mask.all()) else mask.reshape(-1).nonzero().squeeze(-1)


def prefill(model: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor):
    """One forward over left-padded prompts into a fresh DynamicCache, projecting only the last
    position to the vocabulary; returns (cache, output, position ids, padded).

    Prompts of equal length need no mask at all (the model then takes its causal attention path
    instead of building a 4D mask); only a padded batch passes the mask and position ids.
    """
    from transformers import DynamicCache

    cache = DynamicCache()
    padded = not bool(mask.all())
    pos = position_ids_from_mask(mask)
    out = model(
        input_ids=ids,
        attention_mask=mask if padded else None,
        position_ids=pos if padded else None,
        cache=cache,
        use_cache=True,
        logits_to_keep=1,
    )
    return cache, out, pos, padded


@contextlib.contextmanager
def packed_positionwise(model: torch.nn.Module, keep: torch.Tensor) -> Iterator[None]:
    """Run each decoder layer's MLP (`layer.mlp`, Llama naming) only where `keep` [B, T] is true.

    The MLP is 3/4 of a Llama layer's matmul FLOPs. Positions after a completion's EOS (right
    padding) and prompt left padding produce outputs nobody reads: causal attention never lets a
    real token see a later pad, and the attention mask never lets it see a masked one. Skipping them
    (their MLP output is zero) leaves every real position's value and gradient as before while
    saving the padded share of the arithmetic (~10% in the embedded task). The attention
    projections stay unpacked: measured on the embedded task, their gathers cost more than their
    small matmuls save. Layers without an `mlp` module are left as they are.
    """
    inner = getattr(getattr(model, "module", model), "model", None)
    layers = getattr(inner, "layers", None)
    idx = kept_indices(keep)
    if layers is None or idx is None:
        yield
        return

    def wrap(mod: torch.nn.Module):
        orig = type(mod).forward

        def forward(x: torch.Tensor) -> torch.Tensor:
            flat = x.reshape(-1, x.shape[-1])
            y = orig(mod, flat.index_select(0, idx))
            out = flat.new_zeros((flat.shape[0], y.shape[-1])).index_copy(0, idx, y)
            return out.view(*x.shape[:-1], y.shape[-1])

        return forward

    mods = [m for m in (getattr(layer, "mlp", None) for layer in layers) if isinstance(m, torch.nn.Module)]
    for mod in mods:
        mod.forward = wrap(mod)
    try:
        yield
    finally:
        for mod in mods:
            del mod.forward


def completion_logprobs(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    completion_len: int,
    temperature: float = 1.0,
    with_entropy: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """log π(o_t | q, o_<t) for the last `completion_len` tokens of each row, shape [B, completion_len].

    `temperature` divides the logits first, so the log-probs are those of the distribution the
    tokens were sampled from. Entropy (detached, for logging) is returned when asked.
    """
    no_mask = right_padded_only(attention_mask)
    with packed_positionwise(model, attention_mask):
        out = model(
            input_ids=input_ids,
            attention_mask=None if no_mask else attention_mask,
            position_ids=None if no_mask else position_ids_from_mask(attention_mask),
            logits_to_keep=completion_len + 1,
            use_cache=False,
        )
    targets = input_ids[:, -completion_len:]
    # position t predicts token t+1
    return _target_logprobs(
        out.logits[:, :-1, :], targets, attention_mask[:, -completion_len:], temperature, with_entropy
    )


def tempered_log_softmax(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """log softmax(logits / temperature) over the last dimension, in fp32 whatever the logits'
    dtype: the distribution tokens are sampled from, and the one every log-prob is taken under."""
    z = logits.float()
    return torch.log_softmax(z / temperature if temperature != 1.0 else z, dim=-1)


class _TargetLogProb(torch.autograd.Function):
    """log softmax(logits / temperature)[target] over the last dimension, in fp32 whatever the
    logits' dtype, with the backward written in one pass: (onehot − softmax) · g / T. Autograd's
    own chain (gather's zero-filled scatter, log-softmax's backward, the dtype casts) costs about a
    third more on the embedded model's [64, 28, 471] logits."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, targets: torch.Tensor, temperature: float) -> torch.Tensor:
        logp = tempered_log_softmax(logits, temperature)
        ctx.save_for_backward(logp, targets)
        ctx.temperature, ctx.dtype = temperature, logits.dtype
        return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g: torch.Tensor):
        logp, targets = ctx.saved_tensors
        g = g.unsqueeze(-1)
        grad = logp.exp().mul_(-g).scatter_add_(-1, targets.unsqueeze(-1), g)
        if ctx.temperature != 1.0:
            grad.div_(ctx.temperature)
        return grad.to(ctx.dtype), None, None


def _target_logprobs(
    logits: torch.Tensor,
    targets: torch.Tensor,
    target_mask: torch.Tensor,
    temperature: float,
    with_entropy: bool,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Log-probs of `targets` under the temperature-scaled logits (in fp32), and the detached
    entropy; 0 at padded targets, whose logits come from skipped (packed) positions and mean
    nothing — zero keeps them finite in any masked loss."""
    real = target_mask.bool()
    if not with_entropy:
        return _TargetLogProb.apply(logits, targets, temperature).masked_fill(~real, 0.0), None
    logp_all = tempered_log_softmax(logits, temperature)
    logp = logp_all.gather(-1, targets.unsqueeze(-1)).squeeze(-1).masked_fill(~real, 0.0)
    with torch.no_grad():
        entropy = (-(logp_all.exp() * logp_all).sum(-1)).masked_fill(~real, 0.0)
    return logp, entropy


def grouped_completion_logprobs(
    model: torch.nn.Module,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    completion_ids: torch.Tensor,
    completion_mask: torch.Tensor,
    repeats: int | torch.Tensor,
    temperature: float = 1.0,
    with_entropy: bool = False,
    lean: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Same result as `completion_logprobs`, computing each group's shared prompt once.

    GRPO's G outputs of a question share its prompt: the prompt goes through the model once per
    question (`prompt_ids` [Q, P]), its KV cache is repeated for each of its completions
    (differentiably, so gradients through the prompt's keys/values are summed over the group exactly
    as in the unshared computation), and only the completions run through the model per output.
    `repeats`: completions per prompt, an int (G each: completions [Q·G, C]) or a tensor [Q]
    (prompt i's completions are the next repeats[i] rows), see `prompt_rows`.

    `lean`: for a Llama model, use llama_math.py's forward, which computes the same function with
    far fewer kernels; otherwise (or False) the HF forward. A DDP-wrapped model is not `supported`
    (its gradient hooks need its own forward), so it takes the HF forward.
    """
    from training.grpo import llama_math

    if lean and llama_math.supported(model):
        logits = llama_math.grouped_logits(
            model, prompt_ids, prompt_mask, completion_ids, completion_mask, repeats
        )
        return _target_logprobs(logits, completion_ids, completion_mask, temperature, with_entropy)
    return _hf_grouped(
        model, prompt_ids, prompt_mask, completion_ids, completion_mask, repeats, temperature, with_entropy
    )


def prompt_rows(repeats: int | torch.Tensor, n_prompts: int, device=None) -> torch.Tensor:
    """Prompt index of each completion row: 0 … n_prompts−1, prompt i repeated repeats[i] times (an
    int: that many each). Gathering with it (`index_select`) repeats prompt tensors differentiably."""
    idx = torch.arange(n_prompts, device=device)
    if isinstance(repeats, int):
        return idx.repeat_interleave(repeats)
    return idx.repeat_interleave(repeats.to(device))


def _hf_grouped(
    model, prompt_ids, prompt_mask, completion_ids, completion_mask, repeats, temperature, with_entropy
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """grouped_completion_logprobs through the HF model's forward and a DynamicCache."""
    cache, out_p, _, padded = prefill(model, prompt_ids, prompt_mask)
    rows = prompt_rows(repeats, prompt_ids.shape[0], prompt_ids.device)
    for layer in cache.layers:
        layer.keys = layer.keys.index_select(0, rows)
        layer.values = layer.values.index_select(0, rows)
    full_mask = torch.cat([prompt_mask.index_select(0, rows), completion_mask], dim=1)
    pos = position_ids_from_mask(full_mask)[:, prompt_ids.shape[1] :]
    C = completion_ids.shape[1]
    # Trailing completion padding needs no mask (causal); prompt padding does.
    with packed_positionwise(model, completion_mask):
        out_c = model(
            input_ids=completion_ids,
            attention_mask=full_mask if padded else None,
            position_ids=pos,
            cache=cache,
            use_cache=True,
            logits_to_keep=C,
        )
    first = out_p.logits[:, -1:, :].index_select(0, rows)
    logits = torch.cat([first, out_c.logits[:, :-1, :]], dim=1)
    return _target_logprobs(logits, completion_ids, completion_mask, temperature, with_entropy)
