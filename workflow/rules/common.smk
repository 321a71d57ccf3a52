"""Input functions of the rules: each asks the library (`losstopo.experiments`, `losstopo.paths`)."""

from pathlib import Path

from losstopo import paths
from losstopo.experiments import active, find, stability_runs
from losstopo.experiments.neurovis import (
    embedding_method,
    embedding_settings,
    groups,
    panel_figures,
    table_rows,
)
from losstopo.findings import run_tables as findings_run_tables
from losstopo.settings import landscape_job


def get_experiment(name):
    return find(config, name)


def train_outputs(name, *extra):
    """A training rule's named outputs: model.pt, metrics.json and the `extra` files of the run folder."""
    pattern = get_experiment(name).pattern
    files = {"model": paths.MODEL, "metrics": paths.METRICS}
    files.update({key: getattr(paths, key.upper()) for key in extra})
    return {key: paths.run_file(name, pattern, file) for key, file in files.items()}


def train_log(name):
    return paths.run_log(name, get_experiment(name).pattern, "train")


def get_train_params(name):
    """The params every training rule passes to scripts/train.py."""
    exp = get_experiment(name)
    return {
        "experiment": name,
        "problem": lambda w: exp.problem(config, dict(w.items())),
        "train": lambda w: exp.train_settings(config, dict(w.items())),
    }


def get_gpus(name):
    return get_experiment(name).gpus(config)


def get_stage_settings(stage):
    return lambda w: get_experiment(w.experiment).stage_settings(config, stage)


def get_landscape_settings(wildcards):
    section = get_experiment(wildcards.experiment).stage_settings(config, "landscape")
    return landscape_job(section, wildcards.kind, int(wildcards.dim))


def get_landscape_inputs(wildcards):
    """The model, plus the eigenvectors (hessian) or the trajectory (pca) its directions come from."""
    inputs = {
        "model": paths.MODEL,
        "eigvecs": paths.EIGVECS,
        "trajectory": paths.TRAJECTORY,
    }
    needed = {"model", {"hessian": "eigvecs", "pca": "trajectory"}.get(wildcards.kind)}
    return {
        key: paths.run_file(wildcards.experiment, wildcards.run, name)
        for key, name in inputs.items()
        if key in needed
    }


def get_run_table_runs(wildcards):
    """Run id -> its sweep values and files (metrics, Hessian summary, 2-D topology of each kind)."""
    exp = get_experiment(wildcards.experiment)
    files = {"metrics": paths.METRICS, "hessian": paths.HESSIAN}
    files.update(
        {f"topology_{kind}": paths.topology(kind, 2) for kind in exp.kinds(config)}
    )
    runs = exp.runs(config)
    return dict(zip(runs, exp.records([run.values for run in runs.values()], **files)))


def get_run_table_inputs(wildcards):
    return record_files(get_run_table_runs(wildcards).values())


def record_files(records):
    """The files of run records (`Experiment.records`), as a rule's input."""
    return [path for record in records for path in record["files"].values()]


def get_correlation_experiments():
    """Every active experiment's run table, landscape kinds, metrics and sweep."""
    return [
        {
            "name": exp.name,
            "table": paths.run_table(exp.name),
            "kinds": exp.kinds(config),
            "ml_metrics": list(exp.ml_metrics),
            "sweep": list(exp.sweep),
            "control": exp.final_loss,
        }
        for exp in map(get_experiment, active(config))
    ]


def get_group_trajectories(wildcards):
    """The trajectories of an embedding's group: label, model.pt and trajectory.npz of each."""
    return [
        {"label": t.label, "model": t.model, "trajectory": t.trajectory}
        for t in groups(config)[wildcards.group].trajectories
    ]


def get_group_files(wildcards):
    return [
        f
        for t in get_group_trajectories(wildcards)
        for f in (t["trajectory"], t["model"])
    ]


def figure_outputs(name):
    """A figure target's PNG and PDF."""
    return [paths.figure(name, "png"), paths.figure(name, "pdf")]


def figure(name, category):
    """The report() PNG and the plain PDF of a figure target."""
    png, pdf = figure_outputs(name)
    return {
        "png": report(png, caption=f"../report/{name}.rst", category=category),
        "pdf": pdf,
    }


def target_files(targets):
    """The files `rule all` asks for, per configured target rule."""
    files = [f for name in targets for f in figure_outputs(name)]
    if "table_tda_correlations" in targets:
        files.append(paths.table("tda_correlations"))
    if "table_findings" in targets:
        files.append(paths.table("findings"))
    return files


def get_previous_state(wildcards):
    """The train state of the epoch before (none for the first epoch)."""
    exp = get_experiment("unet_crf")
    previous = exp.previous(dict(wildcards.items()))
    return (
        []
        if previous is None
        else [paths.run_file(exp.name, exp.run(previous).id, paths.STATE)]
    )


def get_user_models():
    """The `models:` entries, each checkpoint file found (a missing one stops here, naming the entry)."""
    names = list(config.get("models", {}))
    for name in names:
        get_experiment(name).checkpoints(config)
    return names


def get_checkpoint(wildcards):
    """The checkpoint file behind a user model's run folder."""
    return get_experiment(wildcards.experiment).checkpoints(config)[
        wildcards.checkpoint
    ]


def get_figure_runs(experiment, target):
    """The run records a figure target draws, by role (`Experiment.figure_runs`)."""
    return get_experiment(experiment).figure_runs(config, target)


def get_figure_inputs(experiment, target):
    return [
        f
        for records in get_figure_runs(experiment, target).values()
        for f in record_files(records)
    ]


def get_findings_tables():
    """The tables the findings read, by name: the run table of each experiment a claim tests, the
    correlations and paper N's Table 1."""
    tables = {name: paths.run_table(name) for name in findings_run_tables()}
    for name in ("tda_correlations", "n1_projection_errors"):
        tables[name] = paths.table(name)
    return tables


def get_findings_nd_runs():
    """The PINN runs whose 3-D and 4-D Hessian-direction topologies the findings compare."""
    return get_figure_runs("pinn", "table_findings")["nd"]


def get_findings_inputs(wildcards):
    return [*get_findings_tables().values(), *record_files(get_findings_nd_runs())]


def get_job_group(name=None):
    """The cluster job group of a rule's jobs: `name`, or else the job's experiment (a model's Hessian,
    landscapes and topologies, with its training where the training rule names the same group). Jobs
    of one group that depend on each other make one SLURM submission; the profile's
    `group-components` batches several such chains into one (docs/cluster.md). Local runs ignore groups.
    """
    return name or (lambda wildcards: wildcards.experiment)


def get_stability_runs():
    """Every run whose metric stability is measured, with its stability table."""
    return [
        {
            "experiment": name,
            "run": run.id,
            "file": paths.run_file(name, run.id, paths.STABILITY),
        }
        for name, run in stability_runs(config)
    ]


def get_stability_inputs(wildcards):
    """The model, plus the eigenvectors and trajectory its landscape kinds need."""
    kinds = get_experiment(wildcards.experiment).kinds(config)
    files = {"model": paths.MODEL}
    files.update({"eigvecs": paths.EIGVECS} if "hessian" in kinds else {})
    files.update({"trajectory": paths.TRAJECTORY} if "pca" in kinds else {})
    return {
        key: paths.run_file(wildcards.experiment, wildcards.run, name)
        for key, name in files.items()
    }


def get_stability_settings(wildcards):
    """A stability job's landscape, topology and stability settings and its evaluation sets."""
    exp = get_experiment(wildcards.experiment)
    stability = {
        k: v for k, v in exp.stage_settings(config, "stability").items() if k != "runs"
    }
    values = exp.runs(config)[wildcards.run].values
    return {
        "landscape": exp.stage_settings(config, "landscape"),
        "topology": exp.stage_settings(config, "topology"),
        "stability": stability,
        "batches": exp.stability_batches(config, values, stability["batches"]),
    }
