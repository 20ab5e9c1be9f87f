"""Executors map a stage function over tasks: a local process pool (default) or Ray.

A task is a name (unique in its stage, used for its completion record) and keyword arguments for
the stage function. The function writes its outputs atomically and returns a small stats dict; the
executor then writes the completion record. A rerun skips tasks that have one, so a killed run
resumes where it stopped and, since stages are deterministic, gives identical output.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from corpus import shards


@dataclass(frozen=True)
class Task:
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)


StageFn = Callable[..., dict[str, Any]]


def merge_counts(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Sum numeric leaves of nested stats dicts (drop reasons, counters); other values are dropped."""
    out: dict[str, Any] = {}
    for rec in records:
        for k, v in rec.items():
            if isinstance(v, bool):
                continue
            if isinstance(v, (int, float)):
                out[k] = out.get(k, 0) + v
            elif isinstance(v, dict):
                out[k] = merge_counts([out.get(k, {}), v])
    return out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class Executor(ABC):
    """Runs tasks of a stage, skipping completed ones. Subclasses choose where tasks run."""

    name = "base"

    def run(
        self, stage_dir: str, fn: StageFn, tasks: Sequence[Task], desc: str | None = None
    ) -> list[dict[str, Any]]:
        names = [t.name for t in tasks]
        if len(set(names)) != len(names):
            raise ValueError(f"task names in stage {stage_dir} are not unique")
        results: dict[str, dict[str, Any]] = {}
        todo = []
        for t in tasks:
            rec = shards.read_done(stage_dir, t.name)
            if rec is not None:
                results[t.name] = rec
            else:
                todo.append(t)
        bar = tqdm(total=len(tasks), initial=len(results), desc=desc or stage_dir, unit="shard", leave=False)
        try:
            for task, stats in self._map(fn, todo):
                shards.mark_done(stage_dir, task.name, stats)
                results[task.name] = stats
                bar.update(1)
        finally:
            bar.close()
        return [results[n] for n in names]

    def close(self) -> None:
        """Release workers (a no-op where there are none to release)."""

    @abstractmethod
    def _map(self, fn: StageFn, tasks: Sequence[Task]):
        """Yield (task, stats) as tasks finish, in any order."""


class LocalExecutor(Executor):
    """A process pool, kept for the executor's lifetime so workers import the stage modules (and
    load models) once per run rather than once per stage; with one worker, tasks run inline
    (simplest to debug and profile)."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = workers or default_workers()
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # forkserver: workers start from a clean interpreter, never from a forked copy of a parent
            # that may hold threads (tqdm, fastText, torch) or large tables.
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("forkserver"))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _map(self, fn: StageFn, tasks: Sequence[Task]):
        if self.workers <= 1 or len(tasks) <= 1:
            for t in tasks:
                yield t, fn(**t.kwargs)
            return
        pool = self._get_pool()
        pending: dict[Future, Task] = {pool.submit(fn, **t.kwargs): t for t in tasks}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    yield pending.pop(fut), fut.result()
        finally:
            for fut in pending:  # on error, don't leave queued work running behind the caller's back
                fut.cancel()


class RayExecutor(Executor):
    """Ray tasks (retried on worker failure). Connects to RAY_ADDRESS or starts a local Ray."""

    name = "ray"

    def __init__(self, address: str | None = None, max_retries: int = 3, num_cpus_per_task: float = 1):
        try:
            import ray
        except ImportError as e:  # pragma: no cover - depends on the extra
            raise RuntimeError("the Ray executor needs `pip install mathmine[ray]`") from e
        self.ray = ray
        self.max_retries = max_retries
        self.num_cpus = num_cpus_per_task
        if not ray.is_initialized():
            ray.init(address=address or os.environ.get("RAY_ADDRESS"), log_to_driver=False)

    def _map(self, fn: StageFn, tasks: Sequence[Task]):
        ray = self.ray
        remote = ray.remote(max_retries=self.max_retries, retry_exceptions=False, num_cpus=self.num_cpus)(
            _call
        )
        refs = {remote.remote(fn, t.kwargs): t for t in tasks}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                yield refs.pop(ref), ray.get(ref)


def _call(fn: StageFn, kwargs: dict[str, Any]) -> dict[str, Any]:
    return fn(**kwargs)


def make_executor(kind: str = "local", workers: int | None = None) -> Executor:
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "ray":
        return RayExecutor()
    raise ValueError(f"unknown executor {kind!r}: choose local or ray")
