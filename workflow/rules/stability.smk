"""Metric stability: each topology metric over direction draws, resolutions, distances and evaluation
batches, for a few runs per experiment (`Experiment.stability_runs`), and the figure of it.
"""


rule stability:
    input:
        unpack(get_stability_inputs),
    output:
        csv=paths.run_file(name=paths.STABILITY),
    log:
        paths.run_log(step="stability"),
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=180,
        mem_mb=lambda w: 1000 + get_stage_settings("landscape")(w)["chunk_memory_mb"],
        gpu=lambda w: get_gpus(w.experiment),
    params:
        settings=get_stability_settings,
    script:
        "../scripts/stability.py"


rule stability_table:
    input:
        [run["file"] for run in get_stability_runs()],
    output:
        paths.table("stability"),
    log:
        paths.table_log("stability"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_stability_runs(),
    script:
        "../scripts/stability_table.py"


rule fig_stability:
    input:
        table=paths.table("stability"),
        runs=[run["file"] for run in get_stability_runs()],
    output:
        **figure("fig_stability", "Metric stability"),
    log:
        paths.figure_log("fig_stability"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_stability_runs(),
    script:
        "../scripts/fig_stability.py"
