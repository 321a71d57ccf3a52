"""Glue: fig_stability, each topology metric against the grid resolution with the spread over draws.

Params `runs`: a record per run (experiment, run id, `file`: its stability.csv); input `table`: the
coefficients of variation (results/tables/stability.csv), printed to the log.
"""

import matplotlib

matplotlib.use("Agg")
import pandas as pd

from losstopo.artifacts import job_log
from losstopo.plots.stability import draw_stability


def main(smk) -> None:
    runs = {f"{r['experiment']} {r['run']}": pd.read_csv(r["file"]) for r in smk.params.runs}
    fig = draw_stability(runs)
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)
    cv = pd.read_csv(smk.input.table)
    print(cv[cv["factor"].isin(["draw", "resolution"])].to_string(index=False))


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
