"""Per-job start-up: wall time of a topology job run as Snakemake runs it, and of a landscape job's imports.

    .venv/bin/python benchmarks/startup.py [--repeats 5]

The job: a temporary workflow whose one rule runs workflow/scripts/topology.py on a saved 41x41
landscape (the default run's 2-D size), with the default topology settings. In interleaved rounds:
  snakemake start-up   `snakemake --cores 1` with its outputs up to date (parse, DAG, nothing to do);
  snakemake + job      `snakemake --cores 1 --forceall`;
  topology job         their difference: what one job adds to a run (python start, the script's
                       preamble unpickling the snakemake object, the script's imports, numba loading
                       its cached merge-tree code, the merge tree itself, Snakemake's bookkeeping).
Then its parts, each a fresh python process: the interpreter alone; the preamble's imports; the
topology script's own imports; the script Snakemake generated for the job, run directly (with the
numba cache in place, and with an empty NUMBA_CACHE_DIR, as the first job after a clone or an edit of
the numba code); the landscape script's imports. Medians of --repeats; wall and CPU seconds (user +
sys of the child processes; on a shared machine the CPU seconds are the steadier number). Last, the
packages that dominate the topology script's imports (`python -X importtime`).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY_SCRIPT = ROOT / "workflow" / "scripts" / "topology.py"
LANDSCAPE_SCRIPT = ROOT / "workflow" / "scripts" / "landscape.py"
SNAKEFILE = """
rule topology:
    input:
        landscape="landscape.npz",
    output:
        json="topology.json",
        npz="topology.npz",
    log:
        "topology.log",
    params:
        topology={{"connectivity": "ttk", "k": 8, "persistence_threshold": 0.0}},
    script:
        "{script}"
"""
PREAMBLE_IMPORTS = ("import pickle; from snakemake.logging import logger; "
                    "from snakemake.iocontainers import Snakemake")


def write_landscape(path: Path, steps: int = 41, seed: int = 0) -> None:
    """A bowl with a few dozen Gaussian wells, saved as the landscape rule saves it (loss, axes)."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(-1.0, 1.0, steps)
    a, b = np.meshgrid(axis, axis, indexing="ij")
    loss = 1.0 + a**2 + b**2
    for ca, cb, depth in zip(*rng.uniform(-1, 1, (2, 30)), rng.uniform(0.05, 0.3, 30)):
        loss -= depth * np.exp(-((a - ca) ** 2 + (b - cb) ** 2) / 0.01)
    np.savez(path, loss=loss.astype(np.float32), axes=np.stack([axis, axis]))


def import_block(script: Path) -> str:
    """The module-level imports of a script, with the statements between them (e.g. matplotlib.use)."""
    body = ast.parse(script.read_text()).body
    last = max(i for i, node in enumerate(body) if isinstance(node, (ast.Import, ast.ImportFrom)))
    return "\n".join(ast.unparse(node) for node in body[: last + 1]
                     if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)))


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of a command and all its descendants; fails loudly with its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        command = " ".join(cmd)
        raise RuntimeError(f"{command} failed in {cwd} (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def snakemake(workdir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--cores", "1", "--directory", str(workdir),
            "--snakefile", str(workdir / "Snakefile"), *extra]


def generated_script(workdir: Path) -> Path:
    """Run the job once keeping the script Snakemake generates (preamble + topology.py) and return it."""
    timed(snakemake(workdir, "--forceall", "--skip-script-cleanup"), workdir)
    scripts = sorted((workdir / ".snakemake" / "scripts").glob("*topology.py"), key=os.path.getmtime)
    if not scripts:
        raise RuntimeError(f"no generated topology script under {workdir}/.snakemake/scripts")
    return scripts[-1]


def top_imports(code: str, cwd: Path, n: int = 8) -> list[tuple[str, float]]:
    """The top-level modules that `code` imports, by cumulative import time (s), largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=cwd, capture_output=True,
                          text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if match and not match.group(2):
            rows.append((match.group(3), int(match.group(1)) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:n]


def measure(cases: dict[str, Callable[[], tuple[float, float]]], repeats: int) -> dict[str, list[tuple]]:
    """Each case `repeats` times, in interleaved rounds so that drifting load hits every case alike."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, case in cases.items():
            runs[name].append(case())
    return runs


def row(name: str, wall: float, cpu: float, runs: list[tuple[float, float]] | None = None) -> str:
    walls = " ".join(f"{w:.2f}" for w, _ in runs) if runs else ""
    return f"  {name:<52}{wall:9.2f}{cpu:9.2f}   {walls}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="losstopo-startup-") as tmp:
        workdir = Path(tmp)
        write_landscape(workdir / "landscape.npz")
        (workdir / "Snakefile").write_text(SNAKEFILE.format(script=TOPOLOGY_SCRIPT))
        script = generated_script(workdir)
        py = [sys.executable]
        cold_cache = workdir / "numba-cache"

        def cold() -> tuple[float, float]:
            subprocess.run(["rm", "-rf", str(cold_cache)], check=True)
            return timed([*py, str(script)], workdir, {**env, "NUMBA_CACHE_DIR": str(cold_cache)})

        runs = measure({
            "snakemake start-up (outputs up to date)": lambda: timed(snakemake(workdir), workdir, env),
            "snakemake + one topology job (--forceall)": lambda: timed(snakemake(workdir, "--forceall"),
                                                                       workdir, env),
            "python -c pass": lambda: timed([*py, "-c", "pass"], workdir, env),
            "script preamble's imports (snakemake objects)": lambda: timed([*py, "-c", PREAMBLE_IMPORTS],
                                                                          workdir, env),
            "topology script's imports": lambda: timed([*py, "-c", import_block(TOPOLOGY_SCRIPT)], workdir,
                                                       env),
            "topology job's generated script, run directly": lambda: timed([*py, str(script)], workdir, env),
            "  the same with an empty NUMBA_CACHE_DIR": cold,
            "landscape script's imports": lambda: timed([*py, "-c", import_block(LANDSCAPE_SCRIPT)],
                                                        workdir, env),
        }, args.repeats)
        medians = {name: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r))
                   for name, r in runs.items()}
        imports = top_imports(import_block(TOPOLOGY_SCRIPT), workdir)

    base = medians["snakemake start-up (outputs up to date)"]
    job = medians["snakemake + one topology job (--forceall)"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, medians of {args.repeats} interleaved "
          f"runs; load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':<52}{'wall s':>9}{'CPU s':>9}   wall runs (s)")
    for name in list(runs)[:2]:
        print(row(name, *medians[name], runs[name]))
    print(row("=> topology job (the difference)", job[0] - base[0], job[1] - base[1]))
    print("parts, each a fresh python process:")
    for name in list(runs)[2:]:
        print(row(name, *medians[name], runs[name]))
    print("largest top-level imports of the topology script (python -X importtime, cumulative s):")
    print("  " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in imports))


if __name__ == "__main__":
    main()
