"""Math-preserving HTML extraction (see docs/extract.md): `extract_math(html, url, config)`."""

from corpus.extract.api import ExtractConfig, ExtractResult, extract_math

__all__ = ["ExtractConfig", "ExtractResult", "extract_math"]
