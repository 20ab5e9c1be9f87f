"""Benchmark decontamination (DeepSeekMath §2.1): the 10-gram rule and the 3-9-gram exact rule.

normalize.py (text -> tokens), hashing.py (n-gram hashes), informative.py (which grams count),
index.py (the benchmark index), matcher.py (one page), stage.py (shards), report.py, cli.py.
See docs/decontamination.md.
"""

from corpus.decontam.config import DecontamConfig
from corpus.decontam.stage import run_decontaminate

__all__ = ["DecontamConfig", "run_decontaminate"]
