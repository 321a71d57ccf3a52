"""Per-rule job wall times of a finished Snakemake run, read from its log (start and finish timestamps).

    .venv/bin/python benchmarks/job_times.py .snakemake/log/<run>.snakemake.log

Prints, per rule: jobs, total and median seconds; and, per experiment (the folder under results/ that a
job writes; per trajectory group for results/neurovis/), the total job time. Timestamps have one-second resolution; jobs run in parallel, so totals
add up to more than the run's wall time.
"""

from __future__ import annotations

import argparse
import re
import statistics
from collections import defaultdict
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^\[(\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4})\]$")
START = re.compile(r"^(?:local)?rule (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
OUTPUT = re.compile(r"^\s+output: results/([^/,]+)/([^/,]+)")
FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)$")


def job_times(log: Path) -> list[tuple[str, str, float]]:
    """(rule, experiment, seconds) of every job that started and finished in the log."""
    started: dict[str, tuple[str, str, datetime]] = {}
    done, stamp, rule, folder = [], None, None, ""
    for line in log.read_text().splitlines():
        if m := STAMP.match(line):
            stamp = datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y")
        elif m := START.match(line):
            rule, folder = m.group(1), ""
        elif (m := OUTPUT.match(line)) and rule:  # Neuro-Visualizer jobs count per trajectory group
            folder = "/".join(m.groups()) if m.group(1) == "neurovis" else m.group(1)
        elif (m := JOBID.match(line)) and rule:
            started[m.group(1)] = (rule, folder, stamp)
            rule = None
        elif (m := FINISHED.match(line)) and m.group(1) in started:
            name, experiment, begin = started.pop(m.group(1))
            done.append((name, experiment or "figures/tables", (stamp - begin).total_seconds()))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    times = job_times(parser.parse_args().log)
    by_rule, by_experiment = defaultdict(list), defaultdict(float)
    for rule, experiment, seconds in times:
        by_rule[rule].append(seconds)
        by_experiment[experiment] += seconds
    print(f"{'rule':28s} {'jobs':>5s} {'total s':>9s} {'median s':>9s}")
    for rule, values in sorted(by_rule.items(), key=lambda kv: -sum(kv[1])):
        print(f"{rule:28s} {len(values):5d} {sum(values):9.0f} {statistics.median(values):9.1f}")
    print(f"{'all jobs':28s} {len(times):5d} {sum(s for *_, s in times):9.0f}")
    print("\njob time per results/ folder (experiment):")
    for experiment, seconds in sorted(by_experiment.items(), key=lambda kv: -kv[1]):
        print(f"  {experiment:24s} {seconds:7.0f} s")


if __name__ == "__main__":
    main()
