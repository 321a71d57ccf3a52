"""Paper figures and tables: each a named target rule whose outputs are report items."""

FIG = config["figures"]


def fig_runs(betas=None):
    """Runs at the single-model figures' learning rate and seed, over `betas` (default: all)."""
    return pinn_runs(betas=betas, lrs=[FIG["lr"]], seeds=[FIG["seed"]])


def profile_runs():
    """Every seed of each (beta, lr) cell whose landscape profiles are drawn."""
    return [
        run
        for cell in FIG["profile_cells"]
        for run in pinn_runs(betas=[cell["beta"]], lrs=[cell["lr"]])
    ]


def figure(name, category):
    """The report() PNG and the plain PDF of a figure target."""
    png, pdf = figure_outputs(name)
    return {
        "png": report(png, caption=f"../report/{name}.rst", category=category),
        "pdf": pdf,
    }


rule fig_p3_pinn_heatmap:
    input:
        metrics=pinn_files("metrics.json"),
        predictions=pinn_files("prediction.npz", fig_runs(FIG["failure_betas"])),
        profiles=pinn_files("topology_hessian_2d.npz", profile_runs()),
    output:
        **figure("fig_p3_pinn_heatmap", "Paper P: landscape profiles"),
    params:
        profile_runs=profile_runs(),
        prediction_runs=fig_runs(FIG["failure_betas"]),
    log:
        "logs/figures/fig_p3_pinn_heatmap.log",
    conda:
        "../../envs/losstopo.yaml"
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
    params:
        runs=profile_runs(),
        dims=FIG["nd_dims"],
    log:
        "logs/figures/fig_pA5_profiles_nd.log",
    conda:
        "../../envs/losstopo.yaml"
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
    params:
        betas=FIG["failure_betas"],
    log:
        "logs/figures/fig_t2_pinn_failure.log",
    conda:
        "../../envs/losstopo.yaml"
    script:
        "../scripts/fig_t2_pinn_failure.py"


rule fig_t6_pinn_metrics:
    input:
        table="results/tables/pinn_runs.csv",
    output:
        **figure("fig_t6_pinn_metrics", "Paper T: PINN failure modes"),
    params:
        lr=FIG["lr"],
        seed=FIG["seed"],
        kinds=config["landscape"]["kinds"],
    log:
        "logs/figures/fig_t6_pinn_metrics.log",
    conda:
        "../../envs/losstopo.yaml"
    script:
        "../scripts/fig_t6_pinn_metrics.py"


rule table_tda_correlations:
    input:
        table="results/tables/pinn_runs.csv",
    output:
        csv=report(
            "results/tables/tda_correlations.csv",
            caption="../report/table_tda_correlations.rst",
            category="Paper T: correlations",
        ),
        **figure("table_tda_correlations", "Paper T: correlations"),
    params:
        kinds=config["landscape"]["kinds"],
    log:
        "logs/figures/table_tda_correlations.log",
    conda:
        "../../envs/losstopo.yaml"
    script:
        "../scripts/table_tda_correlations.py"
