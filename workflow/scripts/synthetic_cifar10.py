"""Glue: write the synthetic CIFAR-10 stand-in in the real on-disk layout."""

from losstopo.artifacts import job_log
from losstopo.data.cifar import write_synthetic_cifar10


def main(smk) -> None:
    s = smk.params.synthetic
    write_synthetic_cifar10(smk.params.root, n_train=s["n_train"], n_test=s["n_test"], seed=s["seed"])


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
