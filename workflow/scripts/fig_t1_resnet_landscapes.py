"""Glue: paper T Fig. 1, ResNet-20 with and without residuals: Hessian-direction landscapes and merge trees.

Inputs `landscape` (landscape_hessian_2d.npz) and `topology` (topology_hessian_2d.npz), one of each per
variant in `params.variants` order. Params `synthetic` (titles say "synthetic CIFAR-10") and optional
`zoom_quantile` (the "zoomed" landscape clips losses above this quantile, showing small-scale structure the
full range hides). Outputs `png` and `pdf`: one row per variant, landscape | zoomed landscape | merge tree.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from losstopo.artifacts import job_log  # noqa: E402
from losstopo.plots.landscape import plot_surface  # noqa: E402
from losstopo.plots.topology import plot_merge_tree  # noqa: E402
from losstopo.topology import load_topology  # noqa: E402

ZOOM_QUANTILE = 0.5
NAMES = {"residual": "with residuals", "plain": "without residuals"}
LABELS = (r"$\alpha_1$ (top-1 eigvec.)", r"$\alpha_2$ (top-2 eigvec.)")


def read_landscape(path: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The axes and the loss grid of a 2-D landscape file."""
    with np.load(path) as data:
        if "loss" not in data.files or data["loss"].ndim != 2:
            raise ValueError(f"{path}: expected a 2-D 'loss' grid (landscape rule, kind hessian, dim 2)")
        return list(data["axes"]), data["loss"]


def zoomed(loss: np.ndarray, quantile: float) -> tuple[np.ndarray, float]:
    """The loss with values above its `quantile` clipped to it, and that clipping level."""
    level = float(np.nanquantile(loss[np.isfinite(loss)], quantile))
    return np.minimum(loss, level), level


def main(smk) -> None:
    runs = smk.params.runs["runs"]
    variants = [run["variant"] for run in runs]
    data = "synthetic CIFAR-10" if smk.params.synthetic else "CIFAR-10"
    quantile = float(getattr(smk.params, "zoom_quantile", ZOOM_QUANTILE))
    fig = plt.figure(figsize=(14, 4.4 * len(variants)), layout="constrained")
    files = [(run["variant"], run["files"]["landscape"], run["files"]["topology"]) for run in runs]
    for row, (variant, landscape, topology) in enumerate(files):
        axes, loss = read_landscape(landscape)
        name = f"ResNet-20 {NAMES.get(variant, variant)}, {data}"
        panel = lambda column, **kw: fig.add_subplot(len(variants), 3, 3 * row + column, **kw)
        plot_surface(panel(1, projection="3d"), axes, loss, labels=LABELS, title=f"{name}\nloss landscape")
        clipped, level = zoomed(loss, quantile)
        plot_surface(panel(2, projection="3d"), axes, clipped, log=False, labels=LABELS,
                     title=f"{name}\nzoom: loss clipped at its {quantile:.0%} quantile ({level:.3g})")
        tree, ax = load_topology(topology), panel(3)
        plot_merge_tree(ax, tree, log_scale=bool(np.all(tree.tree.node_value > 0)))
        ax.set_title(f"{name}\nmerge tree: {tree.metrics.n_saddles} saddles, "
                     f"avg. persistence {tree.metrics.avg_persistence:.3g}")
    fig.suptitle(f"Paper T Fig. 1: ResNet-20 loss landscapes along the top-2 Hessian eigenvectors ({data})")
    fig.savefig(smk.output.png, dpi=150)
    fig.savefig(smk.output.pdf)


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
