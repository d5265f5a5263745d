"""Append benchmark figures to bench/RESULTS.md with the machine facts."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "| benchmark | metric | value | target | met | date | commit | machine | note |\n"
    "|---|---|---|---|---|---|---|---|---|\n"
)


def machine() -> str:
    """Short description of this machine: cores, memory, CPU model, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, {cpu}, Python {platform.python_version()}"


def commit() -> str:
    """The current git commit (short), with '+dirty' when the tree has changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(benchmark: str, metric: str, value: str, target: str, met: bool, note: str = "") -> None:
    """Append one row to bench/RESULTS.md (creating the table if needed) and print it."""
    if not RESULTS.exists() or "| benchmark |" not in RESULTS.read_text():
        with RESULTS.open("a") as fh:
            fh.write("# Benchmark results\n\nRerun any benchmark with the command in its "
                     "docstring; "
                     "each run appends its rows here.\n\n" + HEADER)
    row = (
        f"| {benchmark} | {metric} | {value} | {target} | {'yes' if met else 'NO'} "
        f"| {dt.date.today().isoformat()} | {commit()} | {machine()} | {note} |\n"
    )
    with RESULTS.open("a") as fh:
        fh.write(row)
    print(row, end="")
