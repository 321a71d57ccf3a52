"""Loss landscapes of each trained model along random, Hessian or PCA directions, in 2-D to 4-D."""


def landscape_inputs(wildcards):
    """The model, plus the eigenvectors (hessian) or the trajectory (pca) its directions come from."""
    inputs = {"model": f"{PINN}/model.pt".format(**wildcards)}
    if wildcards.kind == "hessian":
        inputs["eigvecs"] = f"{PINN}/eigvecs.npy".format(**wildcards)
    if wildcards.kind == "pca":
        inputs["trajectory"] = f"{PINN}/trajectory.npz".format(**wildcards)
    return inputs


rule landscape:
    input:
        unpack(landscape_inputs),
    output:
        npz=f"{PINN}/landscape_{{kind}}_{{dim}}d.npz",
        vti=f"{PINN}/landscape_{{kind}}_{{dim}}d.vti",
        png=f"{PINN}/landscape_{{kind}}_{{dim}}d.png",
    params:
        landscape=landscape_params,
    log:
        f"{LOGS}/landscape_{{kind}}_{{dim}}d.log",
    threads: 1
    resources:
        runtime=60,
        mem_mb=lambda w: 1000 + config["landscape"]["chunk_memory_mb"],
    conda:
        "../../envs/losstopo.yaml"
    script:
        "../scripts/landscape.py"
