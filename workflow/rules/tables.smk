"""One table per experiment (a row per model), and the correlations of topology with curvature and error."""


rule run_table:
    input:
        unpack(table_inputs),
    output:
        "results/tables/{experiment}_runs.csv",
    log:
        "logs/tables/{experiment}_runs.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=lambda w: EXPERIMENTS[w.experiment].runs(),
        kinds=lambda w: landscape_kinds(w.experiment),
    script:
        "../scripts/run_table.py"


rule table_tda_correlations:
    input:
        tables=[f"results/tables/{name}_runs.csv" for name in active_experiments()],
    output:
        **figure("table_tda_correlations", "Correlations"),
        csv=report(
            "results/tables/tda_correlations.csv",
            caption="../report/table_tda_correlations.rst",
            category="Correlations",
        ),
    log:
        "logs/figures/table_tda_correlations.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        experiments=[
            {
                "name": name,
                "kinds": landscape_kinds(name),
                "ml_metrics": EXPERIMENTS[name].ml_metrics,
                "sweep": EXPERIMENTS[name].sweep,
            }
            for name in active_experiments()
        ],
    script:
        "../scripts/table_tda_correlations.py"
