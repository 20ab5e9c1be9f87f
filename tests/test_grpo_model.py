"""GRPO with a real (tiny) model: padding-invariant log-probs, sampling, the reference stays fixed,
one step changes the policy, SFT packing and a short SFT run."""

import pytest
import torch

from training.chat import encode_pair, encode_prompt
from training.grpo.logprobs import completion_logprobs
from training.grpo.rollout import left_pad, rollout
from training.tasks.arithmetic import ArithmeticTask, generate, make_task_model


def _random_llama(vocab: int, heads: int, kv_heads: int, head_dim: int):
    """A randomly initialised 2-layer Llama (hidden 32; pad id 0, EOS id 2), seeded."""
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        head_dim=head_dim,
        max_position_embeddings=64,
        pad_token_id=0,
        eos_token_id=2,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(cfg)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d = tmp_path_factory.mktemp("tiny")
    train, test = generate(ArithmeticTask(train_size=300, test_size=20))
    path = make_task_model(d / "model", train, hidden_size=32, layers=2, heads=2)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    return path, tok, model, train, test


def test_padding_does_not_change_logprobs(tiny):
    _, tok, model, train, _ = tiny
    model.eval()
    p_short, r_short = encode_pair(tok, "What is 1 + 2?", "1 + 2 = 3\n#### 3")
    p_long, r_long = encode_pair(tok, train[0]["question"], train[0]["solution"])
    # Alone (no padding) vs. in a batch where it is left-padded by a longer prompt.
    alone, _ = completion_logprobs(
        model,
        torch.tensor([p_short + r_short]),
        torch.ones(1, len(p_short + r_short), dtype=torch.long),
        len(r_short),
    )
    C = max(len(r_short), len(r_long))
    rows = [(p_short, r_short), (p_long, r_long)]
    prompt_ids, prompt_mask = left_pad([p for p, _ in rows], tok.pad_token_id)
    comp = torch.full((2, C), tok.pad_token_id)
    cmask = torch.zeros(2, C, dtype=torch.long)
    for i, (_, r) in enumerate(rows):
        comp[i, : len(r)] = torch.tensor(r)
        cmask[i, : len(r)] = 1
    batched, _ = completion_logprobs(
        model, torch.cat([prompt_ids, comp], 1), torch.cat([prompt_mask, cmask], 1), C
    )
    assert prompt_mask[0].sum() < prompt_mask.shape[1]  # it really was padded
    assert torch.allclose(batched[0, : len(r_short)], alone[0], atol=1e-5)


def test_rollout_masks_after_eos_and_records_old_logprobs(tiny):
    _, tok, model, train, _ = tiny
    prompts = [encode_prompt(tok, r["question"]) for r in train[:3]]
    ro = rollout(
        model,
        prompts,
        group_size=4,
        max_new_tokens=12,
        eos_id=tok.eos_token_id,
        pad_id=tok.pad_token_id,
        generator=torch.Generator().manual_seed(0),
    )
    assert ro.completion_ids.shape[0] == 12
    for ids, m in zip(ro.completion_ids, ro.completion_mask):
        n = int(m.sum())
        assert (m[:n] == 1).all() and (m[n:] == 0).all()
        eos = (ids == tok.eos_token_id).nonzero()
        if len(eos):
            assert int(eos[0]) == n - 1  # mask ends at the first EOS
            assert (ids[n:] == tok.pad_token_id).all()
    lp, _ = completion_logprobs(model, ro.input_ids, ro.attention_mask, ro.completion_ids.shape[1])
    m = ro.completion_mask.bool()
    assert torch.allclose(lp[m], ro.old_logprobs[m], atol=1e-4)


def test_greedy_rollout_is_deterministic_and_matches_generate(tiny):
    _, tok, model, train, _ = tiny
    prompts = [encode_prompt(tok, r["question"]) for r in train[:4]]
    a = rollout(model, prompts, 1, 10, tok.eos_token_id, tok.pad_token_id, temperature=0.0, backend="loop")
    b = rollout(model, prompts, 1, 10, tok.eos_token_id, tok.pad_token_id, temperature=0.0, backend="hf")
    w = min(a.completion_ids.shape[1], b.completion_ids.shape[1])
    assert torch.equal(
        a.completion_ids[:, :w] * a.completion_mask[:, :w], b.completion_ids[:, :w] * b.completion_mask[:, :w]
    )


@pytest.mark.parametrize("lengths_differ", [False, True])
def test_static_rollout_matches_hf_forward(tiny, lengths_differ):
    """The static-cache decoder's recorded log-probs equal a teacher-forced HF forward's, with and
    without left padding, and its greedy outputs equal the HF-forward loop's."""
    from training.grpo import llama_math

    _, tok, model, train, _ = tiny
    assert llama_math.supported(model)
    prompts = [encode_prompt(tok, r["question"]) for r in train[:3]]
    if lengths_differ:
        prompts[1] = prompts[1] + encode_prompt(tok, "and again")[-3:]
    ro = rollout(
        model,
        prompts,
        4,
        12,
        tok.eos_token_id,
        tok.pad_token_id,
        backend="static",
        generator=torch.Generator().manual_seed(1),
    )
    assert ro.completion_ids.shape[0] == 12
    assert bool(ro.prompt_mask.all()) != lengths_differ
    assert torch.equal(ro.prompt_ids[0], ro.prompt_ids[3])  # rows of a group share the prompt
    C = ro.completion_ids.shape[1]
    lp, ent = completion_logprobs(model, ro.input_ids, ro.attention_mask, C, with_entropy=True)
    m = ro.completion_mask.bool()
    assert torch.allclose(lp[m], ro.old_logprobs[m], atol=1e-4)
    assert torch.allclose(ent[m], ro.entropy[m], atol=1e-4)  # the sampler's entropy is π_θ's
    a = rollout(model, prompts, 1, 10, tok.eos_token_id, tok.pad_token_id, temperature=0.0, backend="static")
    b = rollout(model, prompts, 1, 10, tok.eos_token_id, tok.pad_token_id, temperature=0.0, backend="loop")
    w = min(a.completion_ids.shape[1], b.completion_ids.shape[1])
    assert torch.equal(
        a.completion_ids[:, :w] * a.completion_mask[:, :w], b.completion_ids[:, :w] * b.completion_mask[:, :w]
    )


def test_static_rollout_gqa_left_padding_matches_hf_forward():
    """The static decoder on a grouped-query model with left-padded prompts of different lengths:
    its log-probs and entropies equal a teacher-forced HF forward's (prompt keys and values come
    from llama_math.prompt_pass, shared by KV heads)."""
    from training.grpo import llama_math

    model = _random_llama(vocab=50, heads=4, kv_heads=1, head_dim=8).eval()
    assert llama_math.supported(model)
    gen = torch.Generator().manual_seed(0)
    prompts = [torch.randint(3, 50, (n,), generator=gen).tolist() for n in (5, 8, 3)]
    ro = rollout(model, prompts, 3, 9, 2, 0, backend="static", generator=gen)
    assert not bool(ro.prompt_mask.all())
    C = ro.completion_ids.shape[1]
    lp, ent = completion_logprobs(model, ro.input_ids, ro.attention_mask, C, with_entropy=True)
    m = ro.completion_mask.bool()
    assert torch.allclose(lp[m], ro.old_logprobs[m], atol=1e-4)
    assert torch.allclose(ent[m], ro.entropy[m], atol=1e-4)


@pytest.mark.parametrize("kv_heads", [4, 1])
def test_static_decoder_merged_prefixes_sample_what_unmerged_rows_do(kv_heads):
    """Rows with equal prefixes share a slot until they draw different tokens: the same tokens,
    log-probs and entropies as one slot per row, with left padding and grouped-query attention."""
    from training.grpo.static_decode import generate_static

    model = _random_llama(vocab=50, heads=4, kv_heads=kv_heads, head_dim=8).eval()
    with torch.no_grad():  # a confident policy, so that rows of a group share prefixes
        model.lm_head.weight.mul_(40)
    gen = torch.Generator().manual_seed(0)
    prompts = [torch.randint(3, 50, (n,), generator=gen).tolist() for n in (5, 8, 3)]
    ids, mask = left_pad(prompts, 0)
    out = {}
    for merge in (True, False):
        out[merge] = generate_static(
            model,
            ids,
            mask,
            6,
            10,
            2,
            0,
            temperature=0.5,
            generator=torch.Generator().manual_seed(3),
            merge_prefixes=merge,
        )
    a, b = out[True], out[False]
    assert torch.equal(a.completion_ids, b.completion_ids)
    assert torch.equal(a.completion_mask, b.completion_mask)
    m = a.completion_mask.bool()
    assert torch.allclose(a.old_logprobs[m], b.old_logprobs[m], atol=1e-5)
    assert torch.allclose(a.entropy[m], b.entropy[m], atol=1e-5)
    # The case exercises both paths: some rows of a group split apart, some stay together.
    groups = [set(map(tuple, a.completion_ids[i * 6 : i * 6 + 6].tolist())) for i in range(3)]
    assert any(1 < len(g) < 6 for g in groups)


def test_inverse_cdf_sampling_follows_the_distribution():
    from training.grpo.static_decode import sample_inverse_cdf

    probs = torch.tensor([[0.5, 0.0, 0.3, 0.2]]).expand(20000, 4)
    tok = sample_inverse_cdf(probs, torch.Generator().manual_seed(0))
    freq = torch.bincount(tok, minlength=4).float() / len(tok)
    assert freq[1] == 0  # zero mass is never drawn
    assert torch.allclose(freq, probs[0], atol=0.02)


def _trainer(tiny, tmp_path, **kw):
    from training.grpo.trainer import GRPOConfig, GRPOTrainer
    from training.optim import OptimConfig

    path, _, _, train, test = tiny
    settings = dict(
        model=str(path),
        output_dir=str(tmp_path / "grpo"),
        group_size=4,
        batch_size=8,
        micro_batch_size=4,
        max_new_tokens=12,
        answer_kind="gsm8k",
        steps_per_iteration=1,
        optim=OptimConfig(lr=1e-3, schedule="constant", warmup_steps=0, weight_decay=0.0),
        samples_to_log=1,
    )
    cfg = GRPOConfig(**{**settings, **kw})
    rows = [{"question": r["question"], "answer": r["answer"]} for r in train]
    return GRPOTrainer(cfg, rows, [{"question": r["question"], "answer": r["answer"]} for r in test[:4]])


def _force_reward_signal(trainer):
    # A random tiny model never answers right: alternate rewards within each group so advantages are non-zero.
    def score(questions, texts, comp_ids, mask):
        from training.grpo.advantages import outcome_advantages

        r = (torch.arange(mask.shape[0]) % 2).float()
        return (
            r,
            outcome_advantages(r, trainer.cfg.group_size),
            {"reward_mean": float(r.mean()), "accuracy": 0.0},
        )

    trainer.score = score


def test_one_step_changes_policy_but_never_reference(tiny, tmp_path):
    t = _trainer(tiny, tmp_path)
    _force_reward_signal(t)
    t.reset_reference()
    ref_before = {k: v.clone() for k, v in t.ref.state_dict().items()}
    pol_before = {k: v.clone() for k, v in t.accelerator.unwrap_model(t.policy).state_dict().items()}
    m = t.step()
    pol_after = t.accelerator.unwrap_model(t.policy).state_dict()
    assert any(not torch.equal(pol_before[k], pol_after[k]) for k in pol_before)
    assert all(torch.equal(ref_before[k], v) for k, v in t.ref.state_dict().items())
    assert not any(p.requires_grad for p in t.ref.parameters())
    assert m["kl"] == pytest.approx(0.0, abs=1e-6)  # first step: policy == reference
    t.step()
    assert all(torch.equal(ref_before[k], v) for k, v in t.ref.state_dict().items())


def test_train_smoke_writes_metrics_and_model(tiny, tmp_path):
    from training.metrics import read_metrics

    t = _trainer(tiny, tmp_path)
    summary = t.train()
    recs = read_metrics(tmp_path / "grpo")
    step_recs = [r for r in recs if "reward_mean" in r]
    for key in (
        "reward_mean",
        "reward_std",
        "accuracy",
        "zero_std_groups",
        "kl",
        "clip_fraction",
        "response_length",
        "entropy",
        "samples",
    ):
        assert key in step_recs[0]
    assert any("eval/accuracy" in r for r in recs)
    assert (tmp_path / "grpo" / "final" / "model.safetensors").exists()
    assert len(summary["curve"]) == 2


def test_process_supervision_and_dr_grpo_step(tiny, tmp_path):
    t = _trainer(tiny, tmp_path, supervision="process", loss_type="dr_grpo", mu=2)
    m = t.step()
    assert m["response_length"] > 0
    assert 0.0 <= m["clip_fraction"] <= 1.0


def _fixed_rollout_trainer(tiny, tmp_path, rows, **kw):
    """A trainer whose every step sees the same rollout (its rows chosen by `rows`, so outputs
    repeat) and a reward that depends on the text only (1 if equal to the group's first output)."""
    from training.grpo.advantages import outcome_advantages

    t = _trainer(tiny, tmp_path, precision="fp32", **kw)
    torch.manual_seed(1)
    ro = t.sample(t.next_questions(), t.cfg.group_size).select(rows)
    G = t.cfg.group_size
    t.sample = lambda questions, n: ro

    def score(questions, texts, comp_ids, mask):
        r = (comp_ids == comp_ids[torch.arange(len(comp_ids)) // G * G]).all(-1).float()
        return r, outcome_advantages(r, G), {"reward_mean": float(r.mean()), "accuracy": 0.0}

    t.score = score
    t.reset_reference()
    gen = torch.Generator().manual_seed(2)
    with torch.no_grad():  # a reference apart from the policy, so the KL term has a gradient
        for p in t.ref.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=gen))
    grads = []

    def record_step(*a, **k):
        grads.append([p.grad.clone() for p in t.accelerator.unwrap_model(t.policy).parameters()])

    t.optimizer.step = record_step
    return t, grads


@pytest.mark.parametrize("micro_batch_size", [4, 3])
@pytest.mark.parametrize("loss_type", ["grpo", "token"])
def test_distinct_step_equals_full_step(tiny, tmp_path, micro_batch_size, loss_type):
    """One trainer step on a rollout with repeated outputs: the same loss, statistics and gradient
    with and without merging them, also when micro-batches split a question's outputs."""
    rows = torch.tensor([0, 0, 2, 0, 4, 5, 5, 7])  # group 0: 2 distinct outputs, group 1: 3
    out = {}
    for merge in (False, True):
        t, grads = _fixed_rollout_trainer(
            tiny,
            tmp_path / str(merge),
            rows,
            distinct_outputs=merge,
            micro_batch_size=micro_batch_size,
            loss_type=loss_type,
        )
        out[merge] = (t.step(), grads[0])
        t.verifier.close()
    (m_full, g_full), (m_dist, g_dist) = out[False], out[True]
    assert m_full["distinct_outputs"] == 1.0
    assert m_dist["distinct_outputs"] == pytest.approx(5 / 8)
    assert m_full["kl"] > 0 and any(g.abs().sum() > 0 for g in g_full)
    for key in ("loss", "kl", "clip_fraction", "entropy"):
        assert m_dist[key] == pytest.approx(m_full[key], rel=1e-4, abs=1e-7), key
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(g_full, g_dist))


def test_sft_packing_masks_prompts(tiny):
    from training.sft import pack_examples

    _, tok, _, train, _ = tiny
    pairs = [encode_pair(tok, r["question"], r["solution"]) for r in train[:10]]
    ids, mask, labels, cut = pack_examples(pairs, 128, tok.pad_token_id)
    assert cut == 0
    n_resp = sum(len(r) for _, r in pairs)
    assert int((labels != -100).sum()) == n_resp
    assert int(mask.sum()) == sum(len(p) + len(r) for p, r in pairs)
    assert (labels[mask == 0] == -100).all()


def test_right_padding_needs_no_mask(tiny):
    from training.grpo.logprobs import right_padded_only

    _, tok, model, train, _ = tiny
    model.eval()
    pairs = [encode_pair(tok, r["question"], r["solution"]) for r in train[:3]]
    C = max(len(r) for _, r in pairs) + 2
    P = len(pairs[0][0])
    assert all(len(p) == P for p, _ in pairs)  # equal-length prompts: no left padding
    ids = torch.full((3, P + C), tok.pad_token_id)
    mask = torch.zeros(3, P + C, dtype=torch.long)
    for i, (p, r) in enumerate(pairs):
        ids[i, : P + len(r)] = torch.tensor(p + r)
        mask[i, : P + len(r)] = 1
    assert right_padded_only(mask) and not right_padded_only(torch.tensor([[0, 1, 1]]))
    fast, _ = completion_logprobs(model, ids, mask, C)
    full = model(input_ids=ids, attention_mask=mask).logits[:, -C - 1 : -1].log_softmax(-1)
    slow = full.gather(-1, ids[:, -C:, None]).squeeze(-1)
    real = mask[:, -C:].bool()
    assert torch.allclose(fast[real], slow[real], atol=1e-5)


def test_shared_prompt_logprobs_match_plain(tiny):
    from training.grpo.logprobs import grouped_completion_logprobs

    _, tok, model, train, _ = tiny
    qs = ["What is 1 + 34?", train[0]["question"]]  # different prompt lengths: left padding
    ro = rollout(
        model,
        [encode_prompt(tok, q) for q in qs],
        3,
        10,
        tok.eos_token_id,
        tok.pad_token_id,
        generator=torch.Generator().manual_seed(0),
    )
    C = ro.completion_ids.shape[1]
    plain, _ = completion_logprobs(model, ro.input_ids, ro.attention_mask, C)
    model.zero_grad()
    k = ro.completion_mask.bool()
    plain[k].sum().backward()
    g_plain = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    shared, _ = grouped_completion_logprobs(
        model, ro.prompt_ids[::3], ro.prompt_mask[::3], ro.completion_ids, ro.completion_mask, 3
    )
    shared[k].sum().backward()
    assert torch.allclose(plain[k], shared[k], atol=1e-5)
    assert all(torch.allclose(a, p.grad, atol=1e-4) for a, p in zip(g_plain, model.parameters()))
    model.zero_grad()


@pytest.mark.parametrize("kv_heads", [2, 1])
def test_lean_forward_matches_hf(kv_heads):
    """llama_math's forward gives the HF forward's log-probs, entropy and parameter gradients, with
    left-padded prompts, right-padded completions, a temperature and grouped-query attention."""
    from training.grpo.logprobs import grouped_completion_logprobs

    model = _random_llama(vocab=60, heads=2, kv_heads=kv_heads, head_dim=16)
    Q, G, P, C = 3, 4, 7, 9
    gen = torch.Generator().manual_seed(0)
    prompt_ids = torch.randint(3, 60, (Q, P), generator=gen)
    prompt_mask = torch.ones(Q, P, dtype=torch.long)
    prompt_mask[1, :3] = 0
    prompt_mask[2, :1] = 0
    comp_ids = torch.randint(3, 60, (Q * G, C), generator=gen)
    comp_mask = torch.ones(Q * G, C, dtype=torch.long)
    for i in range(Q * G):
        n = int(torch.randint(2, C + 1, (1,), generator=gen))
        comp_mask[i, n:] = 0
        comp_ids[i, n:] = 0
    weights = torch.randn(Q * G, C, generator=gen)
    out = {}
    for lean in (False, True):
        model.zero_grad()
        lp, ent = grouped_completion_logprobs(
            model, prompt_ids, prompt_mask, comp_ids, comp_mask, G, 0.7, True, lean=lean
        )
        (lp * weights).sum().backward()
        out[lean] = (lp.detach(), ent, [p.grad.clone() for p in model.parameters()])
    (hf_lp, hf_ent, hf_grads), (lean_lp, lean_ent, lean_grads) = out[False], out[True]
    real = comp_mask.bool()
    assert torch.allclose(hf_lp[real], lean_lp[real], atol=1e-5)
    assert torch.allclose(hf_ent[real], lean_ent[real], atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-5, rtol=1e-4) for a, b in zip(hf_grads, lean_grads))
    assert any(g.abs().sum() > 0 for g in lean_grads)


def test_onednn_linear_matches_matmul():
    """training.grpo.linear: x @ w.T and both gradients as torch.matmul computes them, for 3-D and
    non-contiguous inputs; bf16 under autocast stays on the autocast path."""
    import platform

    from training.grpo import linear as lin

    if platform.machine() in ("x86_64", "AMD64"):
        assert lin._kernel(), "x86 PyTorch builds ship oneDNN: the fast fp32 path must be taken"
    saved_min, lin._MIN_MACS = lin._MIN_MACS, 1  # these small products must take the kernel too
    try:
        _check_onednn_linear(lin)
    finally:
        lin._MIN_MACS = saved_min
    x = torch.randn(8, 128)  # a decoder-sized product takes matmul
    assert not lin._use_onednn(x, torch.randn(128, 128))
    assert lin._use_onednn(torch.randn(2560, 128), torch.randn(128, 128)) == bool(lin._kernel())


def _check_onednn_linear(lin) -> None:
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(24, 16, generator=gen, requires_grad=True)
    base = torch.randn(5, 7, 32, generator=gen)
    for x in (base[..., :16].clone(), base[..., ::2]):  # contiguous, strided
        x = x.detach().requires_grad_(True)
        dy = torch.randn(5, 7, 24, generator=gen)
        y = lin.linear(x, w)
        (y * dy).sum().backward()
        gx, gw = x.grad.clone(), w.grad.clone()
        x.grad = w.grad = None
        ref = x @ w.T
        (ref * dy).sum().backward()
        assert y.shape == ref.shape
        assert torch.allclose(y, ref, atol=1e-5)
        assert torch.allclose(gx, x.grad, atol=1e-5) and torch.allclose(gw, w.grad, atol=1e-4)
        w.grad = None
    with torch.no_grad():
        assert torch.allclose(lin.linear(base[..., :16], w), base[..., :16] @ w.T, atol=1e-5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert lin.linear(base[..., :16], w).dtype == torch.bfloat16
    # gradients for one side only, a 2-D input, and an empty batch (oneDNN has no empty product)
    x2 = torch.randn(6, 16, generator=gen)
    (lin.linear(x2, w) ** 2).sum().backward()
    gw = w.grad.clone()
    w.grad = None
    ((x2 @ w.T) ** 2).sum().backward()
    assert torch.allclose(gw, w.grad, atol=1e-4)
    w.grad = None
    xg = x2.clone().requires_grad_(True)
    (lin.linear(xg, w.detach()) ** 2).sum().backward()
    assert torch.allclose(xg.grad, 2 * (x2 @ w.detach().T) @ w.detach(), atol=1e-4)
    assert lin.linear(torch.empty(0, 16), w).shape == (0, 24)

    def unusable(*_):
        raise AssertionError("the kernel must not be called")

    saved_op, lin._OP = lin._OP, False  # a build without the kernel: plain matmul, same values
    saved_mm, lin._mm_t = lin._mm_t, unusable
    try:
        y = lin.linear(x2, w)
        assert torch.allclose(y, x2 @ w.T, atol=1e-5)
        y.sum().backward()  # and its gradient
        assert w.grad is not None
    finally:
        lin._OP, lin._mm_t = saved_op, saved_mm


def test_bf16_precision_samples_and_steps(tiny, tmp_path):
    """bf16 autocast: sampled log-probs stay close to the fp32 model's, and a step trains."""
    from training.precision import resolve

    assert resolve("fp32", "cpu") == "fp32" and resolve("bf16", "cpu") == "bf16"
    with pytest.raises(ValueError, match="precision"):
        resolve("fp16", "cpu")
    t = _trainer(tiny, tmp_path, precision="bf16")
    assert t.precision == "bf16"
    ro = t.sample([{"question": "What is 1 + 2?", "answer": "3"}] * 2, 4)
    lp, _ = completion_logprobs(t.policy, ro.input_ids, ro.attention_mask, ro.completion_ids.shape[1])
    m = ro.completion_mask.bool()
    assert (lp[m] - ro.old_logprobs[m]).abs().max() < 0.1  # bf16 products and attention, fp32 rest
    _force_reward_signal(t)
    before = [p.detach().clone() for p in t.policy.parameters()]
    t.step()
    assert any(not torch.equal(a, p) for a, p in zip(before, t.policy.parameters()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_target_logprobs_fast_path_matches_autograd(dtype):
    """The log-prob path without entropy (a handwritten backward) gives the values and logit
    gradients of the plain log-softmax-and-gather path, with a temperature and masked targets."""
    from training.grpo.logprobs import _target_logprobs

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 6, 13, generator=gen).to(dtype)
    targets = torch.randint(0, 13, (4, 6), generator=gen)
    mask = torch.ones(4, 6, dtype=torch.long)
    mask[1, 4:] = 0
    weights = torch.randn(4, 6, generator=gen)
    out = {}
    for with_entropy in (False, True):
        x = logits.clone().requires_grad_(True)
        lp, ent = _target_logprobs(x, targets, mask, 0.7, with_entropy)
        (lp * weights).sum().backward()
        assert (ent is not None) == with_entropy
        out[with_entropy] = (lp.detach(), x.grad.float())
    assert torch.allclose(out[False][0], out[True][0], atol=1e-6)
    assert torch.allclose(out[False][1], out[True][1], atol=1e-6 if dtype == torch.float32 else 1e-2)
    assert bool((out[False][0][1, 4:] == 0).all())
