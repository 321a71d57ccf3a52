"""One table per experiment (a row per model), and the correlations of topology with curvature and error."""


rule run_table:
    input:
        get_run_table_inputs,
    output:
        paths.run_table(),
    log:
        paths.table_log("{experiment}_runs"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        runs=get_run_table_runs,
    script:
        "../scripts/run_table.py"


rule table_tda_correlations:
    input:
        tables=[e["table"] for e in get_correlation_experiments()],
    output:
        **figure("table_tda_correlations", "Correlations"),
        csv=report(
            paths.table("tda_correlations"),
            caption="../report/table_tda_correlations.rst",
            category="Correlations",
        ),
    log:
        paths.figure_log("table_tda_correlations"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        experiments=get_correlation_experiments(),
    script:
        "../scripts/table_tda_correlations.py"


rule table_findings:
    input:
        get_findings_inputs,
    output:
        **figure("table_findings", "Findings"),
        csv=report(
            paths.table("findings"),
            caption="../report/table_findings.rst",
            category="Findings",
        ),
        md=paths.table("findings", "md"),
    log:
        paths.figure_log("table_findings"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        tables=get_findings_tables(),
        nd=get_findings_nd_runs(),
    script:
        "../scripts/table_findings.py"
