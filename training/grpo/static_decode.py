"""Sampling with a preallocated (static) KV cache and a lean decode step, for Llama-family models.

Why by hand: for a small model on a CPU, a decode step of HF's forward spends most of its time in
Python (module hooks, cache bookkeeping, mask and position handling, attention dispatch), not in the
matrix products; a one-token step of the 1M-parameter embedded model took ~6 ms, of which ~1.5 ms is
arithmetic. `StaticCache` + `torch.compile` would remove that on a GPU, but compiling on a CPU costs
more than a whole embedded run. This module computes exactly the Llama decoder layer (RMSNorm →
q/k/v → RoPE → causal attention over the cache → o-proj → residual → RMSNorm → SwiGLU MLP →
residual), reading the HF model's own weights and its own rotary embedding, with:

- the prompt prefilled once per *question* (not once per sample, by `llama_math.prompt_pass`)
  and its keys and values copied G times into a cache preallocated for prompt + max_new_tokens
  positions;
- llama_math.py's layer arithmetic: fused q/k/v and gate/up products, RoPE as one complex product
  on permuted heads, RMSNorm scales folded into the products that follow;
- keys cached transposed ([N, KV, D, L]), so the score product reads a slice with unit stride
  along positions, which batched matmul takes without a copy (a transposed slice of a
  [N, KV, L, D] cache was copied every step);
- under autocast (bf16), the projection weights cast once, not in every product of every step;
  the KV cache and the attention products in bf16, as autocast runs them in the update pass (half
  the cache's memory traffic: 6-8% faster sampling than an fp32 cache in an interleaved A/B); the
  softmax in fp32, the residual stream and norms in the model's dtype;
- float32 projections on oneDNN's kernel (linear.py), not MKL's generic path on AMD CPUs;
- sampling by inverse CDF on one uniform draw per row (`torch.multinomial` draws an exponential per
  vocabulary entry, which was ~0.5 ms per token here).

The log-probs it records equal a teacher-forced HF forward's to float tolerance (tests check it).
Models it does not cover (`llama_math.supported` is False) use rollout.py's HF-forward loop.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from training import precision
from training.grpo import llama_math
from training.grpo.linear import linear
from training.grpo.llama_math import normalize, rotate


def sample_inverse_cdf(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One draw per row from (unnormalised) `probs` [N, V]: the first index whose cumulative mass
    exceeds u·total, u ~ U[0, 1). Zero-probability entries are never chosen."""
    cum = probs.cumsum(-1)
    u = torch.rand((probs.shape[0], 1), generator=generator, device=probs.device, dtype=cum.dtype)
    tok = torch.searchsorted(cum, u * cum[:, -1:], right=True).squeeze(-1)
    return tok.clamp_(max=probs.shape[-1] - 1)


@torch.no_grad()
def generate_static(
    model,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    group_size: int,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
):
    """Sample `group_size` completions per left-padded prompt row ([Q, P]); returns a Rollout whose
    rows i*G … i*G+G-1 belong to prompt i (prompt tensors repeated G times)."""
    from training.grpo.logprobs import position_ids_from_mask
    from training.grpo.rollout import Draws

    shape = llama_math.Shape.of(model)
    H, KV, D, eps = shape.heads, shape.kv_heads, shape.head_dim, shape.eps
    device = next(model.parameters()).device
    ids, pmask = prompt_ids.to(device), prompt_mask.to(device)
    Q, P = ids.shape
    G = group_size
    N = Q * G
    inner = model.model
    L = P + max_new_tokens
    cdtype = inner.embed_tokens.weight.dtype
    dtype = precision.autocast_dtype(device.type, cdtype)
    weights = llama_math.layer_weights(model, dtype)
    # Prefill once per question (llama_math's forward, left padding handled), then expand G times.
    xp, prompt_kv = llama_math.prompt_pass(model, ids, pmask, weights)
    head_w = llama_math.head_weight(model, dtype)
    first_logits = linear(normalize(xp[:, -1], eps).to(dtype), head_w).repeat_interleave(G, dim=0)
    layers = []
    for w, (kp, vp) in zip(weights, prompt_kv):
        kt_cache = torch.empty((N, KV, D, L), dtype=dtype, device=device)
        v_cache = torch.empty((N, KV, L, D), dtype=dtype, device=device)
        kt_cache[:, :, :, :P] = kp.repeat_interleave(G, dim=0).transpose(-1, -2)
        v_cache[:, :, :P] = vp.repeat_interleave(G, dim=0)
        layers.append((w.wqkv, w.wo, w.wgu, w.wd, kt_cache, v_cache))
    del xp, prompt_kv
    padded = not bool(pmask.all())
    # RoPE for every position a row can reach, from the model's own rotary module.
    next_pos = position_ids_from_mask(pmask)[:, -1:].repeat_interleave(G, dim=0) + 1  # [N, 1]
    all_pos = next_pos + torch.arange(max_new_tokens, device=device)[None, :]  # [N, C]
    cis_all = llama_math.rope_table(model, all_pos).transpose(0, 1)  # [C, N, 1, D/2]
    # Attention mask over cache columns (only needed with left padding): [N, 1, 1, L].
    if padded:
        col_hidden = torch.zeros((N, 1, 1, L), dtype=torch.bool, device=device)
        col_hidden[:, 0, 0, :P] = ~pmask.bool().repeat_interleave(G, dim=0)
    embed = inner.embed_tokens.weight
    hq, hk = H * D, KV * D
    gqa = H != KV

    draws = Draws(N, eos_id, pad_id, device)
    logits = first_logits
    # The loop manages dtypes itself (products, KV cache and attention in the product dtype from
    # weights and inputs cast explicitly, softmax in fp32, residual stream and norms in the model's
    # dtype), so autocast is off: its per-op dispatch is overhead here.
    with torch.autocast(device.type, enabled=False):
        for t in range(max_new_tokens):
            tok = draws.draw(logits, temperature, top_p, generator, draw=sample_inverse_cdf)
            if t == max_new_tokens - 1 or draws.finished:
                break
            c = P + t  # cache column of this token
            cis = cis_all[t]  # [N, 1, D/2]
            h = F.embedding(tok, embed)  # [N, hidden]
            for wqkv, wo, wgu, wd, kt_cache, v_cache in layers:
                qkv = linear(normalize(h, eps).to(dtype), wqkv)
                qk = rotate(qkv[:, : hq + hk].view(N, H + KV, D), cis).to(dtype)
                q, k = qk[:, :H], qk[:, H:]
                kt_cache[:, :, :, c] = k
                v_cache[:, :, c] = qkv[:, hq + hk :].view(N, KV, D)
                # One query per row: two small batched products beat SDPA's flash kernel here.
                kt, vc = kt_cache[..., : c + 1], v_cache[:, :, : c + 1]
                if gqa:
                    kt, vc = kt.repeat_interleave(H // KV, 1), vc.repeat_interleave(H // KV, 1)
                s = torch.matmul(q[:, :, None, :], kt)  # the softmax scale is in W_q
                if padded:
                    s = s.masked_fill_(col_hidden[..., : c + 1], float("-inf"))
                a = torch.matmul(torch.softmax(s, dim=-1, dtype=torch.float32).to(dtype), vc)
                h = h + linear(a.reshape(N, hq), wo)
                g, u = linear(normalize(h, eps).to(dtype), wgu).chunk(2, dim=-1)
                h = h + linear(F.silu(g) * u, wd)
            logits = linear(normalize(h, eps).to(dtype), head_w)
    return draws.rollout(ids.repeat_interleave(G, dim=0), pmask.repeat_interleave(G, dim=0))
