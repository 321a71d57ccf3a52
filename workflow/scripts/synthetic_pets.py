"""Glue: write the synthetic Oxford-IIIT Pet stand-in (shapes on textures, trimaps) in the real layout."""

from losstopo.artifacts import job_log
from losstopo.data.pets import write_synthetic_pets


def main(smk) -> None:
    s = smk.params.synthetic
    write_synthetic_pets(smk.params.root, n_trainval=s["n_trainval"], n_test=s["n_test"], seed=s["seed"],
                         size=smk.params.image_size)


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
