"""Glue: one checkpoint of a user model entry as the workflow's model.pt + metrics.json."""

from losstopo.api import save_imported
from losstopo.artifacts import job_log
from losstopo.problems.user import import_checkpoint


def main(smk) -> None:
    imported = import_checkpoint(smk.wildcards.experiment, dict(smk.params.entry), smk.input.checkpoint)
    metrics = save_imported(imported, smk.output.model, smk.output.metrics)
    print(f"{smk.input.checkpoint}: {imported.theta.numel()} parameters, {metrics}")


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
