"""Render a run's HTML stats report in headless Chromium and save a screenshot.

    python -m benchmarks.screenshot_stats [RUN] [--png docs/img/stats-report.png]

RUN defaults to a fresh sample run generated in a temporary folder (`mathmine corpus run` on
pipelines/sample.yaml, ~1 min). Chromium is Debian's `chromium` package (`apt-get install -y chromium`).
The screenshot is how a reviewer checks that the self-contained page really shows its plots and
tables without network access.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-sync",
    "--disable-component-update",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(html: Path, png: Path, width: int = 1400, height: int = 3000, timeout: float = 120) -> Path:
    """Open `html` in headless Chromium and write a `width` x `height` screenshot to `png`."""
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("chromium not found: apt-get install -y chromium")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mathmine-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return png


def make_sample_run(run: Path, rounds: int = 3) -> Path:
    """A fresh run of the embedded sample recipe (the pipeline as `make corpus` runs it)."""
    cmd = [
        sys.executable,
        "-m",
        "corpus.cli",
        "corpus",
        "run",
        "--recipe",
        str(REPO / "pipelines" / "sample.yaml"),
        "--run",
        str(run),
        "--rounds",
        str(rounds),
    ]
    subprocess.run(cmd, check=True, cwd=REPO)
    return run


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "run", nargs="?", help="run directory (default: generate the sample run in a temp folder)"
    )
    ap.add_argument("--png", default=str(REPO / "docs" / "img" / "stats-report.png"))
    ap.add_argument("--height", type=int, default=3000)
    args = ap.parse_args(argv)
    from corpus.stats.collect import collect
    from corpus.stats.html import to_html

    with tempfile.TemporaryDirectory(prefix="mathmine-shot-") as tmp:
        run = Path(args.run) if args.run else make_sample_run(Path(tmp) / "run")
        html = Path(tmp) / "report.html"
        html.write_text(to_html(collect(str(run))), encoding="utf-8")
        png = screenshot(html, Path(args.png), height=args.height)
    print(f"screenshot: {png}")
    return png


if __name__ == "__main__":
    main()
