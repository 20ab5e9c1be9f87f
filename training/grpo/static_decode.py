"""Sampling with a preallocated (static) KV cache and a lean decode step, for Llama-family models.

Why by hand: for a small model on a CPU, a decode step of HF's forward spends most of its time in
Python (module hooks, cache bookkeeping, mask and position handling, attention dispatch), not in the
matrix products; a one-token step of the 1M-parameter embedded model took ~6 ms, of which ~1.5 ms is
arithmetic. `StaticCache` + `torch.compile` would remove that on a GPU, but compiling on a CPU costs
more than a whole embedded run. This module computes exactly the Llama decoder layer (RMSNorm →
q/k/v → RoPE → causal attention over the cache → o-proj → residual → RMSNorm → SwiGLU MLP →
residual), reading the HF model's own weights and its own rotary embedding, with:

- the prompt prefilled once per *question* (not once per sample, by `llama_math.prompt_pass`)
  into a cache preallocated for prompt + max_new_tokens positions;
- rows with equal prefixes merged: the G rows of a question share one cache row (a slot) and one
  forward until they draw different tokens, when the slot splits (its cache row copied to a new
  slot). Each row still draws its own token from its own uniform, so the samples are those of one
  slot per row (up to float rounding: products over fewer rows). A confident policy repeats
  itself: on the embedded task the 64 rows of a step occupy 10–16 slots on average (8 at the
  start); sampling took 0.049–0.053 s a step instead of 0.062–0.064 s, and 0.040–0.050 s with the
  fp32 cache below;
- llama_math.py's layer arithmetic: fused q/k/v and gate/up products, RoPE as one complex product
  on permuted heads, RMSNorm scales folded into the products that follow;
- keys cached transposed ([N, KV, D, L]), so the score product reads a slice with unit stride
  along positions, which batched matmul takes without a copy (a transposed slice of a
  [N, KV, L, D] cache was copied every step);
- under autocast (bf16), the projection weights cast once, not in every product of every step;
  the softmax in fp32, the residual stream and norms in the model's dtype. The KV cache and the
  attention products are in the product dtype (bf16) on a GPU and in the model's dtype (fp32, as
  GRPO loads it) on a CPU: there a step's batched products are many tiny matrices, where oneDNN's
  bf16 path costs ~3x fp32's per call at 8–32 slots (microbenchmark), and merged sampling ran
  13–14% faster with an fp32 cache in two interleaved A/Bs (44.1 vs 51.3 and 48.2 vs 55.7 ms).
  Without merging (64 slots) a bf16 cache had been 6–8% faster;
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
from training.grpo.logprobs import position_ids_from_mask


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
    merge_prefixes: bool = True,
):
    """Sample `group_size` completions per left-padded prompt row ([Q, P]); returns a Rollout whose
    rows i*G … i*G+G-1 belong to prompt i (prompt tensors repeated G times).

    `merge_prefixes`: rows whose tokens so far are equal (same question, same completion prefix)
    share one forward and one cache row (a *slot*) until they sample different tokens; each row
    still draws its own token from its own uniform, so the result is the unmerged one up to float
    rounding (products over fewer rows). All G rows of a question start in one slot (the
    prompt's). False: one slot per row.
    """
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
    # The KV cache and attention products: the model's dtype on a CPU (see the module docstring:
    # faster at the slot counts merging leaves), the product dtype elsewhere.
    att_dtype = cdtype if device.type == "cpu" else dtype
    # Prefill once per question (llama_math's forward, left padding handled).
    xp, prompt_kv = llama_math.prompt_pass(model, ids, pmask, weights)
    head_w = llama_math.head_weight(model, dtype)
    logits = linear(normalize(xp[:, -1], eps).to(dtype), head_w)  # [slots, V]
    # Slots: slot_q[s] is the question of slot s, owner[r] the slot of row r. Merged, the G rows
    # of a question start in its prompt's slot; unmerged, each row has its own from the start.
    slot_q = torch.arange(Q, device=device)
    owner = torch.arange(N, device=device) // G
    if not merge_prefixes:
        slot_q, owner, logits = owner, torch.arange(N, device=device), logits.repeat_interleave(G, dim=0)
    layers = []
    for w, (kp, vp) in zip(weights, prompt_kv):
        kt_cache = torch.empty((N, KV, D, L), dtype=att_dtype, device=device)  # ≤ one slot per row
        v_cache = torch.empty((N, KV, L, D), dtype=att_dtype, device=device)
        kt_cache[: slot_q.numel(), :, :, :P] = kp.index_select(0, slot_q).transpose(-1, -2)
        v_cache[: slot_q.numel(), :, :P] = vp.index_select(0, slot_q)
        layers.append((w.wqkv, w.wo, w.wgu, w.wd, kt_cache, v_cache))
    del xp, prompt_kv
    padded = not bool(pmask.all())
    # RoPE for every position a question's rows can reach, from the model's own rotary module.
    next_pos = position_ids_from_mask(pmask)[:, -1:] + 1  # [Q, 1]
    all_pos = next_pos + torch.arange(max_new_tokens, device=device)[None, :]  # [Q, C]
    cis_q = llama_math.rope_table(model, all_pos).transpose(0, 1)  # [C, Q, 1, D/2]
    # Attention mask over cache columns (only needed with left padding): [Q, 1, 1, L].
    if padded:
        hidden_q = torch.zeros((Q, 1, 1, L), dtype=torch.bool, device=device)
        hidden_q[:, 0, 0, :P] = ~pmask.bool()
    embed = inner.embed_tokens.weight
    hq, hk = H * D, KV * D
    group = H // KV  # query heads per KV head (head h reads KV head h // group, as HF repeats them)

    draws = Draws(N, eos_id, pad_id, device)
    # The loop manages dtypes itself (products in the product dtype from weights and inputs cast
    # explicitly, KV cache and attention in att_dtype, softmax in fp32, residual stream and norms in
    # the model's dtype), so autocast is off: its per-op dispatch is overhead here.
    with torch.autocast(device.type, enabled=False):
        for t in range(max_new_tokens):
            row_logits = logits.index_select(0, owner)
            tok = draws.draw(row_logits, temperature, top_p, generator, draw=sample_inverse_cdf)
            if t == max_new_tokens - 1 or draws.finished:
                break
            c = P + t  # cache column of this token (columns before it are filled)
            if merge_prefixes:
                owner, slot_tok, slot_q = _split_slots(owner, tok, slot_q, logits.shape[-1], layers, c)
            else:  # every row owns its slot from the start: no slot ever splits
                slot_tok = tok
            B = slot_q.numel()
            cis = cis_q[t].index_select(0, slot_q)  # [B, 1, D/2]
            if padded:
                hidden = hidden_q.index_select(0, slot_q)[..., : c + 1]
            h = F.embedding(slot_tok, embed)  # [B, hidden]
            for wqkv, wo, wgu, wd, kt_cache, v_cache in layers:
                qkv = linear(normalize(h, eps).to(dtype), wqkv)
                qk = rotate(qkv[:, : hq + hk].view(B, H + KV, D), cis).to(att_dtype)
                q, k = qk[:, :H], qk[:, H:]
                kt_cache[:B, :, :, c] = k
                v_cache[:B, :, c] = qkv[:, hq + hk :].view(B, KV, D)
                # One query per row: two small batched products beat SDPA's flash kernel here. The
                # H/KV query heads of a KV head are one product's rows ([B, KV, H/KV, D]), so
                # grouped-query attention reads the cache as it is, without repeating it.
                kt, vc = kt_cache[:B, :, :, : c + 1], v_cache[:B, :, : c + 1]
                s = torch.matmul(q.reshape(B, KV, group, D), kt)  # the softmax scale is in W_q
                if padded:
                    s = s.masked_fill_(hidden, float("-inf"))
                a = torch.matmul(torch.softmax(s, dim=-1, dtype=torch.float32).to(att_dtype), vc)
                h = h + linear(a.reshape(B, hq).to(dtype), wo)
                g, u = linear(normalize(h, eps).to(dtype), wgu).chunk(2, dim=-1)
                h = h + linear(F.silu(g) * u, wd)
            logits = linear(normalize(h, eps).to(dtype), head_w)
    return draws.rollout(ids.repeat_interleave(G, dim=0), pmask.repeat_interleave(G, dim=0))


def _split_slots(
    owner: torch.Tensor, tok: torch.Tensor, slot_q: torch.Tensor, vocab: int, layers: list, filled: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """After each row drew `tok`, regroup rows by (slot, token): a slot whose rows drew one token
    keeps its place; one whose rows drew k different tokens keeps the first (smallest token) and
    gets k−1 new slots at the end, each a copy of its cache rows (the `filled` columns written so
    far). Returns the rows' new slots, each slot's token and each slot's question."""
    B = slot_q.numel()
    pairs, row_pair = torch.unique(owner * vocab + tok, return_inverse=True)  # sorted: by slot, then token
    if pairs.numel() == B:  # no slot split: one pair per slot, in slot order
        return owner, pairs % vocab, slot_q
    parent = pairs // vocab
    extra = torch.zeros_like(parent, dtype=torch.bool)
    extra[1:] = parent[1:] == parent[:-1]  # a slot's 2nd, 3rd… token: a new slot
    new_slot = torch.where(extra, B + extra.long().cumsum(0) - 1, parent)
    src, dst = parent[extra], new_slot[extra]
    for *_, kt_cache, v_cache in layers:
        kt, vc = kt_cache[..., :filled], v_cache[:, :, :filled]
        kt.index_copy_(0, dst, kt.index_select(0, src))
        vc.index_copy_(0, dst, vc.index_select(0, src))
    slot_tok = torch.empty_like(pairs)
    slot_tok[new_slot] = pairs % vocab
    return new_slot[row_pair], slot_tok, torch.cat([slot_q, slot_q[src]])
