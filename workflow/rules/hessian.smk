"""Curvature of each trained model: top-k Hessian eigenpairs, trace, spectral density."""


rule hessian:
    input:
        model=f"{PINN}/model.pt",
    output:
        json=f"{PINN}/hessian.json",
        eigvecs=f"{PINN}/eigvecs.npy",
        esd=f"{PINN}/esd.npz",
    params:
        hessian=config["hessian"],
    log:
        f"{LOGS}/hessian.log",
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    conda:
        "../../envs/losstopo.yaml"
    script:
        "../scripts/hessian.py"
