r"""Scoring model outputs: answer extraction per benchmark kind, accuracy, maj@k, pass@k, breakdowns.

Three answer kinds cover the DeepSeekMath suite (`ANSWER_KIND` maps each registry benchmark):

- ``number`` (GSM8K, CMATH, MGSM-zh): ``\boxed{}``, else GSM8K's ``#### N``, else "The answer is N"
  / "答案是 N", else the last number in the text (DeepSeekMath's fallback).
- ``math`` (MATH, MATH-500, OCW, AGIEval-MATH, Gaokao cloze): ``\boxed{}``, else "The final answer
  is $X$" (Minerva), else "The answer is X". No last-number fallback: a MATH answer is rarely a bare
  number and guessing one would credit unrelated text.
- ``choice`` (MMLU-STEM, SAT, Gaokao multiple choice): the option letter(s) from ``\boxed{B}``, "The
  answer is (B)" / "答案是 B", else the last parenthesised letter; compared as a set of letters.

Numbers and math answers are checked with math-verify (verify.Verifier: worker processes, timeout);
letters by equality. pass@k uses the unbiased estimator of Chen et al. (2021):
1 - C(n-c, k) / C(n, k) for n samples of which c are correct.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from corpus.benchmarks import BenchmarkItem
from training.evaluation.verify import Verifier, extract_answer

ANSWER_KIND: dict[str, str] = {
    "gsm8k": "number",
    "cmath": "number",
    "mgsm-zh": "number",
    "math": "math",
    "math500": "math",
    "agieval-math": "math",
    "ocw": "math",
    "agieval-gaokao-mathcloze": "math",
    "mmlu-stem": "choice",
    "sat": "choice",
    "agieval-sat-math": "choice",
    "agieval-gaokao-mathqa": "choice",
}
# Item metadata worth an accuracy breakdown (MATH subject and level, CMATH grade, MMLU topic).
BREAKDOWN_KEYS = ("type", "level", "grade", "topic")

_ANSWER_IS = re.compile(r"(?:answer is|答案是|答案为|答案[:：])\s*[:：]?\s*(.+)", re.IGNORECASE)
_FINAL_IS = re.compile(r"final answer is\s*\$(.+?)\$", re.IGNORECASE | re.DOTALL)
_NUM = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")
_LETTERS = re.compile(r"\b([A-E])\b")
_PAREN_LETTER = re.compile(r"\(([A-E])\)")


def _tail_after(pattern: re.Pattern, text: str) -> str | None:
    matches = list(pattern.finditer(text))
    return matches[-1].group(1).strip() if matches else None


def extract_prediction(text: str, kind: str) -> str | None:
    """The answer a model output states, for an answer kind (number, math, choice); None if none."""
    if kind == "choice":
        return extract_choice(text)
    boxed = extract_answer(text, "boxed")
    if boxed is not None:
        return boxed
    if kind == "number":
        if "####" in text:
            return extract_answer(text, "gsm8k")
        tail = _tail_after(_ANSWER_IS, text)
        if tail is not None:
            nums = _NUM.findall(tail.split("\n", 1)[0])
            if nums:
                return nums[0].replace(",", "")
        return extract_answer(text, "last_number")
    if kind == "math":
        final = _tail_after(_FINAL_IS, text)
        if final:
            return final
        tail = _tail_after(_ANSWER_IS, text)
        if tail:
            return tail.split("\n", 1)[0].strip().rstrip("。.").strip("$ ") or None
        return None
    raise ValueError(f"unknown answer kind {kind!r}; expected number, math or choice")


def extract_choice(text: str) -> str | None:
    """Option letters (sorted, e.g. "B" or "AC") a multiple-choice output picks; None if none."""
    boxed = extract_answer(text, "boxed")
    if boxed is not None:
        letters = _LETTERS.findall(re.sub(r"\\text\{([^}]*)\}", r"\1", boxed))
        if letters:
            return "".join(sorted(set(letters)))
    tail = _tail_after(_ANSWER_IS, text)
    if tail is not None:
        head = tail.split("\n", 1)[0]
        letters = _PAREN_LETTER.findall(head) or _LETTERS.findall(head[:12])
        if letters:
            return "".join(sorted(set(letters)))
    parens = _PAREN_LETTER.findall(text)
    return parens[-1] if parens else None


def gold_choice(answer: str) -> str:
    """Gold letters of a multiple-choice item ("B", "A,C", "(D)") as a sorted string."""
    return "".join(sorted(set(re.findall(r"[A-E]", answer.upper()))))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for n samples with c correct (Chen et al., 2021), computed as a stable product."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    prob_all_wrong = 1.0
    for i in range(n - c + 1, n + 1):
        prob_all_wrong *= 1.0 - k / i
    return 1.0 - prob_all_wrong


def _vote_key(answer: str) -> str:
    """Normalisation for majority voting: spacing, dollar signs and a trailing period do not count."""
    return re.sub(r"\s+|\$", "", answer).rstrip(".").removesuffix(".0")


@dataclass
class ItemScore:
    """One item's outcome: per-sample extracted answers and correctness, and the majority vote."""

    id: str
    answers: list[str | None]
    correct: list[bool]
    statuses: list[str]
    majority: str | None
    majority_correct: bool
    meta: dict = field(default_factory=dict)


def score_item_outputs(
    items: Sequence[BenchmarkItem], outputs: Sequence[Sequence[str]], kind: str, verifier: Verifier
) -> list[ItemScore]:
    """Extract and check every sample of every item (outputs[i] holds item i's samples)."""
    if len(items) != len(outputs):
        raise ValueError(f"{len(outputs)} output lists for {len(items)} items")
    answers = [[extract_prediction(o, kind) for o in outs] for outs in outputs]
    flat_pred, flat_gold, owner = [], [], []
    for i, (item, ans) in enumerate(zip(items, answers)):
        for a in ans:
            owner.append(i)
            if kind == "choice":
                flat_pred.append(a)
                flat_gold.append(gold_choice(item.answer))
            else:
                flat_pred.append(a)
                flat_gold.append(item.answer)
    if kind == "choice":
        results = [
            (
                bool(g) and p == g,
                "gold_unparsable" if not g else "no_answer" if not p else "ok" if p == g else "wrong",
            )
            for p, g in zip(flat_pred, flat_gold)
        ]
    else:
        results = [(r.correct, r.status) for r in verifier.check(flat_pred, flat_gold)]
    per_item: list[list[tuple[bool, str]]] = [[] for _ in items]
    for i, res in zip(owner, results):
        per_item[i].append(res)
    scores = []
    for item, ans, res in zip(items, answers, per_item):
        votes = Counter(_vote_key(a) for a in ans if a)
        majority, majority_correct = None, False
        if votes:
            top = votes.most_common(1)[0][0]  # ties: the answer seen first wins (Counter keeps order)
            j = next(j for j, a in enumerate(ans) if a and _vote_key(a) == top)
            majority, majority_correct = ans[j], res[j][0]
        scores.append(
            ItemScore(
                id=item.id,
                answers=ans,
                correct=[c for c, _ in res],
                statuses=[s for _, s in res],
                majority=majority,
                majority_correct=majority_correct,
                meta={k: item.meta[k] for k in BREAKDOWN_KEYS if item.meta.get(k) is not None},
            )
        )
    return scores


def summarize(scores: Sequence[ItemScore], ks: Sequence[int] = ()) -> dict:
    """Accuracy (first sample: the greedy one), maj@n and pass@k when sampled, and breakdowns.

    Breakdowns give accuracy per value of each metadata key present (MATH: `type` = subject, `level`).
    """
    n_items = len(scores)
    out: dict = {"items": n_items}
    if not n_items:
        return out | {"accuracy": None}
    out["accuracy"] = sum(s.correct[0] for s in scores if s.correct) / n_items
    statuses = Counter(s.statuses[0] for s in scores if s.statuses)
    out["statuses"] = dict(sorted(statuses.items()))
    n = min(len(s.correct) for s in scores)
    if n > 1:
        out["samples"] = n
        out[f"maj@{n}"] = sum(s.majority_correct for s in scores) / n_items
        for k in ks or (1, n):
            if k <= n:
                out[f"pass@{k}"] = sum(pass_at_k(len(s.correct), sum(s.correct), k) for s in scores) / n_items
    breakdown: dict[str, dict[str, dict]] = {}
    for key in BREAKDOWN_KEYS:
        groups: dict[str, list[bool]] = defaultdict(list)
        for s in scores:
            if key in s.meta and s.correct:
                groups[str(s.meta[key])].append(s.correct[0])
        if groups:
            breakdown[key] = {
                g: {"items": len(v), "accuracy": sum(v) / len(v)} for g, v in sorted(groups.items())
            }
    if breakdown:
        out["breakdown"] = breakdown
    return out
