"""Loss landscapes of each trained model, any experiment, along random, Hessian or PCA directions."""


rule landscape:
    input:
        unpack(landscape_inputs),
    output:
        npz=f"{RESULTS}/landscape_{{kind}}_{{dim}}d.npz",
        vti=f"{RESULTS}/landscape_{{kind}}_{{dim}}d.vti",
        png=f"{RESULTS}/landscape_{{kind}}_{{dim}}d.png",
    log:
        f"{LOGS}/landscape_{{kind}}_{{dim}}d.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=lambda w: 1000
        + stage_settings(w.experiment, "landscape")["chunk_memory_mb"],
        gpu=lambda w: experiment_gpus(w.experiment),
    params:
        landscape=landscape_params,
    script:
        "../scripts/landscape.py"
