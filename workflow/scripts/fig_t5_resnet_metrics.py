"""Glue: paper T Fig. 5, #saddles and average persistence of ResNet-20 landscapes against ML metrics.

Input `table` (CSV: variant, seed, test_accuracy, top_eigenvalue, trace, <kind>_n_saddles,
<kind>_avg_persistence, ...). Params `kind` (landscape directions, e.g. "hessian") and `synthetic`
(titles say "synthetic CIFAR-10"). Outputs `png` and `pdf`: rows test accuracy, top-1 eigenvalue,
trace; columns #saddles, average persistence; one point per seed and variant, a colour per variant, and
each variant's mean with bars from its smallest to its largest value over seeds.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from losstopo.artifacts import job_log  # noqa: E402
from losstopo.plots.spread import plot_group_means  # noqa: E402
from losstopo.plots.tables import LABELS  # noqa: E402

ML_METRICS = ("test_accuracy", "top_eigenvalue", "trace")
TDA_METRICS = ("n_saddles", "avg_persistence")
VARIANTS = {"residual": ("with residuals", "tab:blue"), "plain": ("without residuals", "tab:red")}


def read_table(path: str, kind: str) -> pd.DataFrame:
    """The table's rows, checked for the columns this figure plots."""
    table = pd.read_csv(path)
    needed = ["variant", "seed", *ML_METRICS, *(f"{kind}_{tda}" for tda in TDA_METRICS)]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"{path} lacks columns {missing} (has {list(table.columns)}); "
                         f"was it made from ResNet-20 runs with {kind} landscapes and topology?")
    return table


def main(smk) -> None:
    kind = smk.params.kind
    table = read_table(smk.input.table, kind)
    data = "synthetic CIFAR-10" if smk.params.synthetic else "CIFAR-10"
    fig, axes = plt.subplots(len(ML_METRICS), len(TDA_METRICS), figsize=(9, 3.0 * len(ML_METRICS)),
                             layout="constrained", squeeze=False)
    for row, ml in zip(axes, ML_METRICS):
        for ax, tda in zip(row, TDA_METRICS):
            column = f"{kind}_{tda}"
            for variant, runs in table.groupby("variant", sort=False):
                label, colour = VARIANTS.get(variant, (variant, None))
                ax.scatter(runs[column], runs[ml], color=colour, label=label, s=30)
                for _, run in runs.iterrows():
                    ax.annotate(f"seed {run['seed']:g}", (run[column], run[ml]), fontsize=6, xytext=(3, 3),
                                textcoords="offset points")
            plot_group_means(ax, table, "variant", column, ml, {v: c for v, (_, c) in VARIANTS.items()})
            ax.set_xlabel(f"{LABELS[tda]} ({kind} landscape)")
            ax.set_ylabel(LABELS.get(ml, ml.replace("_", " ")))
            ax.set_title(f"ResNet-20, {data}", fontsize=9)
    axes[0, 0].legend(title="ResNet-20", fontsize=8)
    fig.suptitle(f"Paper T Fig. 5: merge-tree metrics against ML metrics, one point per seed; diamonds: the "
                 f"variant's mean, bars from min to max over seeds ({data})")
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
