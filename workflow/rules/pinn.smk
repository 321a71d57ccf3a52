"""Train the convection PINNs over the beta x learning-rate x seed sweep."""

PINN = "results/pinn/beta{beta}/lr{lr}/seed{seed}"
FIG = config["figures"]

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
