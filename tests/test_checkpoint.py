"""Checkpoints: full state round-trip, rotation, incomplete folders ignored, HF export loads."""

from __future__ import annotations

import torch
from accelerate import Accelerator
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

from training import checkpoint as ckpt
from training.optim import OptimConfig, build_optimizer, build_scheduler


def _setup(seed=0):
    torch.manual_seed(seed)
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=64,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
        )
    )
    cfg = OptimConfig(lr=1e-3, warmup_steps=1)
    opt = build_optimizer(model, cfg)
    sched = build_scheduler(opt, cfg, 10)
    acc = Accelerator(cpu=True)
    model, opt, sched = acc.prepare(model, opt, sched)
    return acc, model, opt, sched


def _step(model, opt, sched):
    ids = torch.randint(0, 64, (2, 8))
    loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    opt.step()
    sched.step()
    opt.zero_grad()
    return loss.item()


def test_save_load_rotate_export(tmp_path):
    acc, model, opt, sched = _setup()
    for step in range(1, 5):
        _step(model, opt, sched)
        ckpt.save(acc, tmp_path, step, {"data": {"pos": step}}, keep_last=2)
    kept = ckpt.list_checkpoints(tmp_path)
    assert [d.name for d in kept] == ["step-00000003", "step-00000004"]
    # an interrupted save (no trainer_state.json) is not a checkpoint
    (tmp_path / "checkpoints" / "step-00000009").mkdir()
    assert ckpt.latest(tmp_path).name == "step-00000004"
    expected = [_step(model, opt, sched) for _ in range(2)]

    acc2, model2, opt2, sched2 = _setup(seed=1)  # different init: everything must come from the checkpoint
    state = ckpt.load(acc2, ckpt.resolve_resume(tmp_path, "auto"))
    assert state["step"] == 4 and state["data"] == {"pos": 4}
    assert sched2.scheduler.last_epoch == 4
    got = [_step(model2, opt2, sched2) for _ in range(2)]
    assert got == expected

    out = ckpt.export_hf(acc2, model2, None, tmp_path / "final")
    loaded = AutoModelForCausalLM.from_pretrained(out)
    assert (out / "model.safetensors").exists()
    for (n, a), (_, b) in zip(acc2.unwrap_model(model2).state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), n
