"""Train UNet + CRF-RNN on Oxford-IIIT Pet one epoch per job, each from the previous epoch's state
(losstopo.experiments.unet_crf)."""

get_experiment("unet_crf").check_data(config)


rule train_unet_crf:
    input:
        data=paths.pets_files(get_experiment("unet_crf").data_root(config)),
        previous=get_previous_state,
    output:
        **train_outputs("unet_crf", "state"),
    log:
        train_log("unet_crf"),
    group:
        get_job_group("unet_crf_epochs")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=120,
        mem_mb=4000,
        gpu=get_gpus("unet_crf"),
    params:
        **get_train_params("unet_crf"),
    script:
        "../scripts/train.py"
