"""The workflow on a real one-node SLURM cluster, through the repo's SLURM profile and the SLURM plugin.

Needs Debian's `slurm-wlm` and `munge` (the test command `make test` installs them when running as root);
skips otherwise. The cluster (munged, slurmctld, slurmd) runs on loopback under a temp dir and is stopped
by PID afterwards, also on failure. One cluster serves the module: a grouped run of TARGETS (the PINNs'
training and stages as one group job, paper N's two CoPhy trainers as another, their two embeddings as one
array job), compared byte for byte with a local run of the same targets, then a run whose group is
cancelled mid-way and rerun.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from slurm_cluster import missing_binaries, slurm_cluster
from test_cluster_groups import submissions

ROOT = Path(__file__).resolve().parents[1]
PROFILE = yaml.safe_load((ROOT / "profiles/slurm/config.yaml").read_text())
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TARGET = "fig_t6_pinn_metrics"  # 14 jobs: 2 PINNs, their Hessians, landscapes, topologies; table; figure
TARGETS = [TARGET, "fig_n3_cophy"]  # + 2 CoPhy/black-box trainers, 2 embeddings (an array job), figure
RUN_TIMEOUT_S = 900  # ~1-3 min on a busy 2-core machine; the hang this guards against is endless

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


def snakemake(args: list, env: dict | None = None, timeout: float = RUN_TIMEOUT_S,
              targets: list[str] = TARGETS) -> subprocess.CompletedProcess:
    """The workflow's Snakemake on `targets` with the tiny config; a hang past `timeout` fails the test."""
    cmd = [SNAKEMAKE, *targets, "--snakefile", ROOT / "workflow/Snakefile", "--configfile",
           ROOT / "tests/config/tiny.yaml", *args]
    try:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:  # its output arrives as bytes, whatever `text` says
        out = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else str(err.stderr)
        pytest.fail(f"snakemake did not finish within {timeout} s (a status-polling hang?):\n{out[-6000:]}")


def slurm_args(workdir: Path, test_profile: Path) -> list:
    return ["--directory", workdir, "--profile", ROOT / "profiles/slurm", "--workflow-profile", test_profile]


def planned(workdir: Path, profile: Path, targets: list[str] = TARGETS) -> tuple[dict[str, int], dict, set]:
    """What a dry run plans: jobs per rule, the submissions the SLURM profile makes of them, and each
    job's outputs (a tuple of paths per job)."""
    run = snakemake([*slurm_args(workdir, profile), "--dry-run"], targets=targets, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = run.stdout + run.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)\s*$", out.split("Job stats:")[1].split("\n\n")[0],
                             flags=re.MULTILINE))
    counts.pop("total", None)
    outputs = {tuple(p.strip() for p in line.split(","))
               for line in re.findall(r"^\s+output: (.+)$", out, flags=re.MULTILINE)}
    return {rule: int(n) for rule, n in counts.items() if rule != "all"}, submissions(out), outputs


def slurm_jobs(cluster) -> list[dict[str, str]]:
    """Every job SLURM holds (array tasks one by one): id, state, CPUs, time limit, memory, comment."""
    out = cluster.run("squeue", "--states=all", "--array", "--noheader", "--format=%i|%T|%C|%l|%m|%k").stdout
    keys = ("id", "state", "cpus", "time", "mem", "comment")
    return [dict(zip(keys, line.split("|"))) for line in out.splitlines()]


def files(root: Path) -> dict[str, Path]:
    """Every file under root/results, by its path relative to root."""
    return {str(p.relative_to(root)): p for p in (root / "results").rglob("*") if p.is_file()}


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
def cluster(tmp_path_factory):
    """One cluster for the module, and the test profile (TEST_PROFILE) beside it."""
    base = tmp_path_factory.mktemp("slurm")
    (base / "test_profile").mkdir()
    (base / "test_profile/config.yaml").write_text(yaml.safe_dump(TEST_PROFILE))
    # The repo profile asks up to 8 CPUs per group (cores: 8); the node advertises 8 (slurm's
    # config_overrides) so every request fits; `jobs: 4` in TEST_PROFILE caps the load.
    with slurm_cluster(base / "cluster", cpus=8, memory_mb=32000) as running:
        yield SimpleNamespace(cluster=running, base=base, profile=base / "test_profile")


@pytest.fixture(scope="module")
def slurm_run(cluster):
    """TARGETS through SLURM once, grouped; (workdir, cluster, planned jobs per rule, planned submissions,
    SLURM's jobs and the batch submissions slurmctld logged, both right after the run)."""
    workdir = cluster.base / "work"
    workdir.mkdir()
    jobs, made, _ = planned(workdir, cluster.profile)
    run = snakemake(slurm_args(workdir, cluster.profile), env=cluster.cluster.env)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-6000:] + cluster.cluster.logs()
    submitted = re.findall(r"_slurm_rpc_submit_batch_job: JobId=(\d+)", cluster.cluster.log("slurmctld"))
    yield workdir, cluster.cluster, jobs, made, slurm_jobs(cluster.cluster), submitted


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """TARGETS run locally (the local profile, no groups): the bytes the cluster's results must have.
    With the threads the cluster's jobs get, as the auto-encoder's float sums depend on them: the SLURM
    profile's, capped (in a local run as in a group job) by the CPUs the process may use."""
    workdir = tmp_path_factory.mktemp("local")
    cores = min(PROFILE["cores"], len(os.sched_getaffinity(0)))
    threads = [f"{rule}={n}" for rule, n in PROFILE["set-threads"].items() if isinstance(n, int)]
    run = snakemake(["--directory", workdir, "--profile", ROOT / "profiles/local", "--cores", str(cores),
                     "--set-threads", *threads])
    assert run.returncode == 0, run.stderr[-6000:]
    return workdir


def test_submissions_counted_by_slurm_are_fewer_than_jobs(slurm_run):
    """SLURM itself received fewer submissions than there are jobs: one per group job (the 2 PINNs'
    12 training and stage jobs in one, the 2 trainers in another), one array job for the 2 embeddings
    (a SLURM job per task), one per other job."""
    workdir, cluster, jobs, made, held, submitted = slurm_run
    assert held and {job["state"] for job in held} == {"COMPLETED"}, held
    n_jobs = sum(jobs.values())
    expected = sum(made["groups"].values()) + sum(made["single"].values())
    print(f"\n{n_jobs} jobs; SLURM: {len(held)} jobs (array tasks included) from {len(submitted)} sbatch calls")
    assert len(held) == expected < n_jobs
    arrays = set(PROFILE["slurm-array-jobs"].split(","))
    array_rules = arrays & set(made["single"])
    assert array_rules == {"neurovis_landscape"}
    assert len(submitted) == expected - sum(made["single"][r] for r in array_rules) + len(array_rules)
    assert len([job for job in held if "_" in job["id"]]) == jobs["neurovis_landscape"]  # the array's tasks
    assert made["groups"] == {"pinn": 1, "trajectories": 1} and jobs["train_pinn"] == jobs["train_cophy"] == 2
    # SLURM's log of each submission (the plugin keeps them: slurm-keep-successful-logs), none missing
    logs = {p.stem for p in (workdir / ".snakemake/slurm_logs").rglob("*.log")}
    assert logs == {job["id"] for job in held}


def test_results_are_byte_identical_to_a_local_run(slurm_run, local_run):
    ours, reference = files(slurm_run[0]), files(local_run)
    assert {f"results/figures/{t}.{ext}" for t in TARGETS for ext in ("png", "pdf")} <= set(ours)
    assert set(ours) == set(reference)
    differ = [p for p in sorted(ours) if ours[p].read_bytes() != reference[p].read_bytes()]
    assert not differ, f"{len(differ)} files differ from the local run's: {differ[:20]}"


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


def minutes(limit: str) -> int:
    """squeue's time limit ([D-]H:MM:SS or MM:SS) in minutes."""
    days, _, clock = limit.rpartition("-")
    parts = [int(x) for x in clock.split(":")]
    hours, mins = (parts[0], parts[1]) if len(parts) == 3 else (0, parts[0])
    return int(days or 0) * 1440 + hours * 60 + mins


def profile_value(rule: str, key: str, experiment: str = "pinn") -> int:
    """A rule's resource in profiles/slurm at attempt 1 (its expression evaluated for `experiment`)."""
    value = PROFILE["set-resources"][rule][key]
    return int(eval(str(value), {"attempt": 1, "wildcards": SimpleNamespace(experiment=experiment)}))


def test_group_resources_add_up(slurm_run):
    """What SLURM granted the PINN group: the CPUs and memory of the jobs it runs side by side, and the sum
    of the runtimes of what it runs in sequence. Per model: training, then its Hessian and random
    landscape, then its Hessian landscape and the random landscape's topology, then the last topology;
    the two models side by side (one thread each, 4 jobs at most at once, within `cores`)."""
    held = slurm_run[4]
    group = [job for job in held if "rule_pinn_" in job["comment"]]
    assert len(group) == 1, held
    hessian, landscape, topology = (profile_value(r, "runtime") for r in ("hessian", "landscape", "topology"))
    runtime = profile_value("train_pinn", "runtime") + max(hessian, landscape) + max(landscape, topology) + topology
    landscape_mb = 1000 + yaml.safe_load((ROOT / "tests/config/tiny.yaml").read_text())["landscape"]["chunk_memory_mb"]
    mem = max(2 * profile_value("train_pinn", "mem_mb"), 2 * profile_value("hessian", "mem_mb") + 2 * landscape_mb,
              2 * landscape_mb + 2 * profile_value("topology", "mem_mb"))
    assert group[0]["cpus"] == "4"
    assert minutes(group[0]["time"]) == runtime
    assert group[0]["mem"] == f"{mem}M"
    # the two trainers side by side; the array's tasks each with the rule's own resources
    trainers = [job for job in held if "rule_trajectories_" in job["comment"]]
    assert len(trainers) == 1 and trainers[0]["cpus"] == "2", held
    assert minutes(trainers[0]["time"]) == profile_value("train_cophy", "runtime")
    assert trainers[0]["mem"] == f"{2 * profile_value('train_cophy', 'mem_mb')}M"
    embeddings = [job for job in held if "rule_neurovis_landscape" in job["comment"]]
    assert embeddings and all(job["cpus"] == "8" and minutes(job["time"]) == profile_value(
        "neurovis_landscape", "runtime") for job in embeddings)


def settled(folder: Path, quiet_s: float = 3.0, limit_s: float = 60.0) -> None:
    """Wait until no file under `folder` appears or changes for `quiet_s` seconds."""
    def state() -> dict:
        return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}

    deadline, last, since = time.monotonic() + limit_s, state(), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        time.sleep(0.5)
        now = state()
        if now != last:
            last, since = now, time.monotonic()


def test_a_cancelled_group_reruns_only_what_did_not_finish(cluster, local_run):
    """`scancel` of the PINN group once its first Hessian is written: the outputs of the jobs that
    finished stay (keep-incomplete) and the next run plans and runs only the others, leaving the finished
    files untouched; the results end byte-identical to the local run's."""
    workdir = cluster.base / "killed"
    workdir.mkdir()
    args = slurm_args(workdir, cluster.profile)
    cmd = [SNAKEMAKE, TARGET, "--snakefile", ROOT / "workflow/Snakefile", "--configfile",
           ROOT / "tests/config/tiny.yaml", *args]
    with open(cluster.base / "killed.log", "w") as log:
        run = subprocess.Popen(cmd, env=cluster.cluster.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not list((workdir / "results/pinn").glob("*/*/*/hessian.json")):
            assert run.poll() is None and time.monotonic() < deadline, (cluster.base / "killed.log").read_text()
            time.sleep(0.1)
        group = [job["id"] for job in slurm_jobs(cluster.cluster)
                 if job["state"] == "RUNNING" and "rule_pinn_" in job["comment"]]
        assert len(group) == 1
        cluster.cluster.run("scancel", group[0])
        assert run.wait(timeout=RUN_TIMEOUT_S) != 0
    assert [job["state"] for job in slurm_jobs(cluster.cluster) if job["id"] == group[0]] == ["CANCELLED"]
    settled(workdir / "results")  # a cancelled step's processes can still finish a write after scancel

    # the jobs that finished before the cancel: every output there, with the local run's bytes
    jobs, _, outputs = planned(cluster.base / "fresh", cluster.profile, targets=[TARGET])
    finished = {job for job in outputs if all((workdir / p).exists() for p in job)}
    unfinished = outputs - finished
    assert finished and unfinished, "the cancel did not land mid-group"
    reference = files(local_run)
    kept = [p for job in finished for p in job]
    differ = [p for p in kept if (workdir / p).read_bytes() != reference[p].read_bytes()]
    assert not differ, f"outputs kept after the cancel differ from the local run's: {differ}"
    stamps = {p: (workdir / p).stat().st_mtime_ns for p in kept}

    # the next run plans exactly the jobs that did not finish, runs them, and writes no finished output again
    rerun_jobs, _, rerun_outputs = planned(workdir, cluster.profile, targets=[TARGET])
    assert rerun_outputs == unfinished
    run = snakemake(args, env=cluster.cluster.env, targets=[TARGET])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-6000:]
    ran_again = [p for p, t in stamps.items() if (workdir / p).stat().st_mtime_ns != t]
    assert not ran_again, f"outputs of finished jobs written again: {ran_again}"
    final = files(workdir)
    assert not [p for p in final if ".partial" in p]
    assert set(final) <= set(reference) and (workdir / f"results/figures/{TARGET}.png").exists()
    differ = [p for p in sorted(final) if final[p].read_bytes() != reference[p].read_bytes()]
    assert not differ, f"{len(differ)} files differ from the local run's: {differ[:20]}"
    print(f"\ncancelled group: {len(finished)} of {len(outputs)} jobs had finished; the rerun ran {rerun_jobs}")
