"""Merge tree, persistence pairs, metrics and profile of each landscape, any experiment."""


rule topology:
    input:
        landscape=f"{RESULTS}/landscape_{{kind}}_{{dim}}d.npz",
    output:
        json=f"{RESULTS}/topology_{{kind}}_{{dim}}d.json",
        npz=f"{RESULTS}/topology_{{kind}}_{{dim}}d.npz",
    log:
        f"{LOGS}/topology_{{kind}}_{{dim}}d.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        topology=lambda w: stage_settings(w.experiment, "topology"),
    script:
        "../scripts/topology.py"
