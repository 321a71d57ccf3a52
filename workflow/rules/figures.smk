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
        kinds=config["landscape"]["kinds"],
    script:
        "../scripts/fig_t6_pinn_metrics.py"


rule table_tda_correlations:
    input:
        table="results/tables/pinn_runs.csv",
    output:
        **figure("table_tda_correlations", "Paper T: correlations"),
        csv=report(
            "results/tables/tda_correlations.csv",
            caption="../report/table_tda_correlations.rst",
            category="Paper T: correlations",
        ),
    log:
        "logs/figures/table_tda_correlations.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        kinds=config["landscape"]["kinds"],
    script:
        "../scripts/table_tda_correlations.py"
