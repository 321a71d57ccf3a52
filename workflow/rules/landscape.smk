"""Loss landscapes of each trained model, any experiment, along random, Hessian or PCA directions."""


rule landscape:
    input:
        unpack(get_landscape_inputs),
    output:
        npz=paths.run_file(name=paths.landscape(ext="npz")),
        vti=paths.run_file(name=paths.landscape(ext="vti")),
        png=paths.run_file(name=paths.landscape(ext="png")),
    log:
        paths.run_log(step=paths.landscape(ext="")),
    group:
        get_job_group()
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=lambda w: 1000 + get_landscape_settings(w)["chunk_memory_mb"],
        gpu=lambda w: get_gpus(w.experiment),
    params:
        landscape=get_landscape_settings,
    script:
        "../scripts/landscape.py"
