"""The fastText math classifier of DeepSeekMath: training, held-out metrics, batched scoring.

The paper trains fastText (dim 256, lr 0.1, word n-grams 3, min count 3, 3 epochs) on 500K
OpenWebMath positives and 500K random Common Crawl negatives, then ranks every pool page by the
classifier's math probability. fastText itself is the library (no hand-written model); this module
adds what it lacks: a text normalisation that keeps LaTeX commands as tokens, a deterministic
held-out split with precision/recall/F1 and a precision-recall curve saved beside the model, and
list-form batched prediction (fasttext 0.9.3 with numpy 2 raises on `predict("a string")`, the
list form works and is also faster).

Training with `threads > 1` is not bitwise reproducible (fastText's Hogwild updates race), so the
default is one thread: a killed run that retrains its classifier then gets the same model and the
same selection. Raise it for paper-scale seeds if bitwise resumption matters less than time.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import random
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus import shards

log = logging.getLogger(__name__)

POS_LABEL = "__label__math"
NEG_LABEL = "__label__other"
MODEL_FILE = "classifier.bin"
METRICS_FILE = "classifier_metrics.json"
PR_CURVE_PNG = "classifier_pr_curve.png"


@dataclass
class ClassifierConfig:
    """fastText hyperparameters (paper defaults) and the held-out evaluation split."""

    dim: int = 256  # embedding size (paper: 256)
    lr: float = 0.1  # learning rate (paper: 0.1)
    word_ngrams: int = 3  # word n-gram order (paper: 3)
    min_count: int = 3  # minimal word count in the seed (paper: 3)
    epoch: int = 3  # passes over the seed (paper: 3)
    bucket: int = 2_000_000  # hash buckets for n-grams (fastText default; lower it for small seeds)
    threads: int = 1  # training threads; 1 keeps training bitwise reproducible (see module doc)
    seed: int = 0  # fastText's random seed and the held-out split's seed
    heldout_fraction: float = 0.1  # share of the seed kept out of training for the metrics
    max_tokens: int = 2000  # normalised tokens kept per document (long pages say enough early)
    batch_size: int = 512  # documents per list-form predict call when scoring


# LaTeX commands (\frac), words/numbers, then any other single non-space character (punctuation,
# operators, CJK characters) as its own token: "x^2+\alpha," -> "x ^ 2 + \alpha ,".
_TOKEN_RE = re.compile(r"\\[a-z]+|[^\W_]+|[^\w\s]|_", re.UNICODE)


def normalize(text: str, max_tokens: int = 2000) -> str:
    """Lower-case, split punctuation and operators from words, keep LaTeX commands whole, and join
    with single spaces on one line (fastText reads one example per line)."""
    toks = _TOKEN_RE.findall(text.lower())
    if max_tokens and len(toks) > max_tokens:
        toks = toks[:max_tokens]
    return " ".join(toks)


def _split_heldout(
    pos: Sequence[str], neg: Sequence[str], fraction: float, seed: int
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Deterministic shuffled train/held-out split of (label, text) pairs, stratified by label."""
    rng = random.Random(seed)
    train, held = [], []
    for label, texts in ((1, pos), (0, neg)):
        idx = list(range(len(texts)))
        rng.shuffle(idx)
        k = int(round(len(idx) * fraction)) if len(idx) >= 10 else 0
        held += [(label, texts[i]) for i in idx[:k]]
        train += [(label, texts[i]) for i in idx[k:]]
    rng.shuffle(train)
    return train, held


def pr_curve(labels: np.ndarray, scores: np.ndarray) -> dict[str, list[float]]:
    """Precision and recall at every distinct score threshold (descending), plus average precision.

    Written by hand because it is a dozen numpy lines and scikit-learn is not a dependency."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    tp = np.cumsum(y)
    fp = np.cumsum(1 - y)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # last index of each distinct score
    n_pos = max(int(y.sum()), 1)
    precision = tp[last] / np.maximum(tp[last] + fp[last], 1)
    recall = tp[last] / n_pos
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return {
        "thresholds": s[last].astype(float).tolist(),
        "precision": precision.astype(float).tolist(),
        "recall": recall.astype(float).tolist(),
        "average_precision": ap,
    }


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    pred = scores >= threshold
    tp = int(np.sum(pred & (labels == 1)))
    fp = int(np.sum(pred & (labels == 0)))
    fn = int(np.sum(~pred & (labels == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"threshold": threshold, "precision": p, "recall": r, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def _plot_pr(curve: dict[str, list[float]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # headless: data boxes have no display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(curve["recall"], curve["precision"], drawstyle="steps-post")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.set_title(f"{title} (AP {curve['average_precision']:.3f})")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})  # no timestamp: stable bytes
    plt.close(fig)


def train_classifier(
    positives: Sequence[str], negatives: Sequence[str], out_dir: str | Path, cfg: ClassifierConfig
) -> dict[str, Any]:
    """Train on normalised seed texts, evaluate on a held-out split, save model + metrics + PR curve
    in `out_dir` (a local path or an fsspec URL); return the metrics dict."""
    if _is_remote(str(out_dir)):
        # fastText reads and writes local files only: train in a scratch folder, then upload
        import tempfile

        with tempfile.TemporaryDirectory(prefix="mathmine-clf-") as tmp:
            metrics = train_classifier(positives, negatives, tmp, cfg)
            for name in (MODEL_FILE, METRICS_FILE, PR_CURVE_PNG):
                if (Path(tmp) / name).exists():
                    data = (Path(tmp) / name).read_bytes()
                    shards._atomic_write(shards.join(str(out_dir), name), lambda f, d=data: f.write(d))
        return metrics
    import fasttext

    if not positives or not negatives:
        raise ValueError(f"the seed needs positives and negatives (got {len(positives)} / {len(negatives)})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pos = [normalize(t, cfg.max_tokens) for t in positives]
    neg = [normalize(t, cfg.max_tokens) for t in negatives]
    train, held = _split_heldout(pos, neg, cfg.heldout_fraction, cfg.seed)
    train_file = out / "classifier_train.txt"
    with train_file.open("w", encoding="utf-8") as f:
        for label, text in train:
            f.write(f"{POS_LABEL if label else NEG_LABEL} {text}\n")
    params = dict(
        dim=cfg.dim,
        lr=cfg.lr,
        wordNgrams=cfg.word_ngrams,
        minCount=cfg.min_count,
        epoch=cfg.epoch,
        bucket=cfg.bucket,
        thread=cfg.threads,
        seed=cfg.seed,
        loss="softmax",
        verbose=0,
    )
    tmp = out / f".tmp-{MODEL_FILE}"
    # fastText keeps state between trainings in one process (a second train_supervised call gives a
    # different model, sometimes "Encountered NaN"), so every training runs in a fresh process.
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        pool.submit(_fit, str(train_file), params, str(tmp)).result()
    tmp.replace(out / MODEL_FILE)
    model = fasttext.load_model(str(out / MODEL_FILE))
    train_file.unlink()  # the seed shards hold the data; the normalised copy is a scratch file

    metrics: dict[str, Any] = {
        "n_train": len(train),
        "n_heldout": len(held),
        "n_positive": len(pos),
        "n_negative": len(neg),
        "config": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
    }
    if held:
        labels = np.array([lab for lab, _ in held], dtype=np.int64)
        scores = _math_proba(model, [t for _, t in held], cfg.batch_size)
        metrics["heldout"] = binary_metrics(labels, scores)
        curve = pr_curve(labels, scores)
        metrics["pr_curve"] = curve
        _plot_pr(curve, out / PR_CURVE_PNG, "held-out seed")
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2, sort_keys=True))
    return metrics


def _fit(train_file: str, params: dict[str, Any], model_out: str) -> None:
    """Train and save one fastText model (runs in a child process, see train_classifier)."""
    import fasttext

    fasttext.train_supervised(input=train_file, **params).save_model(model_out)


def _math_proba(model: Any, normalised: Sequence[str], batch_size: int) -> np.ndarray:
    """P(math) for already-normalised texts, list-form predict in batches."""
    out = np.empty(len(normalised), dtype=np.float32)
    for start in range(0, len(normalised), batch_size):
        batch = list(normalised[start : start + batch_size])
        labels, probs = model.predict(batch, k=2)
        for i, (labs, ps) in enumerate(zip(labels, probs)):
            p = 0.0
            for lab, pr in zip(labs, ps):
                if lab == POS_LABEL:
                    p = float(pr)
            out[start + i] = min(max(p, 0.0), 1.0)  # fastText adds 1e-5 smoothing; clip to [0, 1]
    return out


class MathClassifier:
    """A trained model on disk, loaded on first use (never at import, once per process)."""

    _cache: dict[str, Any] = {}

    def __init__(self, model_path: str | Path, cfg: ClassifierConfig | None = None):
        self.model_path = str(model_path)
        self.cfg = cfg or ClassifierConfig()

    @property
    def model(self) -> Any:
        if self.model_path not in self._cache:
            import fasttext

            self._cache[self.model_path] = fasttext.load_model(local_copy(self.model_path))
        return self._cache[self.model_path]

    def score(self, texts: Iterable[str]) -> np.ndarray:
        """Math probability per raw text (normalised here, the same way as in training)."""
        norm = [normalize(t or "", self.cfg.max_tokens) for t in texts]
        return _math_proba(self.model, norm, self.cfg.batch_size)


def _is_remote(url: str) -> bool:
    return "://" in url and not url.startswith("file://")


def local_copy(url: str) -> str:
    """A local file path for `url`: the path itself when local, else a copy downloaded once per
    process into a temporary folder (fastText loads local files only; Ray workers on other machines
    see the run directory only through its URL)."""
    if not _is_remote(url):
        path = url.removeprefix("file://")
        if not Path(path).exists():
            raise FileNotFoundError(f"classifier model {url} not found")
        return path
    import hashlib
    import tempfile

    fs, path = shards.url_to_fs(url)
    try:
        info = fs.info(path)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"classifier model {url} not found") from e
    # keyed by the object's version too: a rerun that retrains into the same URL gets a fresh copy
    version = [url, info.get("size"), str(info.get("ETag") or info.get("LastModified") or info.get("mtime"))]
    key = hashlib.sha1(repr(version).encode()).hexdigest()
    dest = Path(tempfile.gettempdir()) / "mathmine-models" / key / MODEL_FILE
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".tmp-{os.getpid()}-{MODEL_FILE}")
        fs.get_file(path, str(tmp))
        tmp.replace(dest)  # atomic: a concurrent worker sees the whole file or none
    return str(dest)
