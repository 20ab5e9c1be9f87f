"""Executors map a stage function over tasks: a local process pool (default) or Ray.

A task is a name (unique in its stage, used for its completion record) and keyword arguments for
the stage function. The function writes its outputs atomically and returns a small stats dict; the
executor then writes the completion record. A rerun skips tasks that have one, so a killed run
resumes where it stopped and, since stages are deterministic, gives identical output.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from corpus import shards

log = logging.getLogger(__name__)


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

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
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
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=mp.get_context("forkserver")
            )
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


# Environment the driver forwards to Ray workers. Workers inherit the environment of the `ray start`
# that launched their node, not the driver's, so settings the stages read (the language-ID model
# path, hub offline mode, an S3 endpoint) are passed explicitly. Credentials are not forwarded:
# nodes get them the usual way (instance role, AWS_* variables or ~/.aws on each node).
FORWARD_ENV_PREFIXES = ("MATHMINE_", "FSSPEC_")
FORWARD_ENV = (
    "HF_HUB_OFFLINE",
    "TOKENIZERS_PARALLELISM",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
)


def forwarded_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The driver's variables that Ray workers should see (see FORWARD_ENV)."""
    env = os.environ if environ is None else environ
    return {k: v for k, v in env.items() if k in FORWARD_ENV or k.startswith(FORWARD_ENV_PREFIXES)}


class TaskFailed(RuntimeError):
    """A task still failed after its retries; names the stage and task."""


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast, with a readable message, when a `host:port` (or `ray://host:port`) Ray address does
    not answer; `ray.init` itself can wait a long time before giving up. "auto"/"local" pass."""
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise RuntimeError(
            f"RAY_ADDRESS {address!r} is not host:port (e.g. 10.0.0.5:6379 or ray://head:10001)"
        )
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise RuntimeError(
            f"cannot reach the Ray cluster at {address} ({e}); start it with `ray start --head` on the head "
            "node and check RAY_ADDRESS, or run with --executor local"
        ) from e


class RayExecutor(Executor):
    """Ray tasks over an existing cluster (RAY_ADDRESS or `address`), or a local Ray when neither is set.

    - A worker that dies mid-task (killed, out of memory, node lost) is retried by Ray up to
      `max_retries` times. Its partial output never counts: shards are written under a temporary name
      and renamed, and the completion record is written here, after the task returned.
    - A task that raises is resubmitted up to `retry_exceptions` times (transient S3 errors, say),
      then the run stops with the task's error; a rerun skips every task with a completion record.
    - At most `max_in_flight` tasks are submitted at a time, so a stage of 90,000 WARC files does not
      put 90,000 argument sets into the object store at once.
    - Each task asks for `num_cpus` CPUs (stages are single-threaded; ingest's extractor subprocess
      alternates with its parent) and `memory` bytes when set, for Ray's scheduler.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        max_retries: int = 3,
        retry_exceptions: int = 1,
        num_cpus: float = 1,
        memory: int | None = None,
        max_in_flight: int = 1000,
    ):
        try:
            import ray
        except ImportError as e:  # pragma: no cover - depends on the extra
            raise RuntimeError("the Ray executor needs `pip install mathmine[ray]`") from e
        self.ray = ray
        self.max_retries = max_retries
        self.retry_exceptions = retry_exceptions
        self.num_cpus = num_cpus
        self.memory = memory
        self.max_in_flight = max(1, max_in_flight)
        self.retried = 0  # application-error resubmissions so far (reported in the logs)
        self._owns_ray = False
        if not ray.is_initialized():
            address = address or os.environ.get("RAY_ADDRESS") or None
            if address:
                check_reachable(address)
            try:
                ray.init(
                    address=address,
                    log_to_driver=False,
                    runtime_env={"env_vars": forwarded_env()},
                    configure_logging=False,
                )
            except ConnectionError as e:
                raise RuntimeError(f"cannot connect to the Ray cluster at {address}: {e}") from e
            self._owns_ray = True
        self._remote = ray.remote(_call)
        self._options: dict[str, Any] = dict(
            max_retries=max_retries,
            retry_exceptions=False,  # application errors are resubmitted by _map, with their own bound
            num_cpus=num_cpus,
            **({"memory": memory} if memory else {}),
        )

    def close(self) -> None:
        """Disconnect from the cluster (the cluster itself keeps running)."""
        if self._owns_ray and self.ray.is_initialized():
            self.ray.shutdown()
        self._owns_ray = False

    def __enter__(self) -> RayExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _map(self, fn: StageFn, tasks: Sequence[Task]):
        ray = self.ray
        queue = list(reversed(tasks))  # pop() from the end keeps submission in task order
        pending: dict[Any, tuple[Task, int]] = {}
        fn_ref = ray.put(fn)  # one copy of the function per stage, not one per task
        # named after the stage function: workers show up as `ray::score_shard` in ps and the dashboard
        remote = self._remote.options(**self._options, name=getattr(fn, "__name__", "stage"))

        def submit(task: Task, attempt: int) -> None:
            pending[remote.remote(fn_ref, task.kwargs)] = (task, attempt)

        try:
            while queue or pending:
                while queue and len(pending) < self.max_in_flight:
                    submit(queue.pop(), 0)
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    task, attempt = pending.pop(ref)
                    try:
                        stats = ray.get(ref)
                    except ray.exceptions.RayTaskError as e:
                        if attempt < self.retry_exceptions:
                            log.warning("task %s failed (%s); retrying", task.name, _first_line(e))
                            self.retried += 1
                            submit(task, attempt + 1)
                            continue
                        raise TaskFailed(f"task {task.name} failed after {attempt + 1} attempt(s)") from e
                    except ray.exceptions.RayError as e:  # worker/node died more than max_retries times
                        raise TaskFailed(
                            f"task {task.name}: Ray gave up after {self.max_retries} retries: {_first_line(e)}"
                        ) from e
                    yield task, stats
        finally:
            for ref in pending:  # on error, don't leave queued work running behind the caller's back
                ray.cancel(ref, force=False)


def _first_line(e: BaseException) -> str:
    lines = [ln for ln in str(e).splitlines() if ln.strip()]
    return lines[-1] if lines else type(e).__name__


def _call(fn: StageFn, kwargs: dict[str, Any]) -> dict[str, Any]:
    return fn(**kwargs)


def executor_option(dest: str = "executor"):
    """The `--executor local|ray` option every stage command takes, stored in parameter `dest`."""
    import click

    return click.option(
        "--executor",
        dest,
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="local: a process pool on this machine; ray: the Ray cluster at RAY_ADDRESS (docs/ray.md).",
    )


def make_executor(kind: str = "local", workers: int | None = None) -> Executor:
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "ray":
        env = os.environ
        return RayExecutor(
            max_retries=int(env.get("MATHMINE_RAY_MAX_RETRIES", 3)),
            retry_exceptions=int(env.get("MATHMINE_RAY_RETRY_EXCEPTIONS", 1)),
            num_cpus=float(env.get("MATHMINE_RAY_CPUS_PER_TASK", 1)),
            memory=int(env["MATHMINE_RAY_MEMORY_PER_TASK"])
            if env.get("MATHMINE_RAY_MEMORY_PER_TASK")
            else None,
        )
    raise ValueError(f"unknown executor {kind!r}: choose local or ray")
