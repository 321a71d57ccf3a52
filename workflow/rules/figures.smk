"""Paper figures of the per-model stages: each a named target rule whose outputs are report items.
Each draws the run records its experiment lists for it (`Experiment.figure_runs`)."""


rule fig_p3_pinn_heatmap:
    input:
        get_figure_inputs("pinn", "fig_p3_pinn_heatmap"),
    output:
        **figure("fig_p3_pinn_heatmap", "Paper P: landscape profiles"),
    log:
        paths.figure_log("fig_p3_pinn_heatmap"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_figure_runs("pinn", "fig_p3_pinn_heatmap"),
    script:
        "../scripts/fig_p3_pinn_heatmap.py"


rule fig_pA5_profiles_nd:
    input:
        get_figure_inputs("pinn", "fig_pA5_profiles_nd"),
    output:
        **figure("fig_pA5_profiles_nd", "Paper P: landscape profiles"),
    log:
        paths.figure_log("fig_pA5_profiles_nd"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_figure_runs("pinn", "fig_pA5_profiles_nd"),
        dims=config["figures"]["nd_dims"],
    script:
        "../scripts/fig_pA5_profiles_nd.py"


rule fig_t2_pinn_failure:
    input:
        get_figure_inputs("pinn", "fig_t2_pinn_failure"),
    output:
        **figure("fig_t2_pinn_failure", "Paper T: PINN failure modes"),
    log:
        paths.figure_log("fig_t2_pinn_failure"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_figure_runs("pinn", "fig_t2_pinn_failure"),
    script:
        "../scripts/fig_t2_pinn_failure.py"


rule fig_t6_pinn_metrics:
    input:
        table=paths.run_table("pinn"),
    output:
        **figure("fig_t6_pinn_metrics", "Paper T: PINN failure modes"),
    log:
        paths.figure_log("fig_t6_pinn_metrics"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        lr=config["figures"]["lr"],
        kinds=get_experiment("pinn").kinds(config),
    script:
        "../scripts/fig_t6_pinn_metrics.py"


rule fig_t1_resnet_landscapes:
    input:
        get_figure_inputs("resnet20", "fig_t1_resnet_landscapes"),
    output:
        **figure("fig_t1_resnet_landscapes", "Paper T: ResNet-20"),
    log:
        paths.figure_log("fig_t1_resnet_landscapes"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_figure_runs("resnet20", "fig_t1_resnet_landscapes"),
        synthetic=get_experiment("resnet20").source(config) == "synthetic",
    script:
        "../scripts/fig_t1_resnet_landscapes.py"


rule fig_t5_resnet_metrics:
    input:
        table=paths.run_table("resnet20"),
    output:
        **figure("fig_t5_resnet_metrics", "Paper T: ResNet-20"),
    log:
        paths.figure_log("fig_t5_resnet_metrics"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        kind="hessian",
        synthetic=get_experiment("resnet20").source(config) == "synthetic",
    script:
        "../scripts/fig_t5_resnet_metrics.py"


rule fig_p4_unet_crf:
    input:
        get_figure_inputs("unet_crf", "fig_p4_unet_crf"),
    output:
        **figure("fig_p4_unet_crf", "Paper P: UNet-CRF"),
    log:
        paths.figure_log("fig_p4_unet_crf"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_figure_runs("unet_crf", "fig_p4_unet_crf"),
        synthetic=get_experiment("unet_crf").source(config) == "synthetic",
    script:
        "../scripts/fig_p4_unet_crf.py"
