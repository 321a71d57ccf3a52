"""Neuro-Visualizer (paper N, losstopo.experiments.neurovis): groups of training trajectories embedded
by the auto-encoder or by PCA, kernel PCA and UMAP, and the figures and table drawn from them.
"""


rule train_pinn_nv:
    output:
        **train_outputs("pinn_nv", "trajectory", "prediction"),
    log:
        train_log("pinn_nv"),
    group:
        get_job_group("trajectories")
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        **get_train_params("pinn_nv"),
    script:
        "../scripts/train.py"


rule neurovis_landscape:
    input:
        get_group_files,
    output:
        npz=paths.embedding(ext="npz"),
        json=paths.embedding(ext="json"),
    log:
        paths.embedding_log(),
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        method=lambda w: embedding_method(w.embedding),
        neurovis=lambda w: embedding_settings(config, w.embedding, w.group),
        trajectories=get_group_trajectories,
    script:
        "../scripts/neurovis_landscape.py"


rule table_n1_projection_errors:
    input:
        [row["file"] for row in table_rows(config)],
    output:
        **figure("table_n1_projection_errors", "Paper N: Neuro-Visualizer"),
        csv=paths.table("n1_projection_errors"),
    log:
        paths.figure_log("table_n1_projection_errors"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        rows=table_rows(config),
    script:
        "../scripts/table_n1_projection_errors.py"


for target, spec in panel_figures(config).items():

    rule:
        name:
            target
        input:
            [panel.file() for panel in spec.panels],
        output:
            **figure(target, spec.category),
        log:
            paths.figure_log(target),
        conda:
            "../../envs/losstopo.yaml"
        params:
            suptitle=spec.suptitle,
            colour=spec.colour,
            panels=[
                {"title": p.title, "term": p.term, "file": p.file()}
                for p in spec.panels
            ],
        script:
            "../scripts/fig_neurovis_panels.py"
