"""Curvature of each trained model, any experiment: top-k Hessian eigenpairs, trace, spectral density."""


rule hessian:
    input:
        model=paths.run_file(name=paths.MODEL),
    output:
        json=paths.run_file(name=paths.HESSIAN),
        eigvecs=paths.run_file(name=paths.EIGVECS),
        esd=paths.run_file(name=paths.ESD),
    log:
        paths.run_log(step="hessian"),
    group:
        get_job_group()
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        hessian=get_stage_settings("hessian"),
    script:
        "../scripts/hessian.py"
