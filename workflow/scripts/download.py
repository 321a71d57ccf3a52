"""Glue: download a real data set with torchvision (online machines only; `data.download: true`)."""

from losstopo.artifacts import job_log


def main(smk) -> None:
    if smk.params.dataset == "cifar10":
        from losstopo.data.cifar import download_cifar10 as download
    else:
        from losstopo.data.pets import download_pets as download
    download(smk.params.root)


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
