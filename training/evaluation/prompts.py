r"""Prompts: few-shot chain-of-thought for base models, zero-shot chat for instruct and RL models.

The paper's protocol (DeepSeekMath §2.3, §5.1): base models get few-shot chain-of-thought prompts
(GSM8K 8-shot, MATH 4-shot in the Minerva style, and so on); instruct and RL models get the question
zero-shot with "Please reason step by step, and put your final answer within \boxed{}." through their
chat template.

Exemplars never come from a test split:
- GSM8K draws 8 worked solutions from its **train** split with a fixed seed (`draw_exemplars`): from
  `--fewshot-source gsm8k=PATH`, else a train file beside the test file (``train.jsonl[.gz]`` in the
  same folder, as in ../shared/data), else the hub split named by the registry (`few_shot_split`).
  Calculator annotations ``<<48/2=24>>`` are removed and ``#### N`` becomes "The answer is N.".
- Every other benchmark uses a small set written by the project (exemplars.yaml): MATH's train split
  is not available offline, CMATH's dev split and MMLU's dev split carry answers but no worked
  solutions, so a chain-of-thought prompt cannot be drawn from them.
Exemplars whose question equals an evaluated question are dropped (belt and braces against leakage).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from corpus.benchmarks import REGISTRY, BenchmarkItem, load_benchmark

ZERO_SHOT_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
FEWSHOT_SEED = 1234
_EXEMPLARS_FILE = Path(__file__).with_name("exemplars.yaml")


@dataclass(frozen=True)
class FewShotFormat:
    """How one benchmark's few-shot prompt is laid out."""

    question_prefix: str  # before the question ("Question: ")
    answer_prefix: str  # before the worked solution ("Answer:"); the model continues after it
    stop: tuple[str, ...]  # generation stops at the first of these (the next exemplar's header)
    exemplars: str  # "split" (drawn from the benchmark's train/dev split) or a set in exemplars.yaml
    shots: int
    choices_prefix: str = ""  # line before the options of a multiple-choice question


_EN_QA = dict(question_prefix="Question: ", answer_prefix="Answer:", stop=("\nQuestion:", "\n\n\n"))
_MINERVA = dict(question_prefix="Problem:\n", answer_prefix="\nSolution:", stop=("\nProblem:", "\n\n\n"))
_ZH_QA = dict(question_prefix="问题：", answer_prefix="解答：", stop=("\n问题：", "\n\n\n"))

FORMATS: dict[str, FewShotFormat] = {
    "gsm8k": FewShotFormat(**_EN_QA, exemplars="split", shots=8),
    "math": FewShotFormat(**_MINERVA, exemplars="minerva_math", shots=4),
    "math500": FewShotFormat(**_MINERVA, exemplars="minerva_math", shots=4),
    "agieval-math": FewShotFormat(**_MINERVA, exemplars="minerva_math", shots=4),
    "ocw": FewShotFormat(**_MINERVA, exemplars="minerva_math", shots=4),
    "cmath": FewShotFormat(**_ZH_QA, exemplars="zh_arith", shots=4),
    "mgsm-zh": FewShotFormat(**_ZH_QA, exemplars="zh_arith", shots=4),
    "mmlu-stem": FewShotFormat(**_EN_QA, exemplars="mc_en", shots=4),
    "sat": FewShotFormat(**_EN_QA, exemplars="mc_en", shots=4),
    "agieval-sat-math": FewShotFormat(**_EN_QA, exemplars="mc_en", shots=4),
    "agieval-gaokao-mathqa": FewShotFormat(**_ZH_QA, exemplars="mc_zh", shots=3, choices_prefix="选项：\n"),
    "agieval-gaokao-mathcloze": FewShotFormat(**_ZH_QA, exemplars="cloze_zh", shots=3),
}


@dataclass(frozen=True)
class Exemplar:
    question: str
    cot: str
    choices: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _written_sets() -> dict[str, tuple[Exemplar, ...]]:
    import yaml

    data = yaml.safe_load(_EXEMPLARS_FILE.read_text(encoding="utf-8"))
    return {
        name: tuple(Exemplar(e["question"], e["cot"], tuple(e.get("choices") or ())) for e in rows)
        for name, rows in data.items()
    }


def gsm8k_cot(solution: str) -> str:
    """A GSM8K train solution as a chain of thought: no calculator annotations, "The answer is N."."""
    text = re.sub(r"<<[^>]*>>", "", solution)
    if "####" in text:
        body, ans = text.rsplit("####", 1)
        text = f"{body.strip()}\nThe answer is {ans.strip().replace(',', '')}."
    return text.strip()


def _sibling_split(test_path: str | None, split: str) -> str | None:
    """A `<split>.jsonl[.gz]` file in the folder of a local test file (the ../shared/data layout)."""
    if not test_path or "://" in test_path:
        return None
    folder = Path(test_path).parent
    for cand in (f"{split}.jsonl", f"{split}.jsonl.gz"):
        if (folder / cand).is_file() and (folder / cand).resolve() != Path(test_path).resolve():
            return str(folder / cand)
    return None


def draw_exemplars(
    name: str, k: int, source: str | None = None, test_path: str | None = None, seed: int = FEWSHOT_SEED
) -> list[Exemplar]:
    """k exemplars drawn with a fixed seed from benchmark `name`'s train/dev split.

    source: a local file or URL of that split; "hub" for the registry's hub split; None to look for
    a train file beside `test_path`, then the hub. Refuses the test file itself.
    """
    spec = REGISTRY[name]
    split = spec.few_shot_split
    if split is None:
        raise ValueError(f"{name} has no train/dev split for few-shot exemplars")
    same = source not in (None, "hub") and test_path is not None
    if same and Path(source).resolve() == Path(test_path).resolve():
        raise ValueError(f"few-shot source {source} is the test file itself; use the {split} split")
    path = None if source == "hub" else (source or _sibling_split(test_path, split))
    try:
        pool = load_benchmark(name, path, split=split)
    except Exception as e:
        raise RuntimeError(
            f"cannot load {name}'s {split} split for few-shot exemplars ({e}); "
            f"pass --fewshot-source {name}=PATH (a local copy of the {split} split)"
        ) from e
    pool = [it for it in pool if it.solution]
    if len(pool) < k:
        raise ValueError(f"{name} {split} split has {len(pool)} worked solutions, {k} needed")
    picked = random.Random(seed).sample(pool, k)
    cot = gsm8k_cot if name == "gsm8k" else (lambda s: s)
    return [Exemplar(it.question, cot(it.solution), it.choices) for it in picked]


def exemplars_for(
    name: str, source: str | None = None, test_path: str | None = None, avoid: set[str] | None = None
) -> list[Exemplar]:
    """The few-shot exemplars of benchmark `name`, minus any whose question is in `avoid`."""
    fmt = FORMATS[name]
    if fmt.exemplars == "split" or source is not None:
        ex = draw_exemplars(name, fmt.shots, source, test_path)
    else:
        ex = list(_written_sets()[fmt.exemplars][: fmt.shots])
    avoid = avoid or set()
    return [e for e in ex if e.question.strip() not in avoid]


def _choice_lines(choices: tuple[str, ...]) -> str:
    """Options one per line, lettered "(A) …" unless the source already letters them ("A) …")."""
    lines = []
    for j, c in enumerate(choices):
        c = str(c).strip()
        lines.append(c if re.match(r"^\(?[A-E][).]", c) else f"({'ABCDE'[j]}) {c}")
    return "\n".join(lines)


def _block(fmt: FewShotFormat, question: str, choices: tuple[str, ...]) -> str:
    text = f"{fmt.question_prefix}{question.strip()}"
    if choices:
        text += f"\n{fmt.choices_prefix}{_choice_lines(choices)}"
    return f"{text}\n{fmt.answer_prefix}"


def fewshot_prompt(item: BenchmarkItem, exemplars: list[Exemplar]) -> str:
    """Exemplar blocks, then the item's question; the model writes the solution after the prefix."""
    fmt = FORMATS[item.benchmark]
    shots = [f"{_block(fmt, e.question, e.choices)} {e.cot}" for e in exemplars]
    return "\n\n".join([*shots, _block(fmt, item.question, item.choices)])


def zeroshot_prompt(item: BenchmarkItem, tokenizer) -> str:
    """The question (and options), the step-by-step instruction, through the chat template."""
    from training.chat import prompt_text

    question = item.question.strip()
    if item.choices:
        question += "\n" + _choice_lines(item.choices)
    return prompt_text(tokenizer, f"{question}\n{ZERO_SHOT_INSTRUCTION}")


def stop_sequences(name: str, mode: str) -> list[str]:
    """Where generation ends: the next exemplar header (few-shot); EOS only (zero-shot)."""
    return list(FORMATS[name].stop) if mode == "fewshot" else []
