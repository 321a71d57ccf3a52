"""Helpers every rule file uses: wildcard formats, the sweep grid, config slices per model."""


def fmt(value):
    """The canonical text of a sweep value in paths: 1.0 -> '1', 0.1 -> '0.1', 1e-4 -> '0.0001'."""
    return f"{float(value):g}"


wildcard_constraints:
    beta=r"[0-9.e+-]+",
    lr=r"[0-9.e+-]+",
    seed=r"[0-9]+",
    kind="random|hessian|pca",
    dim="[234]",


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
        f"{PINN}/{pattern}".format(**run, **fixed) for run in (runs if runs is not None else pinn_runs())
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
    cfg["steps"] = {"2": cfg["steps"], "3": cfg["steps_3d"], "4": cfg["steps_4d"]}[wildcards.dim]
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
