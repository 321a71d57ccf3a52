"""The paper config on a cluster: how many SLURM submissions the profile's job groups make of its jobs.

`snakemake -n --profile profiles/slurm` plans the jobs with the profile's grouping (a dry run forms the
group jobs that a SLURM run submits, and lists each as "Group job <id>"); every group job is one
submission, every job outside a group one more, and each task of an array job is a SLURM job too.
A local run ignores the groups.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import SNAKEMAKE, TINY
from test_paper_config import PAPER, SYNTHETIC, job_counts

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "profiles/slurm"
MAX_SUBMISSIONS = 1000  # a common cap of a user's queued jobs (sites set 1,000 to 5,000)
LOCAL_RULES = {"all"}  # run by Snakemake itself, never submitted

needs_plugin = pytest.mark.skipif(importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
                                  reason="snakemake-executor-plugin-slurm missing (pip install -e '.[test]')")


def submissions(dry_run_output: str) -> dict:
    """Group jobs by group id and ungrouped jobs by rule, from the job listing of `snakemake -n`."""
    groups = Counter(re.findall(r"Group job (\S+) \(jobs in lexicogr", dry_run_output))
    single = Counter(rule for rule in re.findall(r"^(?:local)?rule (\w+):$", dry_run_output, flags=re.MULTILINE)
                     if rule not in LOCAL_RULES)
    return {"groups": groups, "single": single}


def plan(tmp_path: Path, *args: str) -> str:
    """`snakemake -n` of the paper config with the synthetic sources, from the repository root."""
    tmp_path.mkdir()
    synthetic = tmp_path / "synthetic.yaml"
    synthetic.write_text(yaml.safe_dump(SYNTHETIC))
    run = subprocess.run([SNAKEMAKE, "-n", "--snakefile", ROOT / "workflow/Snakefile", "--directory",
                          tmp_path / "work", *args, "--configfile", PAPER, synthetic], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    return run.stdout + run.stderr


@needs_plugin
def test_paper_config_makes_at_most_1000_submissions(tmp_path):
    """Planned with the SLURM profile: jobs, and the submissions they make (printed, for the record)."""
    out = plan(tmp_path / "slurm", "--profile", PROFILE)
    jobs = job_counts(out)
    assert jobs == job_counts(plan(tmp_path / "local", "--cores", "1", "--quiet", "rules"))  # the same jobs
    n_jobs = jobs.pop("total") - sum(jobs.get(rule, 0) for rule in LOCAL_RULES)
    made = submissions(out)
    arrays = set(yaml.safe_load((PROFILE / "config.yaml").read_text())["slurm-array-jobs"].split(","))
    n_groups, n_single = sum(made["groups"].values()), sum(made["single"].values())
    sbatch_calls = n_groups + sum(n for rule, n in made["single"].items() if rule not in arrays) + len(
        arrays & set(made["single"]))
    print(f"\npaper config: {n_jobs} jobs (each its own submission without groups); with the SLURM profile "
          f"{n_groups + n_single} SLURM jobs ({n_groups} group jobs {dict(made['groups'])}, {n_single} "
          f"single jobs, array tasks included) from {sbatch_calls} sbatch calls")
    assert n_groups + n_single <= MAX_SUBMISSIONS
    assert n_groups + n_single < n_jobs / 5
    # every model's stages and every training run are grouped: none of them goes alone
    assert not {"hessian", "landscape", "topology", "train_pinn", "train_unet_crf", "train_resnet20",
                "train_balancing", "train_pinn_nv", "train_cophy", "train_cifar_small"} & set(made["single"])
    # one submission per ResNet-20 model, one per UNet-CRF run's chain of epochs
    assert made["groups"]["resnet20"] == jobs["train_resnet20"]
    assert made["groups"]["unet_crf_epochs"] * yaml.safe_load(PAPER.read_text())["unet_crf"]["epochs"] == jobs[
        "train_unet_crf"]


def test_local_run_ignores_groups(tmp_path):
    """Without the profile, jobs run one by one as before: in a real local run the grouped training job
    runs as a job of its own (Snakemake drops every rule's group when it executes locally)."""
    target = "results/pinn/beta1/lr1/seed0/model.pt"
    run = subprocess.run([SNAKEMAKE, target, "--cores", "1", "--snakefile", ROOT / "workflow/Snakefile",
                          "--directory", tmp_path, "--configfile", TINY], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "Group job" not in run.stderr
    assert re.search(r"^(local)?rule train_pinn:$", run.stderr, flags=re.MULTILINE), run.stderr[-3000:]
    assert (tmp_path / target).stat().st_size > 0
