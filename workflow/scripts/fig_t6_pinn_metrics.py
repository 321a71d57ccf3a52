"""Glue: paper T Fig. 6, #saddles and average persistence vs beta against error, eigenvalue, trace.

Every seed at the figures' learning rate: the seed mean with bars from the smallest to the largest value,
each seed a faint point. Input `table` (results/tables/pinn_runs.csv); params `lr`, `kinds`.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from losstopo.artifacts import job_log
from losstopo.plots.spread import plot_spread_against
from losstopo.plots.tables import LABELS


def main(smk) -> None:
    table = pd.read_csv(smk.input.table)
    runs = table[table["lr"] == smk.params.lr].sort_values("beta")
    seeds = sorted(runs["seed"].unique())
    ml_metrics = ["mean_abs_error", "top_eigenvalue", "trace"]
    panels = [(kind, tda) for kind in smk.params.kinds for tda in ("n_saddles", "avg_persistence")]
    fig, axes = plt.subplots(len(panels), len(ml_metrics), figsize=(4.2 * len(ml_metrics), 2.6 * len(panels)),
                             layout="constrained", squeeze=False)
    for row, (kind, tda) in zip(axes, panels):
        for ax, ml in zip(row, ml_metrics):
            plot_spread_against(ax, runs, "beta", f"{kind}_{tda}", ml, f"{LABELS[tda]} ({kind})", LABELS[ml],
                                log_ml=True)
            ax.set_xlabel(r"wave speed $\beta$")
    fig.suptitle(f"PINN convection, lr={smk.params.lr:g}: topology of 2-D landscapes (blue) against ML metrics "
                 f"(orange);\nmean over {len(seeds)} seeds {[int(s) for s in seeds]}, bars from min to max, "
                 "faint points: each seed")
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
