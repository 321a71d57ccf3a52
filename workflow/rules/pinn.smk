"""Train the convection PINNs over the beta x learning-rate x seed sweep."""

PINN = "results/pinn/beta{beta}/lr{lr}/seed{seed}"
FIG = config["figures"]


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


register_experiment(
    "pinn",
    pattern="beta{beta}/lr{lr}/seed{seed}",
    runs=pinn_runs,
    problem=pinn_problem,
    targets=[
        "fig_p3_pinn_heatmap",
        "fig_t2_pinn_failure",
        "fig_t6_pinn_metrics",
        "fig_pA5_profiles_nd",
        "table_tda_correlations",
    ],
    ml_metrics=["top_eigenvalue", "trace", "rel_l2_error", "mean_abs_error", "loss"],
    sweep=["beta", "lr"],
)


rule train_pinn:
    output:
        model=f"{PINN}/model.pt",
        trajectory=f"{PINN}/trajectory.npz",
        metrics=f"{PINN}/metrics.json",
        prediction=f"{PINN}/prediction.npz",
    log:
        "logs/pinn/beta{beta}/lr{lr}/seed{seed}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        problem=pinn_problem,
        train=lambda w: {
            "optimizer": config["pinn"]["optimizer"],
            "lr": float(w.lr),
            "iterations": config["pinn"]["iterations"],
            "checkpoint_every": config["pinn"]["checkpoint_every"],
        },
    script:
        "../scripts/train_pinn.py"
