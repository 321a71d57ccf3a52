"""Benchmark: our merge tree + persistence against gudhi's persistence, side by side in one run.

    .venv/bin/python benchmarks/topology.py [--repeats 3] [--sizes 101 501 1001] [--cube 41]

Field: a landscape-like bowl plus Gaussian-smoothed noise (many wells of all depths, distinct values).
Per grid and connectivity, in interleaved rounds (so drifting load on a shared machine hits every
method alike), the median over --repeats of:
  ours        `merge_tree` + `persistence_pairs` on a prebuilt graph (numba compiled beforehand);
  ours+graph  the same plus building the graph;
  ST pers     gudhi SimplexTree on the same vertices and edges (vertex = value, edge = max of its ends):
              `compute_persistence` alone, the complex prebuilt;
  ST total    the same plus building the SimplexTree;
  CC          gudhi CubicalComplex where it has the same connectivity (axis = `vertices=`, full =
              `top_dimensional_cells=`), construction + persistence.
Ratios are gudhi time / our time (> 1: we are faster). `same` checks that the finite pair multisets
are equal (against the SimplexTree, and the CubicalComplex where it runs).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import gudhi
import numpy as np
from scipy.ndimage import gaussian_filter

from losstopo.topology import grid_graph, merge_tree, persistence_pairs

CUBICAL = {"axis": "vertices", "full": "top_dimensional_cells"}


def landscape(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A bowl with rugged, smoothed noise on top, like a sampled loss landscape."""
    axes = np.meshgrid(*[np.linspace(-1, 1, s) for s in shape], indexing="ij")
    noise = gaussian_filter(np.random.default_rng(seed).standard_normal(shape), 1.5)
    return sum(a**2 for a in axes) + 0.5 * noise


def ours(values: np.ndarray, graph) -> np.ndarray:
    pairs = persistence_pairs(merge_tree(values, graph)).finite()
    return np.column_stack([pairs.birth, pairs.death])


def simplex_tree(values: np.ndarray, edges: np.ndarray) -> gudhi.SimplexTree:
    tree = gudhi.SimplexTree()
    tree.insert_batch(np.arange(len(values))[None, :], values)
    tree.insert_batch(edges.T, np.maximum(values[edges[:, 0]], values[edges[:, 1]]))
    return tree


def finite_intervals(complex_) -> np.ndarray:
    intervals = complex_.persistence_intervals_in_dimension(0)
    return intervals[np.isfinite(intervals[:, 1])]


def cubical(loss: np.ndarray, keyword: str) -> np.ndarray:
    complex_ = gudhi.CubicalComplex(**{keyword: loss})
    complex_.compute_persistence()
    return finite_intervals(complex_)


def same_pairs(a: np.ndarray, b: np.ndarray) -> bool:
    def canonical(p: np.ndarray) -> np.ndarray:
        return p[np.lexsort((p[:, 1], p[:, 0]))]
    return a.shape == b.shape and np.array_equal(canonical(a), canonical(b))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_case(shape: tuple[int, ...], connectivity: str, repeats: int) -> dict[str, object]:
    """Median seconds of every method on one grid, measured in interleaved rounds."""
    loss = landscape(shape)
    values = loss.ravel()
    times: dict[str, list[float]] = {}
    same = True
    for _ in range(repeats):
        t_graph, graph = timed(lambda: grid_graph(shape, connectivity))
        t_ours, pairs = timed(lambda: ours(values, graph))
        edges = graph.edges()
        t_build, tree = timed(lambda: simplex_tree(values, edges))
        t_pers, _ = timed(partial(tree.compute_persistence, persistence_dim_max=False))
        same &= same_pairs(pairs, finite_intervals(tree))
        del tree
        round_times = {"ours": t_ours, "ours+graph": t_ours + t_graph, "ST pers": t_pers,
                       "ST total": t_build + t_pers}
        if connectivity in CUBICAL:
            round_times["CC"], intervals = timed(lambda: cubical(loss, CUBICAL[connectivity]))
            same &= same_pairs(pairs, intervals)
        for name, seconds in round_times.items():
            times.setdefault(name, []).append(seconds)
    medians = {name: statistics.median(values_) for name, values_ in times.items()}
    grid = "x".join(map(str, shape))
    return {"grid": grid, "conn": connectivity, "pairs": len(pairs), "same": same, **medians}


def print_table(rows: list[dict[str, object]]) -> None:
    header = (f"{'grid':>10} {'conn':>5} {'pairs':>7} {'same':>5} {'ours s':>8} {'+graph s':>9}"
              f" {'ST pers s':>10} {'ST tot s':>9} {'CC s':>7}"
              f" {'STpers/ours':>12} {'STtot/ours+g':>13} {'CC/ours+g':>10}")
    print(header)
    print("-" * len(header))
    for row in rows:
        cc = row.get("CC")
        cc_seconds = "-" if cc is None else f"{cc:.3f}"
        cc_ratio = "-" if cc is None else f"{cc / row['ours+graph']:.1f}"
        print(f"{row['grid']:>10} {row['conn']:>5} {row['pairs']:>7} {str(row['same']):>5}"
              f" {row['ours']:>8.3f} {row['ours+graph']:>9.3f} {row['ST pers']:>10.3f}"
              f" {row['ST total']:>9.3f} {cc_seconds:>7}"
              f" {row['ST pers'] / row['ours']:>12.1f} {row['ST total'] / row['ours+graph']:>13.1f}"
              f" {cc_ratio:>10}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[101, 501, 1001])
    parser.add_argument("--cube", type=int, default=41)
    parser.add_argument("--connectivities", nargs="+", default=["ttk", "axis", "full"])
    args = parser.parse_args()
    warm = landscape((20, 20)).ravel()
    for connectivity in args.connectivities:
        ours(warm, grid_graph((20, 20), connectivity))
    shapes = [(s, s) for s in args.sizes] + ([(args.cube,) * 3] if args.cube else [])
    rows = []
    for shape in shapes:
        for connectivity in args.connectivities:
            rows.append(run_case(shape, connectivity, args.repeats))
    print_table(rows)


if __name__ == "__main__":
    main()
