"""Glue: the papers' claims tested on this run's tables, each with its statistic, interval, n and verdict
(`losstopo.findings`; the verdict rule is in docs/findings.md).

Params `tables`: table name -> CSV (the run tables of the experiments the claims read, tda_correlations and
n1_projection_errors); `nd`: the PINN runs whose 3-D and 4-D Hessian-direction topologies (files "3d",
"4d") are compared. Outputs `csv` (findings.csv), `md` (the same as Markdown bullets by verdict, which the
README quotes), `png` and `pdf` (the table with coloured verdicts).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from losstopo.artifacts import job_log, load_json
from losstopo.findings import ND, critical_points, evaluate, summary
from losstopo.plots.tables import findings_height, plot_findings


def main(smk) -> None:
    tables = {name: pd.read_csv(path) for name, path in smk.params.tables.items()}
    correlations = tables.pop("tda_correlations")
    runs = {}
    for record in smk.params.nd:
        run = ", ".join(f"{k}={v}" for k, v in record.items() if k != "files")
        runs[run] = {dim: load_json(path) for dim, path in record["files"].items()}
    tables[ND] = critical_points(runs)
    findings = evaluate(tables, correlations=correlations)
    findings.to_csv(smk.output.csv, index=False)
    with open(smk.output.md, "w") as md:
        md.write(summary(findings))
    fig = plt.figure(figsize=(13.5, findings_height(findings)))
    plot_findings(fig.add_axes((0.01, 0.01, 0.98, 0.97)), findings)
    fig.savefig(smk.output.png, dpi=200, bbox_inches="tight")
    fig.savefig(smk.output.pdf, bbox_inches="tight")
    print(findings.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
