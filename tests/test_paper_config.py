"""config/paper.yaml: valid, at paper N's sizes where the paper states them, and planned offline.

The sizes are checked against the paper's own numbers (paper N Table 2, Secs. 4.2.4 and App. D), not
against the values in the file; config/README.md traces each of them.
"""

from __future__ import annotations

import yaml
from test_config import ROOT, dry_run

from losstopo.config import load_config
from losstopo.neurovis.autoencoder import auto_hidden_sizes
from losstopo.problems.registry import make_problem

PAPER = ROOT / "config/paper.yaml"
SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"  # the schema Snakemake validates with
# Offline planning: the image experiments read synthetic stand-ins (made by a rule) instead of the real
# CIFAR-10 and Oxford-IIIT Pet files, which config/paper.yaml asks for and a test machine lacks.
SYNTHETIC = {"resnet20": {"source": "synthetic"}, "unet_crf": {"source": "synthetic"}}
NTK_METHODS = ("const", "ntk")  # fig_n6's two weightings, trained beside the balancing methods


def job_counts(stdout: str) -> dict[str, int]:
    """rule -> planned jobs, from the "Job stats" table of `snakemake -n`."""
    table = stdout.split("Job stats:")[1].split("\n\n")[0]
    counts = {}
    for line in table.splitlines():
        words = line.split()
        if len(words) == 2 and words[1].isdigit():
            counts[words[0]] = int(words[1])
    return counts


def test_paper_config_is_valid_and_sets_paper_n_trainers_itself():
    """Every paper-N trainer is configured in paper.yaml itself, not left at the laptop defaults."""
    raw = yaml.safe_load(PAPER.read_text())
    assert {"balancing", "cophy", "cifar_small"} <= set(raw["trajectories"])
    for trainer in ("balancing", "cophy", "cifar_small"):
        assert "train" in raw["trajectories"][trainer], trainer
    config = load_config(PAPER, SCHEMA)
    assert config["trajectories"]["balancing"]["beta"] == 10  # paper N Sec. 4.2.4
    methods = set(config["trajectories"]["balancing"]["methods"])
    assert methods == {"ew", "cw", "dwa", "lra", "gradnorm", "rlw"}  # Sec. 4.2.4, App. I


def test_paper_n_sizes_are_the_papers():
    """Checkpoints per trajectory (Table 2: 300 for the PINN experiments, 500 for CoPhy-PGNN), the PINN
    whose log-spaced encoder is Table 2's 991/125/15, CW's constants (App. I) and the MLP of App. D."""
    config = load_config(PAPER, SCHEMA)
    tr, nv = config["trajectories"], config["neurovis"]
    balancing = tr["balancing"]["train"]
    assert balancing["steps"] // balancing["checkpoint_every"] == 300
    assert nv["pinn"]["iterations"] // nv["pinn"]["checkpoint_every"] == 300
    assert tr["cophy"]["train"]["steps"] // tr["cophy"]["train"]["checkpoint_every"] == 500
    for hidden in (tr["balancing"]["hidden"], nv["pinn"]["hidden"]):
        pinn = make_problem({"name": "convection", "beta": 10, "hidden": hidden, "n_f": 10})
        assert auto_hidden_sizes(pinn.spec.size) == (991, 125, 15)
    assert balancing["methods"]["cw"]["constants"] == {"r": 1.0, "ic": 100.0, "bc": 100.0}
    assert tr["cifar_small"]["problem"]["hidden"] == 16 and len(tr["cifar_small"]["problem"]["channels"]) == 3
    assert nv["autoencoder"]["batch_size"] == 32 and nv["autoencoder"]["hidden"] == "auto"


def test_paper_config_plans_offline_with_every_trajectory_trainer(tmp_path):
    """`snakemake -n` of the paper config, sources switched to the synthetic stand-ins, plans every job,
    among them one training job per loss-balancing method (and NTK/constant), per CoPhy-PGNN/black-box
    network and per CIFAR CNN/MLP."""
    synthetic = tmp_path / "synthetic.yaml"
    synthetic.write_text(yaml.safe_dump(SYNTHETIC))
    run = dry_run("--snakefile", str(ROOT / "workflow/Snakefile"), "--configfile", str(PAPER), str(synthetic),
                  "--directory", str(tmp_path / "work"), "--quiet", "rules")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    counts = job_counts(run.stdout)
    methods = yaml.safe_load(PAPER.read_text())["trajectories"]["balancing"]["methods"]
    assert counts.get("train_balancing") == len(set(methods) | set(NTK_METHODS)), counts
    assert counts.get("train_cophy") == 2 and counts.get("train_cifar_small") == 2, counts
    assert counts.get("synthetic_cifar10") == 1 and counts.get("synthetic_pets") == 1, counts
    assert counts["neurovis_landscape"] > 0 and counts["total"] == sum(
        n for rule, n in counts.items() if rule != "total"), counts
