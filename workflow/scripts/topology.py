"""Glue: merge tree, persistence pairs, metrics and landscape profile of one landscape.

Input `landscape`: an .npz with `loss` (N-D, axis i = direction i; NaN/inf allowed) and `axes`
([dim, steps]). Params `topology`: `connectivity` (ttk | axis | full | knn), `k` (neighbours for knn,
which treats the grid points as an unstructured point cloud), `persistence_threshold` (0 keeps every
pair of positive persistence). Outputs: `json` (metrics n_minima, n_saddles, n_pairs,
avg_persistence, total_persistence, max_persistence; basins: smad, smad_normalised, smad_weighted,
smad_weighted_normalised, n_basins, max_basin_depth, mean_basin_size; connectivity, k, persistence_threshold,
n_vertices, n_nonfinite, shape; `pairs` and `essential_pairs` as [birth, death]) and `npz` (keys in
`losstopo.topology.analysis`; `load_topology` reads it back). Non-finite losses count as the largest
finite loss (see `losstopo.topology.analysis`).
"""

import numpy as np

from losstopo.artifacts import job_log
from losstopo.stages.topology import (
    compute_topology,
    has_finite_loss,
    save_nonfinite_record,
    save_topology_files,
)


def main(smk) -> None:
    cfg = smk.params.topology
    with np.load(smk.input.landscape) as data:
        loss, axes = data["loss"], data["axes"]
    print(f"{smk.input.landscape}: loss of shape {loss.shape}, connectivity {cfg['connectivity']}")
    if not has_finite_loss(loss):
        save_nonfinite_record(loss, cfg, smk.output.json, smk.output.npz)
        print("no finite loss on the grid (the model diverged): NaN metrics recorded, status 'no finite loss'")
        return
    topology = compute_topology(loss, axes, cfg)
    save_topology_files(topology, smk.output.json, smk.output.npz)
    print(f"{topology.n_nonfinite} non-finite losses set to the finite max; {topology.metrics}; basins "
          + ", ".join(f"{key} {value:.4g}" for key, value in topology.basins.summary().items()))


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
