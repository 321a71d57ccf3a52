"""Glue: several Neuro-Visualizer / baseline results side by side (paper N Figs. 1, 4, 5, 7, 12).

Params: `panels` (one per result: its npz `file` written by neurovis_landscape.py, `title` and the loss
`term` drawn), `suptitle`, `colour` (loss | loss_error | projection_error | density).
Loss contours share one log scale across panels, as in the paper. Outputs `png`, `pdf`.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from losstopo.artifacts import job_log
from losstopo.neurovis import ProjectionResult
from losstopo.plots.neurovis import (
    COLOURINGS,
    plot_density_landscape,
    plot_projection_landscape,
    shared_levels,
)

COLUMNS = 4


def load_results(paths: list[str]) -> list[ProjectionResult]:
    results = []
    for path in paths:
        with np.load(path) as archive:
            results.append(ProjectionResult.from_arrays(archive))
    return results


def main(smk) -> None:
    panels, colour = list(smk.params.panels), smk.params.colour
    titles, terms = [p["title"] for p in panels], [p["term"] for p in panels]
    if colour not in COLOURINGS:
        raise ValueError(f"params.colour must be one of {COLOURINGS}, got {colour!r}")
    results = load_results([p["file"] for p in panels])
    columns = min(COLUMNS, len(results))
    rows = -(-len(results) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.4 * columns, 3.9 * rows), layout="constrained",
                             squeeze=False)
    shared = colour != "density" and len(set(terms)) == 1
    levels = shared_levels(results, terms[0]) if shared else 30
    for ax, result, title, term in zip(axes.ravel(), results, titles, terms):
        if colour == "density":
            plot_density_landscape(ax, result, title=title)
        else:
            plot_projection_landscape(ax, result, term=term, colour=colour, levels=levels, title=title)
        ax.text(0.02, 0.02, f"$e_{{rel}}$={result.e_relative:.3g}  $e_{{proj}}$={result.e_proj:.3g}",
                transform=ax.transAxes, fontsize=7, color="w", bbox={"facecolor": "k", "alpha": 0.4, "lw": 0})
    for ax in axes.ravel()[len(results):]:
        ax.set_visible(False)
    fig.suptitle(smk.params.suptitle)
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
