"""Helpers shared by the workflow: experiments and their sweeps, run folders, per-run settings.

Every experiment registers itself here (`register_experiment`, called by its own rule file) with the
wildcard pattern of its run folders and the sweep that fills it. The per-model stages (hessian,
landscape, topology, run table) are one set of rules over `results/{experiment}/{run}/`.
"""

from pathlib import Path
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
    topology is correlated with, and its sweep variables (the papers' claims are about them).
    """
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
    return f"results/{experiment}/{EXPERIMENTS[experiment].pattern.format(**run)}"


def run_files(experiment, pattern, runs=None, **fixed):
    """`pattern` (a file in a run folder) over `runs` (default: the whole sweep), with fixed wildcards."""
    runs = EXPERIMENTS[experiment].runs() if runs is None else runs
    return [f"{run_folder(experiment, run)}/{pattern}".format(**fixed) for run in runs]


def stage_settings(experiment, stage):
    """The global `stage` settings (hessian, landscape, topology) with the experiment's overrides."""
    section = config.get(experiment) or config["models"].get(experiment, {})
    return merged(config[stage], section.get(stage, {}))


def experiment_gpus(experiment):
    """GPUs a training or landscape job of `experiment` asks a scheduler for (its `gpus`; 0 if none)."""
    return (config.get(experiment) or {}).get("gpus", 0)


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


# data.smk


def data_root(source):
    """Where a data set is read from: the synthetic stand-in's folder or the user's data root."""
    return SYNTHETIC if source == "synthetic" else config["data"]["root"]


def cifar10_files():
    root = data_root(config["resnet20"]["source"])
    return [f"{root}/cifar-10-batches-py/{name}" for name in CIFAR10_FILES]


def pets_files():
    root = data_root(config["unet_crf"]["source"])
    return [f"{root}/oxford-iiit-pet/{name}" for name in PETS_FILES]


def check_real_data(experiment, source):
    """Stop before any job when a needed real data set is absent and may not be downloaded."""
    if (
        experiment in active_experiments()
        and source != "synthetic"
        and not config["data"]["download"]
    ):
        if source == "cifar10":
            from losstopo.data.cifar import check_cifar10 as check
        else:
            from losstopo.data.pets import check_pets as check
        check(config["data"]["root"])


# pinn.smk


def pinn_runs(betas=None, lrs=None, seeds=None):
    """Wildcard dicts of the PINN sweep (beta x lr x seed), optionally restricted."""
    cfg = config["pinn"]
    return [
        {"beta": fmt(b), "lr": fmt(lr), "seed": str(s)}
        for b in (betas if betas is not None else cfg["betas"])
        for lr in (lrs if lrs is not None else cfg["learning_rates"])
        for s in (seeds if seeds is not None else cfg["seeds"])
    ]


def pinn_problem(wildcards):
    """The problem spec of one PINN run (see losstopo.problems.convection.build)."""
    cfg = config["pinn"]
    return {
        "name": "convection",
        "beta": float(wildcards.beta),
        "c_r": cfg["c_r"],
        "hidden": list(cfg["hidden"]),
        "n_x": cfg["n_x"],
        "n_t": cfg["n_t"],
        "n_f": cfg["n_f"],
        "data_seed": int(wildcards.seed),
    }


def pinn_files(pattern, runs=None, **fixed):
    """`pattern` (a file in a PINN run folder) over runs, with extra fixed wildcards."""
    return run_files("pinn", pattern, runs, **fixed)


def fig_runs(betas=None):
    """Runs at the single-model figures' learning rate and seed, over `betas` (default: all)."""
    return pinn_runs(betas=betas, lrs=[FIG["lr"]], seeds=[FIG["seed"]])


def profile_runs():
    """Every seed of each (beta, lr) cell whose landscape profiles are drawn."""
    return [
        run
        for cell in FIG["profile_cells"]
        for run in pinn_runs(betas=[cell["beta"]], lrs=[cell["lr"]])
    ]


# resnet20.smk


def resnet_runs():
    cfg = config["resnet20"]
    return [
        {"variant": v, "seed": str(s)} for v in cfg["variants"] for s in cfg["seeds"]
    ]


def resnet_runs_of_seed(seed):
    """One run per variant at `seed` (the single-model panels of fig_t1)."""
    return [run for run in resnet_runs() if run["seed"] == str(seed)]


def resnet_problem(wildcards):
    """The problem spec of one ResNet-20 run (see losstopo.problems.resnet.build)."""
    cfg = config["resnet20"]
    return {
        "name": "resnet20",
        "residual": wildcards.variant == "residual",
        "width": cfg["width"],
        "data": {"root": data_root(cfg["source"]), "source": cfg["source"]},
        "eval_batches": cfg["eval_batches"],
        "eval_batch_size": cfg["eval_batch_size"],
        "split": "test",
    }


# unet_crf.smk


def unet_runs(lrs=None, seeds=None, epochs=None):
    cfg = config["unet_crf"]
    return [
        {"lr": fmt(lr), "seed": str(s), "epoch": str(e)}
        for lr in (lrs if lrs is not None else cfg["learning_rates"])
        for s in (seeds if seeds is not None else cfg["seeds"])
        for e in (epochs if epochs is not None else range(1, cfg["epochs"] + 1))
    ]


def unet_problem(wildcards):
    """The problem spec of one UNet-CRF checkpoint (see losstopo.problems.unet_crf.build)."""
    cfg = config["unet_crf"]
    keys = (
        "depth",
        "width",
        "crf_iterations",
        "crf_filter_size",
        "image_size",
        "eval_batch_size",
    )
    return {
        "name": "unet_crf",
        **{k: cfg[k] for k in keys},
        "data": {"root": data_root(cfg["source"]), "source": cfg["source"]},
    }


def unet_profile_runs():
    """Checkpoints whose landscapes and profiles fig_p4_unet_crf draws: chosen epochs x seeds, every lr."""
    cfg = config["unet_crf"]
    epochs = cfg.get("figure_epochs", sorted({1, cfg["epochs"]}))
    return unet_runs(seeds=cfg.get("figure_seeds", cfg["seeds"][:3]), epochs=epochs)


def previous_epoch(wildcards):
    """The train state of the epoch before (none for the first epoch)."""
    epoch = int(wildcards.epoch)
    return (
        [] if epoch == 1 else [f"{UNET}/epoch{epoch - 1}/state.pt".format(**wildcards)]
    )


# neurovis.smk


def nv_group(name, folders, labels, autoencoder=None):
    """Register trajectories (run folders holding model.pt + trajectory.npz) drawn on one landscape, with
    auto-encoder settings of their own where their size needs it (merged over `neurovis.autoencoder`).
    """
    NV_GROUPS[name] = {
        "folders": folders,
        "labels": labels,
        "autoencoder": autoencoder or {},
    }


def pinn_nv_folder(beta, c_r):
    return PINN_NV.format(beta=fmt(beta), c_r=fmt(c_r), seed=NV["pinn"]["seed"])


def pinn_nv_group(beta, c_r=1.0):
    """The group of one paper-N PINN trajectory, registered on first use."""
    name = f"pinn_beta{fmt(beta)}_cr{fmt(c_r)}"
    nv_group(
        name, [pinn_nv_folder(beta, c_r)], [rf"$\beta$={fmt(beta)}, $c_r$={fmt(c_r)}"]
    )
    return name


def nv_variant(variant, group=None):
    """(method, auto-encoder settings) of a variant name, for a group's trajectories."""
    base = merged(NV["autoencoder"], NV_GROUPS[group]["autoencoder"] if group else {})
    if variant in ("pca", "kpca", "umap"):
        return variant, base
    ae = base
    weights = ae["weights"]
    if variant == "nv_none":
        ae.update(anchor="none", weights={**weights, "anchor": 0.0, "grid": 0.0})
    elif variant == "nv_polar":
        ae.update(anchor="polar", weights={**weights, "grid": 0.0})
    else:
        ae.update(anchor="polar", l_max=float(variant.removeprefix("nv_grid")))
    return "nv", ae


def nv_files(group, variants, ext="npz"):
    return [f"results/neurovis/{group}/{v}.{ext}" for v in variants]


def lmax_variant(l_max):
    return f"nv_grid{fmt(l_max)}"


# trajectories.smk


def balancing_folders(methods):
    return [BALANCING.format(method=m, seed=TR["seed"]) for m in methods]


# user.smk


def user_runs(name):
    """One run per checkpoint of entry `name`, named after the checkpoint's file stem."""
    return [{"checkpoint": Path(f).stem} for f in USER_MODELS[name]]


def user_checkpoint(wildcards):
    """The checkpoint file behind a run folder."""
    by_stem = {Path(f).stem: f for f in USER_MODELS[wildcards.experiment]}
    return by_stem[wildcards.checkpoint]
