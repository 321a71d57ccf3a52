"""Curvature of each trained model, any experiment: top-k Hessian eigenpairs, trace, spectral density."""


rule hessian:
    input:
        model=f"{RESULTS}/model.pt",
    output:
        json=f"{RESULTS}/hessian.json",
        eigvecs=f"{RESULTS}/eigvecs.npy",
        esd=f"{RESULTS}/esd.npz",
    log:
        f"{LOGS}/hessian.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        hessian=lambda w: stage_settings(w.experiment, "hessian"),
    script:
        "../scripts/hessian.py"
