r"""Answer extraction and math-verify checking, shared by GRPO rewards and the evaluation harness.

    extract_answer("... #### 1,234", "gsm8k")        -> "1234"
    extract_answer(r"so \boxed{\frac{1}{2}}", "boxed") -> r"\frac{1}{2}"
    verify("0.5", r"\frac{1}{2}")                     -> True
    Verifier().check(["85", "86"], ["85", "85"])      -> [VerifyResult(True, "ok"), VerifyResult(False, "wrong")]

Why worker processes: math-verify parses LaTeX into sympy and compares symbolically; a pathological
answer (a model's 2,000-digit power tower) can hang sympy. Each check runs in a pool of worker
processes and is abandoned after `timeout` seconds (the pool is restarted), so a reward or an
evaluation never hangs. Plain numbers on both sides take an exact fast path in this process (the
result is the one math-verify gives; the arithmetic task and GSM8K are almost all plain numbers, and
spawning sympy work for them would dominate a GRPO step on a tiny model).

A gold answer that cannot be parsed is reported as status ``gold_unparsable`` and never rewarded:
an empty or garbled reference must not turn into free reward or silent accuracy.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import re
from dataclasses import dataclass
from fractions import Fraction

from corpus.benchmarks import gsm8k_answer, last_boxed

ANSWER_KINDS = ("gsm8k", "boxed", "auto", "last_number")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_PLAIN = re.compile(r"^\s*\$?\s*(-?(?:\d+(?:\.\d+)?|\.\d+)(?:/\d+)?)\s*\$?\s*\.?\s*$")


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of one check. status: ok, wrong, no_answer, gold_unparsable, timeout, error."""

    correct: bool
    status: str


def extract_answer(text: str, kind: str = "auto") -> str | None:
    r"""The final answer a solution states, or None when it states none.

    kind: ``gsm8k`` (text after the last ``####``), ``boxed`` (last ``\boxed{}``), ``last_number``
    (the last number in the text, DeepSeekMath's fallback for GSM8K), ``auto`` (boxed, else ``####``).

    >>> extract_answer("7 + 8 = 15\n#### 1,015", "gsm8k")
    '1015'
    >>> extract_answer(r"thus $\boxed{\frac{1}{2}}$", "boxed")
    '\\frac{1}{2}'
    >>> extract_answer("no answer here", "auto") is None
    True
    """
    if kind not in ANSWER_KINDS:
        raise ValueError(f"unknown answer kind {kind!r}; expected one of {ANSWER_KINDS}")
    if kind in ("boxed", "auto"):
        boxed = last_boxed(text)
        if boxed is not None and boxed.strip():
            return boxed.strip()
        if kind == "boxed":
            return None
    if kind in ("gsm8k", "auto"):
        if "####" not in text:
            return None
        tail = gsm8k_answer(text).split("\n", 1)[0].strip()
        return tail or None
    nums = _NUMBER.findall(text)
    return nums[-1].replace(",", "") if nums else None


def _plain_number(s: str) -> Fraction | None:
    m = _PLAIN.match(s.replace(",", ""))
    if not m:
        return None
    try:
        return Fraction(m.group(1))
    except (ValueError, ZeroDivisionError):
        return None


def _latex(s: str) -> str:
    s = s.strip()
    return s if s.startswith("$") or "\\boxed" in s else f"${s}$"


def _warm_worker() -> None:
    """Worker initializer: import math-verify (and sympy) before the first timed check."""
    from math_verify import parse

    parse("$1$")


def _ready(pause: float) -> bool:
    """A no-op task; the pause spreads the warm-up tasks over all workers."""
    import time

    time.sleep(pause)
    return True


def _check_in_worker(pred: str, gold: str) -> tuple[bool, str]:
    """Runs inside a worker process: math-verify parse + verify (sympy)."""
    from math_verify import parse
    from math_verify import verify as mv_verify

    g = parse(_latex(gold))
    if not g:
        return False, "gold_unparsable"
    p = parse(_latex(pred))
    if not p:
        return False, "wrong"
    ok = bool(mv_verify(g, p))
    return ok, "ok" if ok else "wrong"


class Verifier:
    """Checks predicted answers against gold answers with math-verify in worker processes.

    One instance holds the pool; `close()` (or a `with` block) stops it. The pool starts lazily, on
    the first answer that is not a plain number.
    """

    def __init__(self, workers: int = 1, timeout: float = 5.0, startup_timeout: float = 120.0):
        self.workers = workers
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self._pool: cf.ProcessPoolExecutor | None = None

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._kill_pool()

    def _kill_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # A hung sympy call never returns: terminate the workers instead of waiting for them.
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def start(self) -> Verifier:
        """Start the worker pool now (it otherwise starts on the first non-numeric answer)."""
        self._get_pool()
        return self

    def _get_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            # spawn: the parent may hold torch threads and open files; fork would copy them.
            self._pool = cf.ProcessPoolExecutor(
                self.workers, mp_context=mp.get_context("spawn"), initializer=_warm_worker
            )
            # Start-up (spawn + importing sympy/math-verify) takes seconds on a loaded machine; it must
            # not count against the first answers' timeout, so wait for every worker to be ready here.
            warm = [self._pool.submit(_ready, 0.05) for _ in range(self.workers)]
            cf.wait(warm, timeout=self.startup_timeout)
        return self._pool

    def check(self, preds: list[str | None], golds: list[str | None]) -> list[VerifyResult]:
        """Verify each pred against its gold; None/empty pred -> no_answer, bad gold -> gold_unparsable."""
        if len(preds) != len(golds):
            raise ValueError(f"{len(preds)} predictions for {len(golds)} gold answers")
        results: list[VerifyResult | None] = [None] * len(preds)
        todo: list[int] = []  # answers that need math-verify in a worker
        for i, (p, g) in enumerate(zip(preds, golds)):
            if g is None or not str(g).strip():
                results[i] = VerifyResult(False, "gold_unparsable")
            elif p is None or not str(p).strip():
                results[i] = VerifyResult(False, "no_answer")
            else:
                gn, pn = _plain_number(str(g)), _plain_number(str(p))
                if gn is not None and pn is not None:
                    ok = gn == pn
                    results[i] = VerifyResult(ok, "ok" if ok else "wrong")
                else:
                    todo.append(i)
        while todo:
            # Killing the pool (after a timeout or a worker crash) also kills the answers queued or
            # running beside the culprit: they are resubmitted to a fresh pool, never scored as
            # failures. Each round settles at least the culprit, so the loop ends.
            pool = self._get_pool()
            futs = {i: pool.submit(_check_in_worker, str(preds[i]), str(golds[i])) for i in todo}
            todo = []
            killed = False
            for i, fut in futs.items():
                if killed:
                    todo.append(i)
                    continue
                try:
                    ok, status = fut.result(timeout=self.timeout)
                    results[i] = VerifyResult(ok, status)
                except cf.TimeoutError:
                    results[i] = VerifyResult(False, "timeout")
                    self._kill_pool()
                    killed = True
                except Exception as e:  # a sympy crash on one answer is that answer's failure only
                    results[i] = VerifyResult(False, f"error:{type(e).__name__}")
                    if isinstance(e, cf.process.BrokenProcessPool):
                        self._kill_pool()
                        killed = True
        return results  # type: ignore[return-value]


_DEFAULT: Verifier | None = None


def default_verifier() -> Verifier:
    """A process-wide Verifier (one worker, 5 s timeout), created on first use."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Verifier()
    return _DEFAULT


def verify(pred: str | None, gold: str | None) -> bool:
    """True when `pred` equals `gold` mathematically (math-verify, worker process, timeout).

    >>> verify("85", "85.0")
    True
    >>> verify("", "85")
    False
    """
    return default_verifier().check([pred], [gold])[0].correct


def check_solutions(
    texts: list[str], golds: list[str | None], kind: str = "auto", verifier: Verifier | None = None
) -> list[VerifyResult]:
    """Extract the answer of each solution text and verify it against its gold answer."""
    preds = [extract_answer(t, kind) for t in texts]
    return (verifier or default_verifier()).check(preds, golds)
