"""The Llama decoder layer written out in plain tensor operations, for GRPO's hot loops.

Why by hand: GRPO on a small model spends much of a step in the per-module Python and the many
small kernels of HF's layer (RMSNorm as seven element-wise ops and their backward, RoPE as four
products plus a concatenation per tensor, separate q/k/v and gate/up products, mask building), not
in arithmetic. Here, computing exactly the same function:

- RMSNorm's scale is folded into the product that follows it (W·diag(γ): gradients reach γ through
  that product), and the normalisation x/RMS(x) has a handwritten backward: PyTorch's CPU
  `rms_norm` is a composite of about a dozen kernels forward and backward (measured on
  [64, 28, 128]: 1.48 ms forward + backward, against 0.39 ms here);
- q/k/v and gate/up are one matrix product each (weights concatenated; gradients flow back into
  the model's own parameters through the concatenation);
- RoPE is one complex product: the rows of W_q and W_k are permuted within each head so the two
  halves HF's rotate_half pairs become adjacent (real, imaginary) pairs. Attention scores are dot
  products of q and k, unchanged when both are permuted alike, so nothing else changes; the
  softmax scale is folded into W_q.
- float32 products go to oneDNN's kernel (training/grpo/linear.py), which on an AMD CPU runs ~2x
  as fast as the MKL sgemm PyTorch picks by default.

Used by static_decode.py (sampling) and by `grouped_logits` below (reference and update passes).
`supported(model)` says which models qualify; others take the HF forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from training import precision
from training.grpo.linear import linear
from training.grpo.logprobs import kept_indices, position_ids_from_mask, prompt_rows


def supported(model) -> bool:
    """True for a plain Llama-architecture causal LM (default RoPE, SiLU MLP, no biases)."""
    cfg = getattr(model, "config", None)
    if cfg is None or getattr(cfg, "model_type", None) not in ("llama",):
        return False
    rope = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    return (
        cfg.hidden_act == "silu"
        and not getattr(cfg, "attention_bias", False)
        and not getattr(cfg, "mlp_bias", False)
        and rope.get("rope_type", "default") == "default"
        and getattr(cfg, "pretraining_tp", 1) == 1
        and not getattr(cfg, "attention_dropout", 0.0)  # HF applies it in training mode; we do not
        and isinstance(getattr(model, "lm_head", None), torch.nn.Linear)
        and model.lm_head.bias is None
    )


@dataclass
class Shape:
    heads: int
    kv_heads: int
    head_dim: int
    eps: float

    @classmethod
    def of(cls, model) -> Shape:
        cfg = model.config
        H = cfg.num_attention_heads
        return cls(
            H,
            cfg.num_key_value_heads,
            getattr(cfg, "head_dim", None) or cfg.hidden_size // H,
            cfg.rms_norm_eps,
        )


@dataclass
class LayerWeights:
    wqkv: torch.Tensor  # [(H + 2·KV)·D, hidden]: permuted, scaled W_q; permuted W_k; W_v; times γ₁
    wo: torch.Tensor
    wgu: torch.Tensor  # [2·I, hidden]: gate then up, times γ₂ (post-attention norm's scale)
    wd: torch.Tensor


def pairs_permutation(head_dim: int, device=None) -> torch.Tensor:
    """Index order [0, D/2, 1, D/2+1, …]: puts the halves rotate_half pairs next to each other."""
    return torch.arange(head_dim, device=device).view(2, head_dim // 2).t().reshape(-1)


def _permute_heads(w: torch.Tensor, heads: int, perm: torch.Tensor) -> torch.Tensor:
    """Rows of a [heads·D, hidden] projection reordered by `perm` within each head."""
    return w.view(heads, perm.numel(), -1)[:, perm].reshape(w.shape)


def layer_weights(model, dtype: torch.dtype | None = None) -> list[LayerWeights]:
    """Each decoder layer's fused weights (differentiable functions of the model's parameters),
    the RMSNorm scales folded in; `dtype` casts them once, e.g. for bf16 sampling."""
    shape = Shape.of(model)
    layers = model.model.layers
    perm = pairs_permutation(shape.head_dim, layers[0].self_attn.q_proj.weight.device)
    scale = getattr(layers[0].self_attn, "scaling", shape.head_dim**-0.5)

    def cast(w: torch.Tensor) -> torch.Tensor:
        return w if dtype is None else w.to(dtype)

    out = []
    for layer in layers:
        at, mlp = layer.self_attn, layer.mlp
        wq = _permute_heads(at.q_proj.weight, shape.heads, perm) * scale
        wk = _permute_heads(at.k_proj.weight, shape.kv_heads, perm)
        out.append(
            LayerWeights(
                cast(torch.cat([wq, wk, at.v_proj.weight]) * layer.input_layernorm.weight),
                cast(at.o_proj.weight),
                cast(
                    torch.cat([mlp.gate_proj.weight, mlp.up_proj.weight])
                    * layer.post_attention_layernorm.weight
                ),
                cast(mlp.down_proj.weight),
            )
        )
    return out


def rope_table(model, positions: torch.Tensor) -> torch.Tensor:
    """e^{i·pos·θ_j} for each position in `positions` [B, T]: complex64 [B, T, 1, D/2], from the
    model's own rotary module (so its θ and any attention scaling are the model's)."""
    inner = model.model
    probe = torch.empty((1,), dtype=torch.float32, device=positions.device)
    cos, sin = inner.rotary_emb(probe, positions)  # [B, T, D], both halves the same angles
    half = cos.shape[-1] // 2
    return torch.complex(cos[..., :half].float(), sin[..., :half].float())[:, :, None, :]


def head_weight(model, dtype: torch.dtype | None = None) -> torch.Tensor:
    """The LM head's matrix with the final norm's scale folded in (a bias-free Linear: see
    `supported`); `dtype` casts it."""
    w = model.lm_head.weight * model.model.norm.weight
    return w if dtype is None else w.to(dtype)


def _normalized(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(x / RMS(x) in float32, 1 / RMS(x)); computed in float32 as LlamaRMSNorm does (no copies
    for a float32 residual stream, which is what GRPO's fp32 master weights give)."""
    xf = x.float()
    r = torch.rsqrt(xf.pow(2).mean(-1, keepdim=True).add_(eps))
    return xf * r, r


class _Normalize(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, eps: float) -> torch.Tensor:
        y, r = _normalized(x, eps)
        ctx.save_for_backward(y, r)
        return y.to(x.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g: torch.Tensor):
        y, r = ctx.saved_tensors
        gf = g.float()
        return ((gf - y * (gf * y).mean(-1, keepdim=True)) * r).to(g.dtype), None


def normalize(x: torch.Tensor, eps: float) -> torch.Tensor:
    """x / RMS(x) over the last dimension, in x's dtype: RMSNorm without its scale (folded into
    the next product by `layer_weights` and `head_weight`). Same arithmetic with and without
    gradients."""
    if torch.is_grad_enabled() and x.requires_grad:
        return _Normalize.apply(x, eps)
    return _normalized(x, eps)[0].to(x.dtype)


def rotate(qk: torch.Tensor, cis: torch.Tensor) -> torch.Tensor:
    """RoPE on permuted heads: `qk` [..., heads, D] (any float dtype) times `cis` [..., 1, D/2];
    returns float32."""
    *lead, D = qk.shape
    z = torch.view_as_complex(qk.float().reshape(*lead, D // 2, 2))
    return torch.view_as_real(z * cis).reshape(*lead, D)


def _layer(
    x: torch.Tensor,
    w: LayerWeights,
    shape: Shape,
    cis: torch.Tensor,
    bias: torch.Tensor | None,
    prefix: tuple[torch.Tensor, torch.Tensor] | None,
    keep: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One decoder layer on x [B, T, hidden]. `bias` [B, 1, T, S] is added to the scores (0 or a
    large negative); `prefix` = (keys, values) [B, KV, P, D] of earlier positions; `keep` = flat
    indices of the positions whose MLP output anyone reads (None: all). Returns (x, k, v)."""
    B, T, hidden = x.shape
    H, KV, D = shape.heads, shape.kv_heads, shape.head_dim
    qkv = linear(normalize(x, shape.eps), w.wqkv)
    qk = rotate(qkv[..., : (H + KV) * D].view(B, T, H + KV, D), cis).to(qkv.dtype)
    q = qk[:, :, :H].transpose(1, 2)  # [B, H, T, D]
    k = qk[:, :, H:].transpose(1, 2)  # [B, KV, T, D]
    v = qkv[..., (H + KV) * D :].view(B, T, KV, D).transpose(1, 2)
    keys, values = (k, v) if prefix is None else (torch.cat([prefix[0], k], 2), torch.cat([prefix[1], v], 2))
    if H != KV:
        keys, values = keys.repeat_interleave(H // KV, 1), values.repeat_interleave(H // KV, 1)
    s = q @ keys.transpose(-1, -2)  # [B, H, T, S]; the softmax scale is in W_q
    if bias is not None:
        s = s + bias
    a = torch.softmax(s, dim=-1, dtype=torch.float32).to(values.dtype) @ values
    x = x + linear(a.transpose(1, 2).reshape(B, T, H * D), w.wo)
    h = normalize(x, shape.eps)
    flat = h.reshape(B * T, hidden)
    if keep is not None:
        flat = flat.index_select(0, keep)
    g, u = linear(flat, w.wgu).chunk(2, dim=-1)
    y = linear(F.silu(g) * u, w.wd)
    if keep is None:
        x = x + y.view(B, T, hidden)
    else:  # skipped positions (padding) get no MLP update: nobody reads them
        x = x.reshape(B * T, hidden).index_add(0, keep, y.to(x.dtype)).view(B, T, hidden)
    return x, k, v


def _bias(key_ok: torch.Tensor, causal_from: int, T: int) -> torch.Tensor:
    """Additive score mask [B, 1, T, S]: key j is visible to query t when key_ok[b, j] and
    j ≤ causal_from + t. A query that sees nothing (left padding) sees everything instead, as HF's
    masks do, so its (unused) row stays finite."""
    S = key_ok.shape[1]
    t = torch.arange(T, device=key_ok.device)[:, None]
    j = torch.arange(S, device=key_ok.device)[None, :]
    ok = key_ok[:, None, :] & (j <= causal_from + t)[None]  # [B, T, S]
    ok = ok | ~ok.any(-1, keepdim=True)
    return torch.zeros(ok.shape, device=key_ok.device).masked_fill_(~ok, torch.finfo(torch.float32).min)[
        :, None
    ]


def prompt_pass(
    model, prompt_ids: torch.Tensor, prompt_mask: torch.Tensor, weights: list[LayerWeights]
) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
    """Left-padded prompts [Q, P] through every layer: the last layer's output [Q, P, hidden] and
    each layer's keys and values [Q, KV, P, D] (keys rotated, in the permuted head order).
    Position ids count from each row's first real token, as `generate` does; padded positions
    skip the MLP (nobody reads them)."""
    shape = Shape.of(model)
    pmask = prompt_mask.bool()
    cis = rope_table(model, position_ids_from_mask(prompt_mask))
    bias, keep = _bias(pmask, 0, prompt_ids.shape[1]), kept_indices(pmask)
    x = model.model.embed_tokens(prompt_ids)
    kvs = []
    for w in weights:
        x, k, v = _layer(x, w, shape, cis, bias, None, keep)
        kvs.append((k, v))
    return x, kvs


def grouped_logits(
    model,
    prompt_ids: torch.Tensor,
    prompt_mask: torch.Tensor,
    completion_ids: torch.Tensor,
    completion_mask: torch.Tensor,
    repeats: int | torch.Tensor,
) -> torch.Tensor:
    """Logits [N, C, V] predicting each completion token, each question's prompt computed once.

    Prompts are left-padded [Q, P]; completions [N, C] are right-padded, prompt i's being the next
    `repeats` rows (an int G: rows i·G … i·G+G−1; a tensor [Q]: repeats[i] rows each). The prompt's
    keys and values are repeated differentiably, so gradients through them sum over its completions
    as in the unshared computation. Position ids count from each row's first real token, as
    `generate` does.
    """
    shape = Shape.of(model)
    inner = model.model
    rows = prompt_rows(repeats, prompt_ids.shape[0], prompt_ids.device)
    P, C = prompt_ids.shape[1], completion_ids.shape[1]
    pmask, cmask = prompt_mask.bool(), completion_mask.bool()
    full_mask = torch.cat([pmask.index_select(0, rows), cmask], dim=1)
    cis_c = rope_table(model, position_ids_from_mask(full_mask)[:, P:])
    bias_c = _bias(full_mask, P, C)  # trailing completion padding is hidden by causality
    keep_c = kept_indices(cmask)
    # Under autocast the fused weights are cast once here (autocast caches casts of leaf
    # parameters only, and would cast these concatenations in every product).
    weights = layer_weights(model, precision.autocast_dtype(prompt_ids.device.type))

    xp, prompt_kv = prompt_pass(model, prompt_ids, prompt_mask, weights)
    xc = inner.embed_tokens(completion_ids)
    for w, (kp, vp) in zip(weights, prompt_kv):
        prefix = (kp.index_select(0, rows), vp.index_select(0, rows))
        xc, _, _ = _layer(xc, w, shape, cis_c, bias_c, prefix, keep_c)
    # Position t's logits predict token t+1: the first completion token is predicted by the prompt's
    # last position, the rest by completion positions 0 … C−2.
    last = xp[:, -1:].index_select(0, rows)
    h = normalize(torch.cat([last, xc[:, :-1]], dim=1), shape.eps)
    return linear(h, head_weight(model))
