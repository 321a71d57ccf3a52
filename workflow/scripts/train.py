"""Glue: train one run of any experiment with its trainer and write the files its rule names.

Params `experiment` (its name), `problem` (the run's problem spec) and `train` (its training settings),
both made by the experiment from the config; the wildcards are the run's sweep values; inputs (data
files, a previous epoch's state) are passed by name.
"""

import torch

from losstopo.artifacts import job_log
from losstopo.experiments import find
from losstopo.training.trained import save_trained


def main(smk) -> None:
    torch.set_num_threads(max(1, int(smk.threads)))
    experiment = find(smk.config, smk.params.experiment)
    inputs = dict(smk.input.items())
    result = experiment.train(dict(smk.params.problem), dict(smk.params.train), dict(smk.wildcards.items()),
                              inputs)
    save_trained(result, dict(smk.output.items()))
    print(result.summary)


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
