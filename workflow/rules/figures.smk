"""Paper figures and tables: each a named target rule whose outputs are report items."""


rule fig_p3_pinn_heatmap:
    input:
        metrics=pinn_files("metrics.json"),
        predictions=pinn_files("prediction.npz", fig_runs(FIG["failure_betas"])),
        profiles=pinn_files("topology_hessian_2d.npz", profile_runs()),
    output:
        **figure("fig_p3_pinn_heatmap", "Paper P: landscape profiles"),
    log:
        "logs/figures/fig_p3_pinn_heatmap.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        profile_runs=profile_runs(),
        prediction_runs=fig_runs(FIG["failure_betas"]),
    script:
        "../scripts/fig_p3_pinn_heatmap.py"


rule fig_pA5_profiles_nd:
    input:
        profiles=[
            f
            for dim in FIG["nd_dims"]
            for f in pinn_files("topology_hessian_{dim}d.npz", profile_runs(), dim=dim)
        ],
    output:
        **figure("fig_pA5_profiles_nd", "Paper P: landscape profiles"),
    log:
        "logs/figures/fig_pA5_profiles_nd.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=profile_runs(),
        dims=FIG["nd_dims"],
    script:
        "../scripts/fig_pA5_profiles_nd.py"


rule fig_t2_pinn_failure:
    input:
        random=pinn_files("landscape_random_2d.npz", fig_runs(FIG["failure_betas"])),
        hessian=pinn_files("landscape_hessian_2d.npz", fig_runs(FIG["failure_betas"])),
        topology=pinn_files("topology_hessian_2d.npz", fig_runs(FIG["failure_betas"])),
        esd=pinn_files("esd.npz", fig_runs(FIG["failure_betas"])),
        prediction=pinn_files("prediction.npz", fig_runs(FIG["failure_betas"])),
    output:
        **figure("fig_t2_pinn_failure", "Paper T: PINN failure modes"),
    log:
        "logs/figures/fig_t2_pinn_failure.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        betas=FIG["failure_betas"],
    script:
        "../scripts/fig_t2_pinn_failure.py"


rule fig_t6_pinn_metrics:
    input:
        table="results/tables/pinn_runs.csv",
    output:
        **figure("fig_t6_pinn_metrics", "Paper T: PINN failure modes"),
    log:
        "logs/figures/fig_t6_pinn_metrics.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        lr=FIG["lr"],
        seed=FIG["seed"],
        kinds=landscape_kinds("pinn"),
    script:
        "../scripts/fig_t6_pinn_metrics.py"


rule fig_t1_resnet_landscapes:
    input:
        landscape=run_files(
            "resnet20",
            "landscape_hessian_2d.npz",
            resnet_runs_of_seed(config["resnet20"]["seeds"][0]),
        ),
        topology=run_files(
            "resnet20",
            "topology_hessian_2d.npz",
            resnet_runs_of_seed(config["resnet20"]["seeds"][0]),
        ),
    output:
        **figure("fig_t1_resnet_landscapes", "Paper T: ResNet-20"),
    log:
        "logs/figures/fig_t1_resnet_landscapes.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        variants=config["resnet20"]["variants"],
        synthetic=config["resnet20"]["source"] == "synthetic",
    script:
        "../scripts/fig_t1_resnet_landscapes.py"


rule fig_t5_resnet_metrics:
    input:
        table="results/tables/resnet20_runs.csv",
    output:
        **figure("fig_t5_resnet_metrics", "Paper T: ResNet-20"),
    log:
        "logs/figures/fig_t5_resnet_metrics.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        kind="hessian",
        synthetic=config["resnet20"]["source"] == "synthetic",
    script:
        "../scripts/fig_t5_resnet_metrics.py"


rule fig_p4_unet_crf:
    input:
        metrics=run_files("unet_crf", "metrics.json"),
        landscapes=run_files(
            "unet_crf", "landscape_hessian_2d.npz", unet_profile_runs()
        ),
        profiles=run_files("unet_crf", "topology_hessian_2d.npz", unet_profile_runs()),
    output:
        **figure("fig_p4_unet_crf", "Paper P: UNet-CRF"),
    log:
        "logs/figures/fig_p4_unet_crf.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=unet_runs(),
        profile_runs=unet_profile_runs(),
        synthetic=config["unet_crf"]["source"] == "synthetic",
    script:
        "../scripts/fig_p4_unet_crf.py"
