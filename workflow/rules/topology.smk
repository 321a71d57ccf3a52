"""Merge tree, persistence pairs, metrics and profile of each landscape."""


rule topology:
    input:
        landscape=f"{PINN}/landscape_{{kind}}_{{dim}}d.npz",
    output:
        json=f"{PINN}/topology_{{kind}}_{{dim}}d.json",
        npz=f"{PINN}/topology_{{kind}}_{{dim}}d.npz",
    log:
        f"{LOGS}/topology_{{kind}}_{{dim}}d.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        topology=config["topology"],
    script:
        "../scripts/topology.py"
