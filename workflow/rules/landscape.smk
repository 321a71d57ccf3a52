"""Loss landscapes of each trained model along random, Hessian or PCA directions, in 2-D to 4-D."""


rule landscape:
    input:
        unpack(landscape_inputs),
    output:
        npz=f"{PINN}/landscape_{{kind}}_{{dim}}d.npz",
        vti=f"{PINN}/landscape_{{kind}}_{{dim}}d.vti",
        png=f"{PINN}/landscape_{{kind}}_{{dim}}d.png",
    log:
        f"{LOGS}/landscape_{{kind}}_{{dim}}d.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=lambda w: 1000 + config["landscape"]["chunk_memory_mb"],
    params:
        landscape=landscape_params,
    script:
        "../scripts/landscape.py"
