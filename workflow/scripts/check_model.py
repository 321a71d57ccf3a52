"""Glue: check a `models:` entry end to end (imports, every checkpoint's keys, the data's shapes) once,
before any of its checkpoints is imported; writes the checked files."""

from losstopo.artifacts import job_log, save_json
from losstopo.problems.user import validate_entry


def main(smk) -> None:
    name = smk.wildcards.experiment
    files = validate_entry(name, dict(smk.params.entry))
    save_json(smk.output[0], {"entry": name, "checkpoints": files})
    print(f"models.{name}: {len(files)} checkpoint(s) checked")


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
