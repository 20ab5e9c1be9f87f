"""The benchmark registry shared by decontamination (corpus) and evaluation (training).

Each benchmark loads from its hub id through `datasets`, or from a local file in the formats kept in
../shared/data (JSONL, gzipped JSONL, MGSM's headerless TSV). Every row becomes a `BenchmarkItem`
with the question, the reference solution (when there is one) and the gold final answer.

    items = load_benchmark("gsm8k")                          # hub: openai/gsm8k, test split
    items = load_benchmark("gsm8k", "../shared/data/gsm8k/test.jsonl")
    name, path = parse_benchmark_arg("math=../shared/data/math/test.jsonl.gz")
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fsspec


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str
    id: str
    question: str
    answer: str  # gold final answer ("" when the source gives none)
    solution: str = ""  # worked solution, when the source has one
    choices: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def texts(self) -> list[str]:
        """Every text of the item that must not leak into the corpus (question, solution, choices)."""
        return [t for t in (self.question, self.solution, *self.choices) if t and t.strip()]


def last_boxed(text: str) -> str | None:
    r"""Content of the last \boxed{...} (or \fbox{...}) in `text`, braces balanced; None if absent.

    >>> last_boxed(r"so $x = \boxed{\frac{1}{2}}$.")
    '\\frac{1}{2}'
    """
    idx = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if idx < 0:
        return None
    i = text.find("{", idx)
    if i < 0:
        m = re.match(r"\\boxed (\S+)", text[idx:])  # "\boxed 5" form
        return m.group(1) if m else None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None


def gsm8k_answer(solution: str) -> str:
    """GSM8K's gold answer: the text after the last '####', commas removed."""
    if "####" not in solution:
        return ""
    return solution.rsplit("####", 1)[1].strip().replace(",", "")


# --- row parsers: one per source format, tolerant of hub and local spellings of the fields ----------


def _gsm8k(row: dict, i: int) -> dict:
    return {"question": row["question"], "solution": row["answer"], "answer": gsm8k_answer(row["answer"])}


def _math(row: dict, i: int) -> dict:
    sol = row.get("solution", "")
    ans = row.get("answer") or last_boxed(sol) or ""
    meta = {k: row[k] for k in ("level", "type", "subject") if k in row}
    if "subject" in meta and "type" not in meta:
        meta["type"] = meta["subject"]
    if isinstance(meta.get("level"), int):
        meta["level"] = f"Level {meta['level']}"
    return {
        "question": row["problem"],
        "solution": sol,
        "answer": ans,
        "meta": meta,
        "id": row.get("unique_id", row.get("idx", i)),
    }


def _cmath(row: dict, i: int) -> dict:
    return {
        "question": row.get("question") or row.get("input"),
        "answer": str(row["golden"]),
        "meta": {"grade": row.get("grade")},
    }


def _agieval(row: dict, i: int) -> dict:
    q = row.get("question") or row.get("query") or ""
    if row.get("passage"):
        q = f"{row['passage']}\n{q}"
    other = row.get("other") or {}
    choices = tuple(row.get("options") or row.get("choices") or ())
    ans = row.get("answer") or row.get("label") or ""
    if isinstance(ans, list):
        ans = ",".join(map(str, ans))
    return {
        "question": q,
        "choices": choices,
        "answer": str(ans),
        "solution": other.get("solution", "") if isinstance(other, dict) else "",
    }


def _mgsm(row: dict, i: int) -> dict:
    if "messages" in row:
        return {
            "question": row["messages"][0]["content"],
            "answer": str(row["answer"]),
            "id": row.get("id", i),
        }
    return {"question": row["question"], "answer": str(row.get("answer_number", row.get("answer", "")))}


def _mmlu(row: dict, i: int) -> dict:
    choices = tuple(row.get("options") or row.get("choices") or ())
    ans = row["answer"]
    if isinstance(ans, int):
        ans = "ABCD"[ans]
    return {
        "question": row["question"],
        "choices": choices,
        "answer": str(ans),
        "meta": {"topic": row.get("topic", row.get("subject"))},
        "id": row.get("id", i),
    }


def _sat(row: dict, i: int) -> dict:
    opts = row.get("options", "")
    choices = tuple(re.split(r"\s(?=[B-E]\) )", opts)) if isinstance(opts, str) else tuple(opts)
    return {
        "question": row["question"],
        "choices": choices,
        "answer": row.get("Answer", row.get("answer", "")),
        "id": row.get("id", i),
    }


def _ocw(row: dict, i: int) -> dict:
    return {
        "question": row["problem"],
        "solution": row.get("solution", ""),
        "answer": row.get("answer", ""),
        "id": row.get("id", i),
    }


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    parse: Callable[[dict, int], dict]
    hub_id: str
    hub_configs: tuple[str | None, ...] = (None,)
    split: str = "test"
    lang: str = "en"  # the gram unit for decontamination follows it: words (en) or characters (zh)
    few_shot_split: str | None = None  # where few-shot exemplars come from (never the test split)


MATH_SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)
MMLU_STEM = (
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "college_biology",
    "college_chemistry",
    "college_computer_science",
    "college_mathematics",
    "college_physics",
    "computer_security",
    "conceptual_physics",
    "electrical_engineering",
    "elementary_mathematics",
    "high_school_biology",
    "high_school_chemistry",
    "high_school_computer_science",
    "high_school_mathematics",
    "high_school_physics",
    "high_school_statistics",
    "machine_learning",
)

REGISTRY: dict[str, BenchmarkSpec] = {
    s.name: s
    for s in [
        BenchmarkSpec("gsm8k", _gsm8k, "openai/gsm8k", ("main",), few_shot_split="train"),
        BenchmarkSpec("math", _math, "EleutherAI/hendrycks_math", MATH_SUBJECTS, few_shot_split="train"),
        BenchmarkSpec("math500", _math, "HuggingFaceH4/MATH-500"),
        BenchmarkSpec("cmath", _cmath, "weitianwen/cmath", lang="zh", few_shot_split="validation"),
        BenchmarkSpec("agieval-gaokao-mathqa", _agieval, "hails/agieval-gaokao-mathqa", lang="zh"),
        BenchmarkSpec("agieval-gaokao-mathcloze", _agieval, "hails/agieval-gaokao-mathcloze", lang="zh"),
        BenchmarkSpec("agieval-math", _agieval, "hails/agieval-math"),
        BenchmarkSpec("agieval-sat-math", _agieval, "hails/agieval-sat-math"),
        BenchmarkSpec("agieval-aqua-rat", _agieval, "hails/agieval-aqua-rat"),
        BenchmarkSpec("mgsm-zh", _mgsm, "juletxara/mgsm", ("zh",), lang="zh"),
        BenchmarkSpec("mmlu-stem", _mmlu, "cais/mmlu", MMLU_STEM, few_shot_split="dev"),
        BenchmarkSpec("ocw", _ocw, "zhangirazerbayev/ocwcourses"),
        BenchmarkSpec("sat", _sat, "mcaleste/sat_multiple_choice_math_may_23", split="train"),
    ]
}


def parse_benchmark_arg(arg: str) -> tuple[str, str | None]:
    """'NAME' or 'NAME=PATH' -> (name, path or None). Unknown names raise with the known ones."""
    name, _, path = arg.partition("=")
    name = name.strip()
    if name not in REGISTRY:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return name, (path.strip() or None)


def _read_rows(path: str) -> Iterator[dict]:
    with fsspec.open(path, "rb") as raw:
        data = raw.read()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    if path.endswith((".tsv", ".tsv.gz")):
        for row in csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE):
            if row:
                yield {"question": row[0], "answer": row[1] if len(row) > 1 else ""}
        return
    if path.endswith((".parquet",)):
        import pyarrow.parquet as pq

        yield from pq.read_table(io.BytesIO(data)).to_pylist()
        return
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e.msg})") from None


def _hub_rows(spec: BenchmarkSpec, split: str) -> Iterator[dict]:
    import datasets

    for config in spec.hub_configs:
        yield from datasets.load_dataset(spec.hub_id, config, split=split)


def _choice_text(c: Any) -> str:
    """Choices as text: some sources hold numbers, and pandas-made files hold NaN for a missing one."""
    if c is None or (isinstance(c, float) and c != c):
        return ""
    return str(c)


def load_benchmark(
    name: str, path: str | Path | None = None, split: str | None = None, limit: int | None = None
) -> list[BenchmarkItem]:
    """Items of benchmark `name` from a local file/URL `path`, or from the hub when `path` is None."""
    spec = REGISTRY[parse_benchmark_arg(name)[0]]
    rows = _read_rows(str(path)) if path is not None else _hub_rows(spec, split or spec.split)
    items = []
    for i, row in enumerate(rows):
        if limit is not None and i >= limit:
            break
        try:
            parsed = spec.parse(row, i)
        except (KeyError, TypeError) as e:
            raise ValueError(f"{name} row {i} lacks field {e} (source: {path or spec.hub_id})") from None
        items.append(
            BenchmarkItem(
                benchmark=name,
                id=str(parsed.pop("id", i)),
                question=parsed.pop("question") or "",
                answer=str(parsed.pop("answer", "") or ""),
                solution=parsed.pop("solution", "") or "",
                choices=tuple(_choice_text(c) for c in parsed.pop("choices", ()) or ()),
                meta=parsed.pop("meta", {}) or {},
            )
        )
    return items
