"""Train ResNet-20 with and without residual connections on CIFAR-10 (paper T Figs. 1, 5)."""

RESNET = "results/resnet20/{variant}/seed{seed}"
TRAIN_KEYS = (
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "weight_decay",
    "step_size",
    "gamma",
    "augment",
    "n_train",
)

register_experiment(
    "resnet20",
    pattern="{variant}/seed{seed}",
    runs=resnet_runs,
    problem=resnet_problem,
    targets=["fig_t1_resnet_landscapes", "fig_t5_resnet_metrics"],
    ml_metrics=["top_eigenvalue", "trace", "test_error", "test_loss"],
)
check_real_data("resnet20", config["resnet20"]["source"])


rule train_resnet20:
    input:
        data=cifar10_files(),
    output:
        model=f"{RESNET}/model.pt",
        trajectory=f"{RESNET}/trajectory.npz",
        metrics=f"{RESNET}/metrics.json",
    log:
        "logs/resnet20/{variant}/seed{seed}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=120,
        mem_mb=4000,
        gpu=experiment_gpus("resnet20"),
    params:
        problem=resnet_problem,
        train={
            "optimizer": "sgd",
            **{k: config["resnet20"][k] for k in TRAIN_KEYS},
        },
    script:
        "../scripts/train_resnet20.py"
