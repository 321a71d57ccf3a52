"""Glue: the coefficients of variation of every stability run in one table (results/tables/stability.csv).

Params `runs`: a record per run (experiment, run id, `file`: its stability.csv). Output: a row per
(experiment, run, kind, metric, factor) with n_levels, n_draws, the mean value and `cv` (std / |mean| over the
draws at the base, or over the factor's levels at each draw, averaged over draws).
"""

import pandas as pd

from losstopo.artifacts import job_log
from losstopo.topology.stability import FACTORS, format_variation, runs_variation


def main(smk) -> None:
    tables = {(r["experiment"], r["run"]): pd.read_csv(r["file"]) for r in smk.params.runs}
    cv = runs_variation(tables)
    cv.to_csv(smk.output[0], index=False, float_format="%.6g")
    for (experiment, run), group in cv.groupby(["experiment", "run"], sort=False):
        print(f"{experiment} {run}: coefficient of variation per factor\n{format_variation(group, FACTORS)}\n")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
