"""The optional TTK backend agrees with our merge tree where TTK is importable (conda env envs/ttk.yaml)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from losstopo.topology import grid_graph, merge_tree, persistence_pairs, ttk_backend


def test_backend_reports_how_to_get_ttk_when_missing():
    if ttk_backend.available():
        pytest.skip("topologytoolkit is installed")
    with pytest.raises(ImportError, match="envs/ttk.yaml"):
        ttk_backend.ttk_persistence_pairs(np.zeros((3, 3)))


@pytest.mark.parametrize("shape", [(40, 33), (9, 10, 11)])
def test_ttk_pairs_equal_ours(shape):
    pytest.importorskip("topologytoolkit")
    loss = gaussian_filter(np.random.default_rng(0).standard_normal(shape), 1.0)
    ours = persistence_pairs(merge_tree(loss.ravel(), grid_graph(shape, "ttk")))
    theirs = ttk_backend.ttk_persistence_pairs(loss)
    assert theirs.essential.sum() == ours.essential.sum() == 1
    for pairs_a, pairs_b in ((theirs, ours), (theirs.finite(), ours.finite())):
        a = np.sort(np.column_stack([pairs_a.birth, pairs_a.death]).view("f8,f8"), axis=0).view("f8")
        b = np.sort(np.column_stack([pairs_b.birth, pairs_b.death]).view("f8,f8"), axis=0).view("f8")
        assert np.allclose(a, b, rtol=0, atol=1e-12), "TTK's death is birth + persistence, so allow rounding"
    assert sorted(theirs.birth_vertex.tolist()) == sorted(ours.birth_vertex.tolist())
