"""Merge tree, persistence pairs, metrics and profile of each landscape, any experiment."""


rule topology:
    input:
        landscape=paths.run_file(name=paths.landscape(ext="npz")),
    output:
        json=paths.run_file(name=paths.topology(ext="json")),
        npz=paths.run_file(name=paths.topology(ext="npz")),
    log:
        paths.run_log(step=paths.topology(ext="")),
    group:
        get_job_group()
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        topology=get_stage_settings("topology"),
    script:
        "../scripts/topology.py"
