"""Curvature of each trained model: top-k Hessian eigenpairs, trace, spectral density."""


rule hessian:
    input:
        model=f"{PINN}/model.pt",
    output:
        json=f"{PINN}/hessian.json",
        eigvecs=f"{PINN}/eigvecs.npy",
        esd=f"{PINN}/esd.npz",
    log:
        f"{LOGS}/hessian.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        hessian=config["hessian"],
    script:
        "../scripts/hessian.py"
