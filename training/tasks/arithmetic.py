r"""The embedded default task: column addition word problems with step-by-step solutions.

    User: What is 37 + 48?
    Assistant: 7 + 8 = 15
    3 + 4 + 1 = 8
    #### 85

Each line adds one column (units first) plus the carry; the last line states the answer in GSM8K's
``#### n`` form (or ``\boxed{n}`` with ``answer_format="boxed"``), so the same extraction and
math-verify checking as for GSM8K / MATH applies, and each line is a step for process supervision.

Why the SFT data contains slips: `slip_rate` of the carry steps in the *training* solutions add the
carry on paper but not in the sum (``3 + 4 + 1 = 7``), the way a weak teacher's samples would. The SFT
model imitates that and solves carry problems only part of the time; its correct solutions are still in
its own sample distribution, which is exactly the situation the paper describes GRPO improving
(§5.2.2: RL makes the output distribution more robust, raising Maj@K/greedy rather than Pass@K). The
held-out split's solutions are always correct (they are only used for their gold answers).

Train and held-out problems are disjoint (split by problem, not by example). The tokenizer is the
project's byte-level BPE (training.tiny_model.train_tokenizer) with digits split one per token, as
DeepSeek's own tokenizer does, so column arithmetic is learnable by a tiny model.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ArithmeticTask:
    """How the arithmetic problems are generated."""

    operands: int = 2
    """Numbers added per problem (2 or 3)."""
    digits: int = 2
    """Digits per operand (operands are drawn from [10^(d-1), 10^d - 1])."""
    train_size: int = 4000
    """Training problems (SFT examples and GRPO prompts)."""
    test_size: int = 300
    """Held-out problems, disjoint from training."""
    slip_rate: float = 0.7
    """Share of carry steps in training solutions that forget to add the carry (0: clean data)."""
    answer_format: str = "gsm8k"
    """`gsm8k` (final line `#### n`) or `boxed` (final line `The answer is \\boxed{n}.`)."""
    seed: int = 0
    """Seed of the generator; the same settings always give the same files."""


def question(numbers: list[int]) -> str:
    return "What is " + " + ".join(str(n) for n in numbers) + "?"


def solution(numbers: list[int], slips: list[bool] | None = None, answer_format: str = "gsm8k") -> str:
    """The step-by-step column solution; `slips[i]` drops the carry into column i (when there is one).

    >>> print(solution([37, 48]))
    7 + 8 = 15
    3 + 4 + 1 = 8
    #### 85
    >>> solution([37, 48], slips=[False, True]).splitlines()[1:]
    ['3 + 4 + 1 = 7', '#### 75']
    """
    width = max(len(str(n)) for n in numbers)
    cols = [[int(str(n).zfill(width)[-1 - i]) for n in numbers] for i in range(width)]
    lines, out_digits, carry = [], [], 0
    for i, col in enumerate(cols):
        terms = col + ([carry] if carry else [])
        total = sum(col) + (0 if slips and slips[i] and carry else carry)
        lines.append(" + ".join(str(t) for t in terms) + f" = {total}")
        last = i == len(cols) - 1
        out_digits.append(str(total) if last else str(total % 10))
        carry = 0 if last else total // 10
    answer = int("".join(reversed(out_digits)))
    lines.append(f"#### {answer}" if answer_format == "gsm8k" else f"The answer is \\boxed{{{answer}}}.")
    return "\n".join(lines)


def _all_problems(cfg: ArithmeticTask, rng: random.Random) -> list[tuple[int, ...]]:
    lo, hi = 10 ** (cfg.digits - 1), 10**cfg.digits - 1
    need = cfg.train_size + cfg.test_size
    space = (hi - lo + 1) ** cfg.operands
    if need > space:
        raise ValueError(f"{need} problems requested but only {space} exist for these settings")
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < need:
        p = tuple(rng.randint(lo, hi) for _ in range(cfg.operands))
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def generate(cfg: ArithmeticTask) -> tuple[list[dict], list[dict]]:
    """(train, test) rows with `question`, `solution`, `answer` (gold, always the true sum)."""
    if cfg.answer_format not in ("gsm8k", "boxed"):
        raise ValueError(f"answer_format must be gsm8k or boxed, got {cfg.answer_format!r}")
    rng = random.Random(cfg.seed)
    problems = _all_problems(cfg, rng)
    test_p, train_p = problems[: cfg.test_size], problems[cfg.test_size :]

    def row(p: tuple[int, ...], noisy: bool) -> dict:
        slips = [noisy and rng.random() < cfg.slip_rate for _ in range(cfg.digits)]
        return {
            "question": question(list(p)),
            "solution": solution(list(p), slips, cfg.answer_format),
            "answer": str(sum(p)),
        }

    return [row(p, True) for p in train_p], [row(p, False) for p in test_p]


def write_task(out_dir: str | Path, cfg: ArithmeticTask | None = None) -> tuple[Path, Path]:
    """Write train.jsonl and test.jsonl under `out_dir`; returns their paths."""
    cfg = cfg or ArithmeticTask()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, test = generate(cfg)
    paths = []
    for name, rows in (("train", train), ("test", test)):
        p = out / f"{name}.jsonl"
        tmp = p.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
        tmp.replace(p)
        paths.append(p)
    return paths[0], paths[1]


def build_tokenizer(rows: list[dict], vocab_size: int = 512):
    """The project's BPE tokenizer trained on the task text, with one token per digit."""
    from tokenizers import pre_tokenizers

    from training.tiny_model import train_tokenizer

    texts = [f"User: {r['question']}\n\nAssistant: {r['solution']}" for r in rows]
    tok = train_tokenizer(texts, vocab_size)
    backend = tok.backend_tokenizer
    # Merges containing digits become unreachable once digits are pre-split; harmless and cheap.
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), backend.pre_tokenizer]
    )
    return tok


def make_task_model(
    out_dir: str | Path,
    rows: list[dict],
    hidden_size: int = 128,
    layers: int = 4,
    heads: int = 4,
    seed: int = 0,
) -> Path:
    """A randomly initialised tiny Llama + task tokenizer saved to `out_dir` (the SFT starting point)."""
    from training.tiny_model import build_tiny_model

    out = Path(out_dir)
    tok = build_tokenizer(rows)
    model = build_tiny_model(
        tok, hidden_size=hidden_size, layers=layers, heads=heads, max_positions=512, seed=seed
    )
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out
