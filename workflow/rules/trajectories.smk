"""Trajectories that paper N compares: PINN loss balancing and NTK weighting (beta = 10), CoPhy-PGNN vs a
black-box network on the Ising chain, and a CNN vs an MLP on CIFAR-10; each drawn with the
Neuro-Visualizer and PCA (rules in neurovis.smk)."""

TR = config["trajectories"]
BALANCING = "results/balancing/{method}/seed{seed}"
COPHY = "results/cophy/{model}/seed{seed}"
CIFAR_SMALL = "results/cifar_small/{model}/seed{seed}"
BALANCING_LABELS = {
    "ew": "EW",
    "cw": "CW",
    "dwa": "DWA",
    "lra": "LR annealing",
    "gradnorm": "GradNorm",
    "rlw": "RLW",
    "const": "constant",
    "ntk": "NTK",
}


nv_group(
    "balancing",
    balancing_folders(TR["balancing"]["methods"]),
    [BALANCING_LABELS[m] for m in TR["balancing"]["methods"]],
)
nv_group("ntk", balancing_folders(["const", "ntk"]), ["constant", "NTK"])
nv_group(
    "cophy",
    [COPHY.format(model=m, seed=TR["seed"]) for m in ("cophy", "blackbox")],
    ["CoPhy-PGNN", "black-box NN"],
)
for net, label in (
    ("cnn", "CNN"),
    ("mlp", "MLP"),
):  # two architectures: one landscape each
    nv_group(
        f"cifar_{net}",
        [CIFAR_SMALL.format(model=net, seed=TR["seed"])],
        [label],
        TR["cifar_small"]["autoencoder"],
    )


rule train_balancing:
    output:
        model=f"{BALANCING}/model.pt",
        trajectory=f"{BALANCING}/trajectory.npz",
        metrics=f"{BALANCING}/metrics.json",
    log:
        "logs/balancing/{method}/seed{seed}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        problem={
            "name": "convection",
            "beta": TR["balancing"]["beta"],
            "hidden": TR["balancing"]["hidden"],
            "n_f": TR["balancing"]["n_f"],
            "n_test": TR["balancing"]["n_test"],
            "data_seed": TR["seed"],
        },
        train=TR["balancing"]["train"],
    script:
        "../scripts/train_balancing.py"


rule train_cophy:
    output:
        model=f"{COPHY}/model.pt",
        trajectory=f"{COPHY}/trajectory.npz",
        metrics=f"{COPHY}/metrics.json",
    log:
        "logs/cophy/{model}/seed{seed}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        problem={"name": "ising", **TR["cophy"]["problem"]},
        train=TR["cophy"]["train"],
    script:
        "../scripts/train_cophy.py"


rule train_cifar_small:
    input:
        data=cifar10_files(),
    output:
        model=f"{CIFAR_SMALL}/model.pt",
        trajectory=f"{CIFAR_SMALL}/trajectory.npz",
        metrics=f"{CIFAR_SMALL}/metrics.json",
    log:
        "logs/cifar_small/{model}/seed{seed}/train.log",
    conda:
        "../../envs/losstopo.yaml"
    threads: 1
    resources:
        runtime=60,
        mem_mb=4000,
    params:
        problem={
            "name": "cifar_small",
            "root": data_root(config["resnet20"]["source"]),
            **TR["cifar_small"]["problem"],
        },
        train=TR["cifar_small"]["train"],
    script:
        "../scripts/train_cifar_small.py"


rule fig_n8_loss_balancing:
    input:
        results=nv_files("balancing", [BASELINES[0], BASELINES[0], "pca", "pca"]),
    output:
        **figure("fig_n8_loss_balancing", "Paper N: trajectories"),
    log:
        "logs/figures/fig_n8_loss_balancing.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=["NV: L_r", "NV: L_test", "PCA: L_r", "PCA: L_test"],
        suptitle=rf"Loss balancing from one initialisation, PINN $\beta$={fmt(TR['balancing']['beta'])}",
        term=["r", "test", "r", "test"],
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n6_ntk:
    input:
        results=nv_files("ntk", [BASELINES[0]] * 3),
    output:
        **figure("fig_n6_ntk", "Paper N: trajectories"),
    log:
        "logs/figures/fig_n6_ntk.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=["L_r", "L_bc", "L_ic"],
        suptitle="Constant vs NTK-adaptive loss weighting (Neuro-Visualizer)",
        term=["r", "bc", "ic"],
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n3_cophy:
    input:
        results=nv_files("cophy", [BASELINES[0], BASELINES[0], "pca", "pca"]),
    output:
        **figure("fig_n3_cophy", "Paper N: trajectories"),
    log:
        "logs/figures/fig_n3_cophy.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=["NV: Test-MSE", "NV: S-Loss", "PCA: Test-MSE", "PCA: S-Loss"],
        suptitle="CoPhy-PGNN vs black-box NN on the Ising chain",
        term=["test_mse", "s", "test_mse", "s"],
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"


rule fig_n9_cifar:
    input:
        results=[
            f
            for e in (BASELINES[0], "pca")
            for g in ("cifar_cnn", "cifar_mlp")
            for f in nv_files(g, [e])
        ],
    output:
        **figure("fig_n9_cifar", "Paper N: trajectories"),
    log:
        "logs/figures/fig_n9_cifar.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        titles=[
            "CNN, Neuro-Visualizer",
            "MLP, Neuro-Visualizer",
            "CNN, PCA",
            "MLP, PCA",
        ],
        suptitle=f"CNN vs MLP on {config['resnet20']['source']} CIFAR-10 data (test loss)",
        term="test",
        colour="loss",
    script:
        "../scripts/fig_neurovis_panels.py"
