"""Image data sets: real ones under `data.root` (placed by hand, or downloaded when `data.download`),
or small synthetic stand-ins written in exactly the real on-disk layout, read by the same loaders."""

SYNTHETIC = "results/data/synthetic"
CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
PETS_FILES = ["annotations/trainval.txt", "annotations/test.txt"]


def data_root(source):
    """Where a data set is read from: the synthetic stand-in's folder or the user's data root."""
    return SYNTHETIC if source == "synthetic" else config["data"]["root"]


def cifar10_files():
    root = data_root(config["resnet20"]["source"])
    return [f"{root}/cifar-10-batches-py/{name}" for name in CIFAR10_FILES]


def pets_files():
    root = data_root(config["unet_crf"]["source"])
    return [f"{root}/oxford-iiit-pet/{name}" for name in PETS_FILES]


def check_real_data(experiment, source):
    """Stop before any job when a needed real data set is absent and may not be downloaded."""
    if experiment in active_experiments() and source != "synthetic" and not config["data"]["download"]:
        if source == "cifar10":
            from losstopo.data.cifar import check_cifar10 as check
        else:
            from losstopo.data.pets import check_pets as check
        check(config["data"]["root"])


rule synthetic_cifar10:
    output:
        [f"{SYNTHETIC}/cifar-10-batches-py/{name}" for name in CIFAR10_FILES],
    log:
        "logs/data/synthetic_cifar10.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        root=SYNTHETIC,
        synthetic=config["resnet20"]["synthetic"],
    script:
        "../scripts/synthetic_cifar10.py"


rule synthetic_pets:
    output:
        [f"{SYNTHETIC}/oxford-iiit-pet/{name}" for name in PETS_FILES],
    log:
        "logs/data/synthetic_pets.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        root=SYNTHETIC,
        synthetic=config["unet_crf"]["synthetic"],
        image_size=config["unet_crf"]["image_size"],
    script:
        "../scripts/synthetic_pets.py"


if config["data"]["download"]:

    rule download_cifar10:
        output:
            [f"{config['data']['root']}/cifar-10-batches-py/{name}" for name in CIFAR10_FILES],
        log:
            "logs/data/download_cifar10.log",
        conda:
            "../../envs/losstopo.yaml"
        params:
            root=config["data"]["root"],
            dataset="cifar10",
        script:
            "../scripts/download.py"

    rule download_pets:
        output:
            [f"{config['data']['root']}/oxford-iiit-pet/{name}" for name in PETS_FILES],
        log:
            "logs/data/download_pets.log",
        conda:
            "../../envs/losstopo.yaml"
        params:
            root=config["data"]["root"],
            dataset="pets",
        script:
            "../scripts/download.py"
