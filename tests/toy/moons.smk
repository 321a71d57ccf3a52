"""Train the toy two-moons MLPs (tests/toy/moons.py)."""


rule train_moons:
    output:
        **train_outputs("moons", "trajectory"),
    log:
        train_log("moons"),
    threads: 1
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        **get_train_params("moons"),
    script:
        "../scripts/train.py"
