"""The workflow on a real one-node SLURM cluster, through the repo's SLURM profile and the SLURM plugin.

Needs Debian's `slurm-wlm` and `munge` (the test command `make test` installs them when running as root);
skips otherwise. The cluster (munged, slurmctld, slurmd) runs on loopback under a temp dir and is stopped
by PID afterwards, also on failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from slurm_cluster import missing_binaries, slurm_cluster

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TARGET = "fig_t6_pinn_metrics"
RUN_TIMEOUT_S = 900  # ~2-6 min on a busy 2-core machine; the hang this guards against is endless

# Only what a cluster without slurmdbd needs on top of profiles/slurm (Snakemake merges a
# --workflow-profile over --profile). Without slurmdbd `sacct` fails: the plugin must poll `squeue`,
# which sees finished jobs for MinJobAge seconds (the cluster keeps them an hour). Left on `sacct`, the
# plugin never learns that a job finished and the run never ends: hence RUN_TIMEOUT_S. The empty
# slurm_account needs nothing: the plugin's guess fails and it submits without -A (2.8.0 declares
# `slurm-no-account` but never reads it).
TEST_PROFILE = {
    "slurm-status-command": "squeue",
    "slurm-init-seconds-before-status-checks": 2,
    "slurm-keep-successful-logs": True,
    "jobs": 4,
    "retries": 0,
    "latency-wait": 10,
}

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(bool(missing_binaries()), reason=f"SLURM/munge binaries missing: {missing_binaries()} "
                       "(apt-get install -y slurm-wlm munge; `make test` does it as root)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="slurmd must run as root to launch jobs"),
    pytest.mark.skipif(importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
                       reason="snakemake-executor-plugin-slurm missing (pip install -e '.[test]')"),
]


def snakemake(args: list, env: dict | None = None,
              timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess:
    """The workflow's Snakemake on TARGET with the tiny config; a hang past `timeout` fails the test."""
    cmd = [SNAKEMAKE, TARGET, "--snakefile", ROOT / "workflow/Snakefile", "--configfile",
           ROOT / "tests/config/tiny.yaml", *args]
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:  # its output arrives as bytes, whatever `text` says
        out = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else str(err.stderr)
        pytest.fail(f"snakemake did not finish within {timeout} s (a status-polling hang?):\n{out[-6000:]}")


def planned_jobs(workdir: Path) -> dict[str, int]:
    """Jobs per rule that a local dry run plans: the oracle for what SLURM must have run."""
    run = snakemake(["--directory", workdir, "--dry-run", "--quiet", "rules"], timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    counts = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", run.stdout + run.stderr, flags=re.MULTILINE))
    counts.pop("total", None)
    return {rule: int(n) for rule, n in counts.items()}


def test_cluster_runs_a_job_and_stops_its_daemons(tmp_path):
    """The helper alone: a one-line batch job completes, and stop() leaves none of its daemons running."""
    with slurm_cluster(tmp_path / "cluster") as cluster:
        pids = [p.pid for p in cluster.processes.values()]
        job = cluster.run("sbatch", "--parsable", "--wait", f"--output={tmp_path / 'job.out'}",
                          "--wrap", "echo $SLURM_JOB_ID on $SLURM_JOB_PARTITION")
        assert job.returncode == 0, job.stderr + cluster.logs()
        assert (tmp_path / "job.out").read_text().split() == [job.stdout.strip(), "on", "debug"]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.fixture(scope="module")
def slurm_run(tmp_path_factory):
    """Run TARGET through SLURM once; yields (workdir, the running cluster, planned jobs per rule)."""
    base = tmp_path_factory.mktemp("slurm")
    workdir = base / "work"
    workdir.mkdir()
    profile = base / "test_profile"
    profile.mkdir()
    (profile / "config.yaml").write_text(yaml.safe_dump(TEST_PROFILE))
    planned = planned_jobs(workdir)
    # The repo profile asks up to 4 CPUs per landscape job; the node advertises 8 (slurm's
    # config_overrides) so every request fits; `jobs: 4` in TEST_PROFILE caps the load.
    with slurm_cluster(base / "cluster", cpus=8, memory_mb=32000) as cluster:
        run = snakemake(["--directory", workdir, "--profile", ROOT / "profiles/slurm",
                         "--workflow-profile", profile], env=cluster.env)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-6000:] + cluster.logs()
        yield workdir, cluster, planned


def test_every_planned_job_ran_as_a_completed_slurm_job(slurm_run):
    workdir, cluster, planned = slurm_run
    squeue = cluster.run("squeue", "--states=all", "--noheader", "--format=%i|%T")
    states = [line.split("|")[1] for line in squeue.stdout.splitlines()]
    assert states and set(states) == {"COMPLETED"}, squeue.stdout
    assert len(states) == sum(planned.values())
    submitted = re.findall(r"_slurm_rpc_submit_batch_job: JobId=(\d+)", cluster.log("slurmctld"))
    assert len(submitted) == sum(planned.values())
    # The plugin writes one SLURM log per job under .snakemake/slurm_logs/rule_<name>/...
    logs = list((workdir / ".snakemake/slurm_logs").rglob("*.log"))
    per_rule = {}
    for path in logs:
        rule = path.relative_to(workdir / ".snakemake/slurm_logs").parts[0].removeprefix("rule_")
        per_rule[rule] = per_rule.get(rule, 0) + 1
    assert per_rule == planned
    assert {p.stem for p in logs} == set(submitted)


def test_target_and_its_inputs_hold_sane_numbers(slurm_run):
    workdir = slurm_run[0]
    for ext in ("png", "pdf"):
        assert (workdir / f"results/figures/{TARGET}.{ext}").stat().st_size > 10_000
    table = pd.read_csv(workdir / "results/tables/pinn_runs.csv")
    assert sorted(table["beta"]) == [1.0, 9.0]
    assert (table["top_eigenvalue"] > 0).all() and np.isfinite(table["trace"]).all()
    assert (table["random_n_minima"] >= 1).all()
    for beta in (1, 9):
        assert (workdir / f"logs/pinn/beta{beta}/lr1/seed0/train.log").exists()


def test_profile_resources_reach_sbatch(slurm_run):
    """The profile's per-rule resources are what SLURM granted (landscape: 4 CPUs, 240 min)."""
    cluster = slurm_run[1]
    jobs = cluster.run("squeue", "--states=all", "--noheader", "--format=%i|%C|%l|%m|%k")
    rows = [line.split("|") for line in jobs.stdout.splitlines()]
    comments = [r[4] for r in rows]
    landscape = [r for r in rows if "rule_landscape" in r[4]]
    assert landscape, comments
    assert all(r[1] == "4" and r[2] == "4:00:00" for r in landscape), landscape
    train = [r for r in rows if "rule_train_pinn" in r[4]]
    assert train and all(r[1] == "1" and r[2] == "2:00:00" and r[3] == "2000M" for r in train), train
