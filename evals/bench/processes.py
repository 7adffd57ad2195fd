"""Child processes measured from outside: spawned and waited for with their CPU time and peak memory, or served
and stopped; the /proc figures of a running one (Linux)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def run_measured(argv: list[str], env: dict):
    """(wall s, CPU s, peak RSS MB, stdout, stderr) of one child process.

    CPU time comes from the child's own rusage (wait4). Its ru_maxrss would also count this (large) parent's
    memory, inherited through fork until exec, so the peak is VmHWM from /proc, sampled until the child exits.
    """
    started = time.perf_counter()
    peak_kb = 0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                                                               (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        status_file = Path(f"/proc/{pid}/status")
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            try:
                hwm = re.search(r"VmHWM:\s+(\d+)", status_file.read_text())
                peak_kb = max(peak_kb, int(hwm.group(1))) if hwm else peak_kb
            except OSError:
                pass
            time.sleep(0.01)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({code}):\n{stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, stdout, stderr


def stop_process(proc: subprocess.Popen, grace_s: float = 15) -> None:
    """Terminate a server process; kill it if it has not exited after `grace_s` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) / 1024)
    return fields


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process `pid` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
