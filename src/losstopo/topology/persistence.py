"""0-dimensional persistence pairs of a merge tree and the summary metrics of paper T.

Each branch of the tree is one pair: born at its minimum, dead at the saddle where it joins an older
basin. The oldest minimum of each connected component never dies; its pair is closed at the
component's highest value and flagged `essential`. Persistence is death - birth, the distance of
the pair to the diagonal measured along the death axis; paper T averages it over the pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from losstopo.topology.merge_tree import MergeTree


@dataclass(frozen=True)
class PersistencePairs:
    """Birth and death values (and vertices) of the 0-dim pairs; essential pairs close at the max."""

    birth: np.ndarray
    death: np.ndarray
    birth_vertex: np.ndarray
    death_vertex: np.ndarray
    essential: np.ndarray

    @property
    def persistence(self) -> np.ndarray:
        return self.death - self.birth

    def finite(self) -> PersistencePairs:
        """The pairs that die at a saddle (all but the essential ones)."""
        keep = ~self.essential
        return PersistencePairs(self.birth[keep], self.death[keep], self.birth_vertex[keep],
                                self.death_vertex[keep], self.essential[keep])

    def to_array(self) -> np.ndarray:
        """An (n, 2) array of (birth, death), essential deaths set to inf."""
        return np.stack([self.birth, np.where(self.essential, np.inf, self.death)], axis=1)

    def to_arrays(self, prefix: str = "pairs_") -> dict[str, np.ndarray]:
        """The pairs as named arrays (for an .npz); `from_arrays` reads them back."""
        return {prefix + name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "pairs_") -> PersistencePairs:
        return cls(**{name: np.asarray(arrays[prefix + name]) for name in _FIELDS})


_FIELDS = ("birth", "death", "birth_vertex", "death_vertex", "essential")


@dataclass(frozen=True)
class TopologyMetrics:
    """Paper T's merge-tree and persistence-diagram summaries of one landscape."""

    n_minima: int
    n_saddles: int
    n_pairs: int
    avg_persistence: float
    total_persistence: float
    max_persistence: float


def persistence_pairs(tree: MergeTree) -> PersistencePairs:
    """One pair per branch of `tree`, sorted by increasing birth."""
    order = np.argsort(tree.branch_node)
    birth_node, death_node = tree.branch_node[order], tree.branch_death[order]
    return PersistencePairs(
        birth=tree.node_value[birth_node],
        death=tree.node_value[death_node],
        birth_vertex=tree.node_vertex[birth_node],
        death_vertex=tree.node_vertex[death_node],
        essential=tree.branch_parent[order] < 0,
    )


def topology_metrics(tree_or_pairs: MergeTree | PersistencePairs) -> TopologyMetrics:
    """#minima, #saddles and the average, total and largest persistence of the finite pairs (0 if none).

    Every minimum starts one pair and every saddle of the tree ends at least one, so the counts
    follow from the pairs alone (which is what a TTK diagram gives).
    """
    pairs = tree_or_pairs if isinstance(tree_or_pairs, PersistencePairs) else persistence_pairs(tree_or_pairs)
    finite_pairs = pairs.finite()
    finite = finite_pairs.persistence
    return TopologyMetrics(
        n_minima=int(pairs.birth.size),
        n_saddles=int(np.unique(finite_pairs.death_vertex).size),
        n_pairs=int(finite.size),
        avg_persistence=float(finite.mean()) if finite.size else 0.0,
        total_persistence=float(finite.sum()),
        max_persistence=float(finite.max()) if finite.size else 0.0,
    )
