"""Helpers shared by the workflow: experiments and their sweeps, run folders, per-run settings.

Every experiment registers itself here (`register_experiment`, called by its own rule file) with the
wildcard pattern of its run folders and the sweep that fills it. The per-model stages (hessian,
landscape, topology, run table) are one set of rules over `results/{experiment}/{run}/`.
"""

import copy
from types import SimpleNamespace

RESULTS = "results/{experiment}/{run}"
LOGS = "logs/{experiment}/{run}"
EXPERIMENTS = {}


def fmt(value):
    """The canonical text of a sweep value in paths: 1.0 -> '1', 0.1 -> '0.1', 1e-4 -> '0.0001'."""
    return f"{float(value):g}"


def register_experiment(name, pattern, runs, problem, targets, ml_metrics, sweep=()):
    """Declare an experiment: run-folder `pattern` (wildcards), `runs()` -> wildcard dicts of its sweep,
    `problem(wildcards)` -> the problem spec of one run, the target rules that need it, the metrics its
    topology is correlated with, and its sweep variables (the papers' claims are about them)."""
    EXPERIMENTS[name] = SimpleNamespace(
        name=name,
        pattern=pattern,
        runs=runs,
        problem=problem,
        targets=list(targets),
        ml_metrics=list(ml_metrics),
        sweep=list(sweep),
    )


def active_experiments():
    """Experiments that a configured target needs (their rows join `table_tda_correlations`)."""
    return [
        name
        for name, exp in EXPERIMENTS.items()
        if set(exp.targets) & set(config["targets"])
    ]


def run_folder(experiment, run):
    """`results/<experiment>/<run id>` of one wildcard dict."""
    return f"results/{experiment}/" + EXPERIMENTS[experiment].pattern.format(**run)


def run_files(experiment, pattern, runs=None, **fixed):
    """`pattern` (a file in a run folder) over `runs` (default: the whole sweep), with fixed wildcards."""
    runs = EXPERIMENTS[experiment].runs() if runs is None else runs
    return [f"{run_folder(experiment, run)}/{pattern}".format(**fixed) for run in runs]


def deep_merge(base, override):
    """`base` with `override`'s keys replaced, recursively into dicts."""
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def stage_settings(experiment, stage):
    """The global `stage` settings (hessian, landscape, topology) with the experiment's overrides."""
    return deep_merge(config[stage], config[experiment].get(stage, {}))


def landscape_kinds(experiment):
    return stage_settings(experiment, "landscape")["kinds"]


def landscape_params(wildcards):
    """One landscape job's settings: shared keys, its kind's keys, and the points per axis of its dim."""
    s = stage_settings(wildcards.experiment, "landscape")
    steps = {"2": s["steps"], "3": s["steps_3d"], "4": s["steps_4d"]}[wildcards.dim]
    shared = {k: v for k, v in s.items() if k not in ("random", "hessian", "pca")}
    return {**shared, **s[wildcards.kind], "steps": steps}


def landscape_inputs(wildcards):
    """The model, plus the eigenvectors (hessian) or the trajectory (pca) its directions come from."""
    folder = RESULTS.format(**wildcards)
    inputs = {"model": f"{folder}/model.pt"}
    if wildcards.kind == "hessian":
        inputs["eigvecs"] = f"{folder}/eigvecs.npy"
    if wildcards.kind == "pca":
        inputs["trajectory"] = f"{folder}/trajectory.npz"
    return inputs


def table_inputs(wildcards):
    """Every run's metrics, Hessian summary and 2-D topology of each landscape kind."""
    name = wildcards.experiment
    return {
        "metrics": run_files(name, "metrics.json"),
        "hessian": run_files(name, "hessian.json"),
        "topology": [
            f
            for kind in landscape_kinds(name)
            for f in run_files(name, "topology_{kind}_2d.json", kind=kind)
        ],
    }


def figure_outputs(name):
    """A figure target's PNG and PDF, both report items."""
    return [f"results/figures/{name}.png", f"results/figures/{name}.pdf"]


def target_files(targets):
    """The files `rule all` asks for, per configured target rule."""
    files = []
    for name in targets:
        files += figure_outputs(name)
        if name == "table_tda_correlations":
            files.append("results/tables/tda_correlations.csv")
    return files


def figure(name, category):
    """The report() PNG and the plain PDF of a figure target."""
    png, pdf = figure_outputs(name)
    return {
        "png": report(png, caption=f"../report/{name}.rst", category=category),
        "pdf": pdf,
    }
