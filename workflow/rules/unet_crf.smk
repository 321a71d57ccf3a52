"""Train UNet + CRF-RNN on Oxford-IIIT Pet one epoch per job, over learning rates and seeds (paper P Fig. 4).

Each epoch's checkpoint is its own output, trained from the previous epoch's state: raising `epochs`
trains on from the last checkpoint and recomputes no earlier epoch's stages.
"""

UNET = "results/unet_crf/lr{lr}/seed{seed}"
UNET_TRAIN_KEYS = ("batch_size", "weight_decay", "step_size", "gamma", "n_train")

register_experiment(
    "unet_crf",
    pattern="lr{lr}/seed{seed}/epoch{epoch}",
    runs=unet_runs,
    problem=unet_problem,
    targets=["fig_p4_unet_crf"],
    ml_metrics=["top_eigenvalue", "trace", "test_error", "test_iou", "test_loss"],
    sweep=["epoch", "lr"],
)
check_real_data("unet_crf", config["unet_crf"]["source"])


rule train_unet_crf:
    input:
        data=pets_files(),
        previous=previous_epoch,
    output:
        model=f"{UNET}/epoch{{epoch}}/model.pt",
        state=f"{UNET}/epoch{{epoch}}/state.pt",
        metrics=f"{UNET}/epoch{{epoch}}/metrics.json",
    log:
        "logs/unet_crf/lr{lr}/seed{seed}/epoch{epoch}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=120,
        mem_mb=4000,
        gpu=experiment_gpus("unet_crf"),
    params:
        problem=unet_problem,
        train=lambda w: {
            "optimizer": "adamw",
            "lr": float(w.lr),
            "augment": False,
            **{k: config["unet_crf"][k] for k in UNET_TRAIN_KEYS},
        },
    script:
        "../scripts/train_unet_crf.py"
