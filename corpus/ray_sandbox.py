"""A throwaway Ray cluster on this machine, in a private network namespace with only loopback.

Ray binds the machine's network address, not loopback, and `ray stop` ends every Ray process it can
see. Inside `unshare -n -p -f --mount-proc` (needs root) Ray can only use 127.0.0.1 and `ray stop`
ends only the namespace's own processes, so tests, benchmarks and a laptop trial of
`--executor ray` never touch anything else on the machine. A real cluster needs none of this: start
`ray start --head` on one node and `ray start --address=HEAD:6379` on the others, then run with
`RAY_ADDRESS=HEAD:6379` (see README).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

PORT = 6380
REPO_ROOT = Path(__file__).resolve().parents[1]


def sandbox_script(command: list[str], workers: int, cpus_per_worker: int = 1) -> str:
    """Bash script that starts a head (no CPUs: it only schedules) and `workers` worker nodes,
    runs `command` against them, and always stops the cluster."""
    ray = shlex.quote(str(Path(sys.executable).with_name("ray")))
    lines = [
        "set -u",
        "ip link set lo up",
        # Ray keeps sockets, session files and logs in /tmp/ray; a private tmpfs there (this mount
        # namespace only) keeps concurrent sandboxes from finding each other's sessions.
        "mkdir -p /tmp/ray && mount -t tmpfs -o size=2g tmpfs /tmp/ray || exit 96",
        f"export RAY_USAGE_STATS_ENABLED=0 RAY_ADDRESS=127.0.0.1:{PORT}",
        # Loopback only, so no token auth; explicit, because Ray turns it on in head and workers
        # independently when it finds a ~/.ray/auth_token someone else left in this HOME.
        "export RAY_AUTH_MODE=disabled",
        # Ray workers inherit the environment of `ray start`, not the driver's: put this checkout
        # first on their path so they run the same stage code as the driver.
        f"export PYTHONPATH={shlex.quote(str(REPO_ROOT))}${{PYTHONPATH:+:$PYTHONPATH}}",
        f"{ray} start --head --node-ip-address=127.0.0.1 --port={PORT} --num-cpus=0 "
        "--include-dashboard=false --disable-usage-stats >/tmp/ray/sandbox-head.log 2>&1 "
        "|| { cat /tmp/ray/sandbox-head.log; exit 97; }",
    ]
    for i in range(workers):
        lines.append(
            f"{ray} start --address=127.0.0.1:{PORT} --node-ip-address=127.0.0.1 --num-cpus={cpus_per_worker} "
            f">/tmp/ray/sandbox-worker-{i}.log 2>&1 || {{ cat /tmp/ray/sandbox-worker-{i}.log; exit 98; }}"
        )
    lines += [
        f"{shlex.join(command)}",
        "rc=$?",
        f"{ray} stop --force >/dev/null 2>&1",
        "exit $rc",
    ]
    return "\n".join(lines)


def available() -> str | None:
    """None when a sandbox can be started here, else the reason it cannot."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2)"
    if os.geteuid() != 0:
        return "needs root for unshare -n"
    if not Path(sys.executable).with_name("ray").exists():
        return "Ray is not installed (pip install mathmine[ray])"
    return None


def run_in_sandbox(
    command: list[str], workers: int = 2, timeout: float = 900, **kwargs
) -> subprocess.CompletedProcess:
    """Run `command` with RAY_ADDRESS pointing at a fresh sandboxed cluster of `workers` nodes."""
    reason = available()
    if reason:
        raise RuntimeError(f"cannot start a Ray sandbox: {reason}")
    script = sandbox_script(command, workers)
    return subprocess.run(
        ["unshare", "-n", "-p", "-f", "--mount-proc", "bash", "-c", script],
        timeout=timeout,
        text=True,
        capture_output=True,
        **kwargs,
    )
