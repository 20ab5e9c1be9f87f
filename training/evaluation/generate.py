"""Text generation for evaluation: batched HF `generate` (any causal LM) or vLLM when installed.

Greedy decoding with at most 1024 new tokens is the paper's protocol; sampling (temperature, top-p,
n samples per prompt) serves maj@k and pass@k. Prompts are left-padded so each row's next token sits in
the same column, and sorted by length so a batch wastes little padding. Generation of a row ends at
EOS or at a stop sequence (few-shot prompts: the next exemplar's header); the output is cut before
the first stop sequence, since HF's `stop_strings` may overshoot by the rest of a token.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tqdm.auto import tqdm

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenerationConfig:
    """Decoding settings (paper: greedy, 1024 new tokens)."""

    max_new_tokens: int = 1024
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    samples: int = 1  # outputs per prompt (maj@k / pass@k need > 1 and temperature > 0)
    batch_size: int = 16  # prompts per forward batch (HF backend)
    seed: int = 0


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """`text` cut before the earliest stop sequence.

    >>> truncate_at_stop("x = 2.\\n\\nQuestion: next", ["\\nQuestion:"])
    'x = 2.\\n'
    """
    cut = min((i for s in stop if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


class HFGenerator:
    """Batched generation with a transformers causal LM (greedy or sampled)."""

    def __init__(self, model, tokenizer, device: str | None = None):
        import torch

        self.tokenizer = tokenizer
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        tokenizer.padding_side = "left"
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    @classmethod
    def from_pretrained(cls, path: str, device: str | None = None, dtype: str = "auto") -> HFGenerator:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(path)
        if dtype == "auto":
            torch_dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        else:
            torch_dtype = getattr(torch, dtype)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
        return cls(model, tok, device)

    def generate(
        self, prompts: Sequence[str], stop: Sequence[str], cfg: GenerationConfig, desc: str = "generate"
    ) -> list[list[str]]:
        """cfg.samples outputs for each prompt, in prompt order."""
        import torch

        if cfg.samples > 1 and cfg.temperature <= 0:
            raise ValueError("several samples per prompt need temperature > 0 (greedy repeats itself)")
        torch.manual_seed(cfg.seed)
        order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
        outputs: list[list[str]] = [[] for _ in prompts]
        sampling = cfg.temperature > 0
        gen_kw = dict(
            max_new_tokens=cfg.max_new_tokens,
            do_sample=sampling,
            num_return_sequences=cfg.samples,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.tokenizer.eos_token_id,
        )
        if sampling:
            gen_kw.update(temperature=cfg.temperature, top_p=cfg.top_p)
        else:  # the model's own generation_config may set sampling defaults; greedy means greedy
            gen_kw.update(temperature=None, top_p=None, top_k=None)
        if stop:
            gen_kw.update(stop_strings=list(stop), tokenizer=self.tokenizer)
        bar = tqdm(total=len(prompts), desc=desc, unit="prompt", leave=False)
        for b in range(0, len(order), cfg.batch_size):
            idx = order[b : b + cfg.batch_size]
            enc = self.tokenizer(
                [prompts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False
            ).to(self.device)
            with torch.inference_mode():
                out = self.model.generate(**enc, **gen_kw)
            new = out[:, enc["input_ids"].shape[1] :]
            texts = self.tokenizer.batch_decode(new, skip_special_tokens=True)
            for j, text in enumerate(texts):
                outputs[idx[j // cfg.samples]].append(truncate_at_stop(text, stop))
            bar.update(len(idx))
        bar.close()
        return outputs


class VLLMGenerator:
    """The same interface on vLLM (continuous batching; for GPU nodes where vLLM is installed)."""

    def __init__(self, path: str, **llm_kw):
        from vllm import LLM

        self.llm = LLM(model=path, **llm_kw)

    def generate(
        self, prompts: Sequence[str], stop: Sequence[str], cfg: GenerationConfig, desc: str = "generate"
    ) -> list[list[str]]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=cfg.samples,
            temperature=cfg.temperature,
            top_p=cfg.top_p if cfg.temperature > 0 else 1.0,
            max_tokens=cfg.max_new_tokens,
            stop=list(stop) or None,
            seed=cfg.seed,
        )
        results = self.llm.generate(list(prompts), params)
        return [[truncate_at_stop(o.text, stop) for o in r.outputs] for r in results]


def vllm_available() -> bool:
    try:
        import vllm  # noqa: F401
    except Exception:  # not installed, or installed without a usable GPU build
        return False
    return True


def make_generator(model_path: str, backend: str = "auto", device: str | None = None):
    """vLLM when asked for (or `auto` with vLLM importable and a GPU present), else HF."""
    import torch

    if backend not in ("auto", "hf", "vllm"):
        raise ValueError(f"unknown backend {backend!r}; expected auto, hf or vllm")
    use_vllm = backend == "vllm" or (backend == "auto" and torch.cuda.is_available() and vllm_available())
    if use_vllm:
        if not vllm_available():
            raise RuntimeError(
                "backend vllm requested but vllm is not importable (pip install 'mathmine[vllm]')"
            )
        log.info("generation backend: vllm")
        return VLLMGenerator(model_path)
    log.info("generation backend: transformers")
    return HFGenerator.from_pretrained(model_path, device=device)
