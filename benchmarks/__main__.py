"""`python -m benchmarks [NAME ...]`: run every benchmarks/bench_*.py module (or those named)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in argv] or names
    unknown = set(wanted) - set(names)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}")
        return 2
    failed = []
    for name in wanted:
        print(f"\n=== {name}", flush=True)
        try:
            importlib.import_module(f"benchmarks.{name}").main()
        except Exception as e:  # one broken benchmark must not hide the others' results
            print(f"{name} failed: {type(e).__name__}: {e}")
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
