"""Trajectories that paper N compares (losstopo.experiments.neurovis): PINN loss balancing and NTK
weighting, CoPhy-PGNN vs a black-box network on the Ising chain, a CNN vs an MLP on CIFAR-10; each drawn
with the Neuro-Visualizer and PCA (figures in neurovis.smk)."""


rule train_balancing:
    output:
        **train_outputs("balancing", "trajectory"),
    log:
        train_log("balancing"),
    group:
        get_job_group("trajectories")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        **get_train_params("balancing"),
    script:
        "../scripts/train.py"


rule train_cophy:
    output:
        **train_outputs("cophy", "trajectory"),
    log:
        train_log("cophy"),
    group:
        get_job_group("trajectories")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        **get_train_params("cophy"),
    script:
        "../scripts/train.py"


rule train_cifar_small:
    input:
        data=paths.cifar10_files(get_experiment("resnet20").data_root(config)),
    output:
        **train_outputs("cifar_small", "trajectory"),
    log:
        train_log("cifar_small"),
    group:
        get_job_group("trajectories")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        **get_train_params("cifar_small"),
    script:
        "../scripts/train.py"
