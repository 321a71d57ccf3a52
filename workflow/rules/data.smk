"""Image data sets: real ones under `data.root` (placed by hand, or downloaded when `data.download`),
or small synthetic stand-ins written in exactly the real on-disk layout, read by the same loaders.
"""


rule synthetic_cifar10:
    output:
        paths.cifar10_files(paths.SYNTHETIC),
    log:
        paths.data_log("synthetic_cifar10"),
    conda:
        "../../envs/losstopo.yaml"
    params:
        root=lambda w, output: str(Path(output[0]).parents[1]),
        synthetic=config["resnet20"]["synthetic"],
    script:
        "../scripts/synthetic_cifar10.py"


rule synthetic_pets:
    output:
        paths.pets_files(paths.SYNTHETIC),
    log:
        paths.data_log("synthetic_pets"),
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
            paths.cifar10_files(config["data"]["root"]),
        log:
            paths.data_log("download_cifar10"),
        conda:
            "../../envs/losstopo.yaml"
        params:
            root=config["data"]["root"],
            dataset="cifar10",
        script:
            "../scripts/download.py"

    rule download_pets:
        output:
            paths.pets_files(config["data"]["root"]),
        log:
            paths.data_log("download_pets"),
        conda:
            "../../envs/losstopo.yaml"
        params:
            root=config["data"]["root"],
            dataset="pets",
        script:
            "../scripts/download.py"
