"""Helpers shared by the workflow: wildcard formats, the sweep grid, config slices per model."""


def fmt(value):
    """The canonical text of a sweep value in paths: 1.0 -> '1', 0.1 -> '0.1', 1e-4 -> '0.0001'."""
    return f"{float(value):g}"


PINN = "results/pinn/beta{beta}/lr{lr}/seed{seed}"
LOGS = "logs/pinn/beta{beta}/lr{lr}/seed{seed}"


def pinn_runs(betas=None, lrs=None, seeds=None):
    """Wildcard dicts of the PINN sweep (beta x lr x seed), optionally restricted."""
    cfg = config["pinn"]
    return [
        {"beta": fmt(b), "lr": fmt(lr), "seed": str(s)}
        for b in (betas if betas is not None else cfg["betas"])
        for lr in (lrs if lrs is not None else cfg["learning_rates"])
        for s in (seeds if seeds is not None else cfg["seeds"])
    ]


def pinn_files(pattern, runs=None, **fixed):
    """`pattern` (relative to a run folder) expanded over runs, with extra fixed wildcards."""
    return [
        f"{PINN}/{pattern}".format(**run, **fixed)
        for run in (runs if runs is not None else pinn_runs())
    ]


def pinn_problem(wildcards):
    """The problem spec of one PINN run (see losstopo.problems.registry.make_problem)."""
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


def landscape_params(wildcards):
    """The landscape settings, with the points per axis of this dimension."""
    cfg = dict(config["landscape"])
    cfg["steps"] = {"2": cfg["steps"], "3": cfg["steps_3d"], "4": cfg["steps_4d"]}[
        wildcards.dim
    ]
    return cfg


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


def landscape_inputs(wildcards):
    """The model, plus the eigenvectors (hessian) or the trajectory (pca) its directions come from."""
    inputs = {"model": f"{PINN}/model.pt".format(**wildcards)}
    if wildcards.kind == "hessian":
        inputs["eigvecs"] = f"{PINN}/eigvecs.npy".format(**wildcards)
    if wildcards.kind == "pca":
        inputs["trajectory"] = f"{PINN}/trajectory.npz".format(**wildcards)
    return inputs


FIG = config["figures"]


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


def figure(name, category):
    """The report() PNG and the plain PDF of a figure target."""
    png, pdf = figure_outputs(name)
    return {
        "png": report(png, caption=f"../report/{name}.rst", category=category),
        "pdf": pdf,
    }
