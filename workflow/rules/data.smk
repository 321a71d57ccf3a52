"""Image data sets: real ones under `data.root` (placed by hand, or downloaded when `data.download`),
or small synthetic stand-ins written in exactly the real on-disk layout, read by the same loaders.
"""

SYNTHETIC = "results/data/synthetic"
CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + [
    "test_batch",
    "batches.meta",
]
PETS_FILES = ["annotations/trainval.txt", "annotations/test.txt"]


rule synthetic_cifar10:
    output:
        [f"{SYNTHETIC}/cifar-10-batches-py/{name}" for name in CIFAR10_FILES],
    log:
        "logs/data/synthetic_cifar10.log",
    conda:
        "../../envs/losstopo.yaml"
    params:
        root=lambda w, output: str(Path(output[0]).parents[1]),
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
        root=lambda w, output: str(Path(output[0]).parents[2]),
        synthetic=config["unet_crf"]["synthetic"],
        image_size=config["unet_crf"]["image_size"],
    script:
        "../scripts/synthetic_pets.py"


if config["data"]["download"]:

    rule download_cifar10:
        output:
            [
                f"{config['data']['root']}/cifar-10-batches-py/{name}"
                for name in CIFAR10_FILES
            ],
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
