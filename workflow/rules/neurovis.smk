"""Neuro-Visualizer (paper N): training trajectories embedded by an auto-encoder, against PCA, kernel
PCA and UMAP. A *group* is one or several trajectories drawn on one landscape; a *variant* is how it
is embedded (the `embedding` wildcard): `pca`, `kpca`, `umap`, or the auto-encoder with `nv_none` (reconstruction only),
`nv_polar` (+ polar pinning) or `nv_grid{l_max}` (+ polar pinning + grid scaling)."""

NV = config["neurovis"]
PINN_NV = "results/pinn_nv/cr{c_r}/beta{beta}/seed{seed}"
NV_GROUPS = {}


rule train_pinn_nv:
    output:
        model=f"{PINN_NV}/model.pt",
        trajectory=f"{PINN_NV}/trajectory.npz",
        metrics=f"{PINN_NV}/metrics.json",
        prediction=f"{PINN_NV}/prediction.npz",
    log:
        "logs/pinn_nv/cr{c_r}/beta{beta}/seed{seed}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        problem=lambda w: {
            **pinn_problem(w),
            "c_r": float(w.c_r),
            "n_f": NV["pinn"]["n_f"],
            "hidden": NV["pinn"]["hidden"],
        },
        train={
            k: NV["pinn"][k]
            for k in ("optimizer", "lr", "iterations", "checkpoint_every")
        },
    script:
        "../scripts/train_pinn.py"


rule neurovis_landscape:
    input:
        trajectories=lambda w: [
            f"{f}/trajectory.npz" for f in NV_GROUPS[w.group]["folders"]
        ],
        models=lambda w: [f"{f}/model.pt" for f in NV_GROUPS[w.group]["folders"]],
    output:
        npz="results/neurovis/{group}/{embedding}.npz",
        json="results/neurovis/{group}/{embedding}.json",
    log:
        "logs/neurovis/{group}/{embedding}.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        method=lambda w: nv_variant(w.embedding)[0],
        neurovis=lambda w: {
            **nv_variant(w.embedding, w.group)[1],
            "resolution": NV["resolution"],
            "density": NV["density"],
            "dtype": NV["dtype"],
        },
        labels=lambda w: NV_GROUPS[w.group]["labels"],
    script:
        "../scripts/neurovis_landscape.py"


TABLE_GROUP = pinn_nv_group(NV["table_beta"])
BASELINES = ["nv_polar", "pca", "kpca", "umap"]


rule table_n1_projection_errors:
    input:
        results=[
            f for g in (TABLE_GROUP, "cophy") for f in nv_files(g, BASELINES, "json")
        ],
    output:
        **figure("table_n1_projection_errors", "Paper N: Neuro-Visualizer"),
        csv="results/tables/n1_projection_errors.csv",
    log:
        "logs/figures/table_n1_projection_errors.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        rows=[
            {"trajectory": group, "method": nv_variant(v)[0]}
            for group in (TABLE_GROUP, "cophy")
            for v in BASELINES
        ],
    script:
        "../scripts/table_n1_projection_errors.py"


rule fig_n1_baselines:
    input:
        results=nv_files(TABLE_GROUP, BASELINES),
    output:
        **figure("fig_n1_baselines", "Paper N: Neuro-Visualizer"),
    log:
        "logs/figures/fig_n1_baselines.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=["Neuro-Visualizer", "PCA", "kernel PCA", "UMAP"],
        suptitle=rf"PINN $\beta$={fmt(NV['table_beta'])}: one trajectory, four embeddings (points coloured by loss error)",
        term="loss",
        colour="loss_error",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n4_constraints:
    input:
        results=nv_files(
            pinn_nv_group(NV["table_beta"]),
            ["nv_none", "nv_polar", lmax_variant(NV["constraints_lmax"])],
        ),
    output:
        **figure("fig_n4_constraints", "Paper N: Neuro-Visualizer"),
    log:
        "logs/figures/fig_n4_constraints.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=[
            "no constraint",
            "polar pinning",
            f"polar pinning + grid scaling (l_max={fmt(NV['constraints_lmax'])})",
        ],
        suptitle=rf"PINN $\beta$={fmt(NV['table_beta'])}: Neuro-Visualizer constraints",
        term="loss",
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n5_density:
    input:
        results=nv_files(
            pinn_nv_group(NV["table_beta"]),
            [lmax_variant(l) for l in NV["density_lmax"]],
        ),
    output:
        **figure("fig_n5_density", "Paper N: Neuro-Visualizer"),
    log:
        "logs/figures/fig_n5_density.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=[f"l_max={fmt(l)}" for l in NV["density_lmax"]],
        suptitle="CKA-similarity density landscapes (paper N eq. 5)",
        term="loss",
        colour="density",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n7_beta:
    input:
        results=[
            f
            for b in NV["pinn"]["betas"]
            for f in nv_files(pinn_nv_group(b), [BASELINES[0]])
        ],
    output:
        **figure("fig_n7_beta", "Paper N: Neuro-Visualizer"),
    log:
        "logs/figures/fig_n7_beta.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=[rf"$\beta$={fmt(b)}" for b in NV["pinn"]["betas"]],
        suptitle="Neuro-Visualizer landscapes of PINN trajectories over the wave speed",
        term="loss",
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n12_cr:
    input:
        results=[
            f
            for c in NV["pinn"]["c_rs"]
            for f in nv_files(pinn_nv_group(NV["pinn"]["cr_beta"], c), [BASELINES[0]])
        ],
    output:
        **figure("fig_n12_cr", "Paper N: Neuro-Visualizer"),
    log:
        "logs/figures/fig_n12_cr.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=[rf"$c_r$={fmt(c)}" for c in NV["pinn"]["c_rs"]],
        suptitle=rf"Neuro-Visualizer landscapes of PINNs ($\beta$={fmt(NV['pinn']['cr_beta'])}) over the residual weight",
        term="loss",
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"
