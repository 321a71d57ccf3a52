"""kill -9 of the whole tiny-config run at five or six points, each followed by the README's documented rerun
(the same command once with `--unlock`, then again): every output ends byte-identical to an
uninterrupted run's, no job that had finished runs again, and nothing partial is left.

The killed run builds three targets that span every kind of job (training, Hessian, 2-D to 4-D
landscapes saved chunk by chunk, topology, Neuro-Visualizer, figures: 25 jobs); the uninterrupted run
is the end-to-end test's run of every target."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, SNAKEMAKE, TINY

TARGETS = ["fig_pA5_profiles_nd", "fig_t2_pinn_failure", "fig_n7_beta"]
COMMAND = [SNAKEMAKE, *TARGETS, "--snakefile", ROOT / "workflow/Snakefile", "--profile", ROOT / "profiles/local",
           "--cores", "2", "--configfile", TINY]
OUTPUT = re.compile(r"^\s+output: (.+)$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
FINISHED = re.compile(r"^Finished jobid: (\d+) ")


def _files(results: Path) -> set[str]:
    """Every file under results/, as a path relative to the working directory."""
    root = results.parent
    return {str(Path(d, f).relative_to(root)) for d, _, names in os.walk(results) for f in names}


def _missing(work: Path, path: str, suffix: str) -> bool:
    return not (work / path).with_suffix(suffix).exists()


# (what is interrupted, condition on the files that appeared since this attempt started); the run's order
# of jobs varies, so a point whose jobs all finished between two kills may never come: five of six must.
KillPoint = tuple[str, Callable[[Path, set[str]], bool]]
KILL_POINTS: list[KillPoint] = [
    ("a training job, right after its first output", lambda w, new: any(p.endswith("/model.pt") for p in new)),
    ("a landscape between two saved chunks", lambda w, new: any(".npz.partial/" in p for p in new)),
    ("a landscape job between its .npz and its .png (multi-output, mid-write)",
     lambda w, new: any(re.search(r"/landscape_\w+\.npz$", p) and _missing(w, p, ".png") for p in new)),
    ("the topology stage", lambda w, new: any("/topology_" in p for p in new)),
    ("a Neuro-Visualizer job", lambda w, new: any(p.startswith("results/neurovis/") for p in new)),
    ("a figure job between its .png and its .pdf",
     lambda w, new: any(p.startswith("results/figures/") and p.endswith(".png") and _missing(w, p, ".pdf")
                        for p in new)),
]


def _attempt(work: Path, log: Path, points: list[KillPoint]) -> KillPoint | None:
    """One run, SIGKILLed with its whole process group as soon as one of `points` holds; that point, or
    None when the run ended by itself (which must then be a success)."""
    before = _files(work / "results") if (work / "results").exists() else set()
    with open(log, "w") as out:
        run = subprocess.Popen([*COMMAND, "--directory", work], stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
        deadline = time.monotonic() + 900
        while run.poll() is None:
            assert time.monotonic() < deadline, f"the run did not end in 900 s; see {log}"
            if points and (work / "results").exists():
                new = _files(work / "results") - before
                hit = next((point for point in points if point[1](work, new)), None)
                if hit is not None:
                    os.killpg(run.pid, signal.SIGKILL)
                    run.wait()
                    return hit
            time.sleep(0.01)
    assert run.returncode == 0, log.read_text()[-6000:]
    return None


def _finished_outputs(log: Path) -> set[str]:
    """The outputs of every job that the run's log reports finished."""
    outputs, current, finished = {}, [], set()
    for line in log.read_text().splitlines():
        if m := OUTPUT.match(line):
            current = [p.strip() for p in m.group(1).split(",")]
        elif m := JOBID.match(line):
            outputs[m.group(1)] = current
        elif m := FINISHED.match(line):
            finished.update(outputs.get(m.group(1), []))
    return finished


@pytest.mark.e2e
def test_killed_runs_resume_to_the_same_bytes(tiny_run, tmp_path):
    work = tmp_path / "killed"
    work.mkdir()
    stamps: dict[str, int] = {}  # output of a finished job -> its mtime when that job finished
    remaining, fired = list(KILL_POINTS), []
    while remaining:  # each attempt is killed at the first kill point not used yet that comes
        log = tmp_path / f"attempt{len(fired)}.log"
        if fired:
            unlock = subprocess.run([*COMMAND, "--directory", work, "--unlock"], capture_output=True, text=True)
            assert unlock.returncode == 0, unlock.stderr[-3000:]
        hit = _attempt(work, log, remaining)
        if hit is None:
            break
        fired.append(hit[0])
        remaining.remove(hit)
        stamps.update({p: (work / p).stat().st_mtime_ns for p in _finished_outputs(log) if (work / p).exists()})
    assert len(fired) >= 5, f"only {len(fired)} kill points came: {fired}"
    subprocess.run([*COMMAND, "--directory", work, "--unlock"], check=True, capture_output=True)
    _attempt(work, tmp_path / "final.log", [])

    rerun = {p for p, t in stamps.items() if (work / p).stat().st_mtime_ns != t}
    assert not rerun, f"finished jobs ran again after a kill: {sorted(rerun)[:10]}"
    assert not [p for p in _files(work / "results") if ".partial" in p], "a chunk store was left behind"
    ours, reference = _files(work / "results"), _files(tiny_run / "results")
    assert {f"results/figures/{t}.{ext}" for t in TARGETS for ext in ("png", "pdf")} <= ours
    assert ours <= reference, f"files the uninterrupted run does not have: {sorted(ours - reference)[:10]}"
    differ = [p for p in sorted(ours) if (work / p).read_bytes() != (tiny_run / p).read_bytes()]
    assert not differ, f"{len(differ)} files differ from the uninterrupted run's: {differ[:20]}"
