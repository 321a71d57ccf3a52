"""Train the convection PINNs over the beta x learning-rate x seed sweep (losstopo.experiments.pinn)."""


rule train_pinn:
    output:
        **train_outputs("pinn", "trajectory", "prediction"),
    log:
        train_log("pinn"),
    group:
        get_job_group("pinn")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        **get_train_params("pinn"),
    script:
        "../scripts/train.py"
