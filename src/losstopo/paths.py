"""Every path the workflow writes, in one place: rules, scripts, the CLI and `analyze()` build paths here.

A template keeps Snakemake's `{wildcard}` fields; `run_file("pinn", "beta{beta}/lr{lr}/seed{seed}",
MODEL)` is a training rule's output, `run_file("{experiment}", "{run}", landscape(...))` a stage's.
"""

from __future__ import annotations

RESULTS = "results"
LOGS = "logs"
SYNTHETIC = f"{RESULTS}/data/synthetic"

MODEL = "model.pt"
TRAJECTORY = "trajectory.npz"
METRICS = "metrics.json"
PREDICTION = "prediction.npz"
STATE = "state.pt"
HESSIAN = "hessian.json"
EIGVECS = "eigvecs.npy"
ESD = "esd.npz"
MODEL_CHECK = "model_check.json"
STABILITY = "stability.csv"  # the stability stage's tidy table of one run (results/tables/stability.csv: all)


def landscape(kind: str | int = "{kind}", dim: str | int = "{dim}", ext: str = "npz") -> str:
    """A landscape file's name in its run folder: landscape_<kind>_<dim>d.<ext> (no ext: the stem)."""
    return f"landscape_{kind}_{dim}d" + (f".{ext}" if ext else "")


def topology(kind: str | int = "{kind}", dim: str | int = "{dim}", ext: str = "json") -> str:
    """A topology file's name in its run folder: topology_<kind>_<dim>d.<ext> (no ext: the stem)."""
    return f"topology_{kind}_{dim}d" + (f".{ext}" if ext else "")


def run_folder(experiment: str = "{experiment}", run: str = "{run}") -> str:
    """results/<experiment>/<run id>: every file of one model."""
    return f"{RESULTS}/{experiment}/{run}"


def run_file(experiment: str = "{experiment}", run: str = "{run}", name: str = MODEL) -> str:
    """A file of one model's run folder."""
    return f"{run_folder(experiment, run)}/{name}"


def run_log(experiment: str = "{experiment}", run: str = "{run}", step: str = "train") -> str:
    """The log of one step (train, hessian, landscape_random_2d, ...) of one model."""
    return f"{LOGS}/{experiment}/{run}/{step}.log"


def experiment_file(experiment: str, name: str) -> str:
    """A file of a whole experiment, beside its run folders (e.g. a user entry's model check)."""
    return f"{RESULTS}/{experiment}/{name}"


def experiment_log(experiment: str, step: str) -> str:
    return f"{LOGS}/{experiment}/{step}.log"


def run_table(experiment: str = "{experiment}") -> str:
    """One experiment's table, a row per model."""
    return f"{RESULTS}/tables/{experiment}_runs.csv"


def table(name: str, ext: str = "csv") -> str:
    """A table of several experiments (e.g. tda_correlations, n1_projection_errors)."""
    return f"{RESULTS}/tables/{name}.{ext}"


def table_log(name: str) -> str:
    return f"{LOGS}/tables/{name}.log"


def figure(name: str, ext: str) -> str:
    """A figure target's file: results/figures/<target>.<ext>."""
    return f"{RESULTS}/figures/{name}.{ext}"


def figure_log(name: str) -> str:
    return f"{LOGS}/figures/{name}.log"


def embedding(group: str = "{group}", name: str = "{embedding}", ext: str = "npz") -> str:
    """A Neuro-Visualizer (or baseline) embedding of a group of trajectories."""
    return f"{RESULTS}/neurovis/{group}/{name}.{ext}"


def embedding_log(group: str = "{group}", name: str = "{embedding}") -> str:
    return f"{LOGS}/neurovis/{group}/{name}.log"


def data_log(name: str) -> str:
    return f"{LOGS}/data/{name}.log"


CIFAR10_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")
PETS_FILES = ("annotations/trainval.txt", "annotations/test.txt")


def cifar10_files(root: str) -> list[str]:
    """The files of CIFAR-10's python layout under a data root (what torchvision reads)."""
    return [f"{root}/cifar-10-batches-py/{name}" for name in CIFAR10_FILES]


def pets_files(root: str) -> list[str]:
    """The split files of Oxford-IIIT Pet under a data root (the images are listed in them)."""
    return [f"{root}/oxford-iiit-pet/{name}" for name in PETS_FILES]
