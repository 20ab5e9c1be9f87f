"""The prepared 7B GPU throughput script: exits cleanly without CUDA; measures on a GPU (marked `gpu`)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from benchmarks import gpu_pretrain_7b


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU path")
def test_exits_cleanly_without_cuda(capsys):
    assert gpu_pretrain_7b.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out


@pytest.mark.gpu
def test_small_7b_shaped_run_measures_mfu(tmp_path):
    out = tmp_path / "r.json"
    assert gpu_pretrain_7b.main(["--layers", "2", "--steps", "2", "--warmup", "1", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["tokens_per_s"] > 0 and all(math.isfinite(x) for x in result["losses"])
    assert result["mfu"] is None or 0 < result["mfu"] < 1
