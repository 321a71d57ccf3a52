"""Train the convection PINNs over the beta x learning-rate x seed sweep."""


rule train_pinn:
    output:
        model=f"{PINN}/model.pt",
        trajectory=f"{PINN}/trajectory.npz",
        metrics=f"{PINN}/metrics.json",
        prediction=f"{PINN}/prediction.npz",
    log:
        f"{LOGS}/train.log",
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


rule pinn_table:
    input:
        metrics=pinn_files("metrics.json"),
        hessian=pinn_files("hessian.json"),
        topology=[
            f
            for kind in config["landscape"]["kinds"]
            for f in pinn_files("topology_{kind}_2d.json", kind=kind)
        ],
    output:
        "results/tables/pinn_runs.csv",
    log:
        "logs/tables/pinn_runs.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=pinn_runs(),
        kinds=config["landscape"]["kinds"],
    script:
        "../scripts/pinn_table.py"
