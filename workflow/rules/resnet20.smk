"""Train ResNet-20 with and without residual connections on CIFAR-10 (losstopo.experiments.resnet20)."""

get_experiment("resnet20").check_data(config)


rule train_resnet20:
    input:
        data=paths.cifar10_files(get_experiment("resnet20").data_root(config)),
    output:
        **train_outputs("resnet20", "trajectory"),
    log:
        train_log("resnet20"),
    group:
        get_job_group("resnet20")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=120,
        mem_mb=4000,
        gpu=get_gpus("resnet20"),
    params:
        **get_train_params("resnet20"),
    script:
        "../scripts/train.py"
