r"""Rewards for GRPO: verified final answers (outcome), an optional format reward, and rule-based
step rewards (process supervision).

Outcome reward (paper §4.1.2, with a verifier in place of the paper's learned reward model; the
learned alternative is reward_model.py): 1 when the extracted final answer equals the gold answer
under math-verify (training/evaluation/verify.py, worker processes with a timeout), else 0. A gold
answer that cannot be parsed gives 0 and is counted (``gold_unparsable``), never rewarded.

Step rewards (paper §4.1.3 uses a process reward model; we ship the interface and a rule-based
stand-in): a completion is split into steps at newlines; a step containing a checkable arithmetic
equation (``3 + 4 + 1 = 8`` or GSM8K's ``<<48/2=24>>``) is rewarded 1 if it holds and 0 if it does not;
the step holding the final answer gets the outcome reward. Steps with nothing checkable get no
reward. Each reward sits at the character where its step ends, which advantages.py maps to tokens.

The functions are pure (text in, numbers out) so they are easy to test and to swap.
"""

from __future__ import annotations

import ast
import operator
import re
from fractions import Fraction

from training.evaluation.verify import Verifier, default_verifier, extract_answer

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_EQUATION = re.compile(r"<<([^<>=]+)=([^<>]+)>>|([\d\s.+\-*/×÷()]*\d[\d\s.+\-*/×÷()]*)=\s*(-?[\d.,]+)")


def _eval(expr: str) -> Fraction | None:
    """Exact value of a + - * / expression of numbers, or None if it is not one."""
    try:
        tree = ast.parse(expr.replace("×", "*").replace("÷", "/").replace(",", "").strip(), mode="eval")
    except SyntaxError:
        return None

    def ev(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Fraction(str(node.value))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError("not arithmetic")

    try:
        return ev(tree)
    except (ValueError, ZeroDivisionError, TypeError):
        return None


def equation_reward(step: str) -> float | None:
    """1.0 if every checkable equation in `step` holds, 0.0 if one fails, None if none is checkable.

    >>> equation_reward("3 + 4 + 1 = 8")
    1.0
    >>> equation_reward("3 + 4 + 1 = 7")
    0.0
    >>> equation_reward("He pays <<48/2=24>>24 dollars")
    1.0
    >>> equation_reward("so the answer follows") is None
    True
    """
    found = None
    for m in _EQUATION.finditer(step):
        lhs, rhs = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
        lv, rv = _eval(lhs), _eval(rhs)
        if lv is None or rv is None or not re.search(r"[+\-*/×÷]", lhs):
            continue
        if lv != rv:
            return 0.0
        found = 1.0
    return found


def format_reward(completion: str, kind: str = "gsm8k") -> float:
    r"""1.0 when the completion states a final answer in the expected form, else 0.0.

    >>> format_reward("7 + 8 = 15\n#### 15")
    1.0
    >>> format_reward("the answer is 15")
    0.0
    >>> format_reward(r"so \boxed{15}", "boxed")
    1.0
    """
    return 0.0 if extract_answer(completion, kind) is None else 1.0


def answer_rewards(
    completions: list[str], golds: list[str | None], kind: str = "gsm8k", verifier: Verifier | None = None
) -> tuple[list[float], list[str]]:
    """Outcome rewards (1/0) and the verifier's status for each completion."""
    preds = [extract_answer(c, kind) for c in completions]
    results = (verifier or default_verifier()).check(preds, golds)
    return [1.0 if r.correct else 0.0 for r in results], [r.status for r in results]


def step_rewards(completion: str, outcome: float, kind: str = "gsm8k") -> list[tuple[int, float]]:
    r"""Rule-based process rewards: (character offset where the step ends, reward) per rewarded step.

    The step holding the final answer gets `outcome`; arithmetic steps get equation_reward.

    >>> step_rewards("7 + 8 = 15\n3 + 4 + 1 = 7\n#### 75", outcome=0.0)
    [(10, 1.0), (24, 0.0), (32, 0.0)]
    """
    out: list[tuple[int, float]] = []
    pos = 0
    for line in completion.split("\n"):
        end = pos + len(line)
        if extract_answer(line, kind) is not None:
            out.append((end, outcome))
        else:
            r = equation_reward(line)
            if r is not None:
                out.append((end, r))
        pos = end + 1
    if not out or extract_answer(completion, kind) is None:
        out.append((len(completion), outcome))  # no answer line: the outcome still counts, at the end
    return out
