"""Benchmark decontamination: the 10-gram rule and exact matching of short benchmark texts (docs/decontamination.md)."""

from corpus.decontam.config import DecontamConfig
from corpus.decontam.stage import run_decontaminate

__all__ = ["DecontamConfig", "run_decontaminate"]
