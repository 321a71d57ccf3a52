"""The Snakemake glue `workflow/scripts/topology.py` on a tiny landscape file."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from losstopo.topology import load_topology
from losstopo.topology.smad import landscape_basin_metrics

SCRIPT = Path(__file__).parents[1] / "workflow" / "scripts" / "topology.py"


def test_topology_script_writes_metrics_and_redrawable_arrays(tmp_path):
    axis = np.linspace(-1, 1, 21)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    loss = 2 + x**2 + y**2 - np.exp(-((x - 0.5) ** 2 + y**2) / 0.02)
    loss -= 0.8 * np.exp(-((x + 0.5) ** 2 + y**2) / 0.02)
    loss[0, :3] = np.nan
    np.savez(tmp_path / "landscape.npz", loss=loss, axes=np.stack([axis, axis]), extra=np.zeros(2))
    smk = SimpleNamespace(
        input=SimpleNamespace(landscape=str(tmp_path / "landscape.npz")),
        output=SimpleNamespace(json=str(tmp_path / "out" / "topology.json"),
                               npz=str(tmp_path / "out" / "topology.npz")),
        params=SimpleNamespace(topology={"connectivity": "ttk", "k": 8, "persistence_threshold": 0.0}),
        log=[str(tmp_path / "topology.log")],
    )
    runpy.run_path(str(SCRIPT), init_globals={"snakemake": smk})

    report = json.loads(Path(smk.output.json).read_text())
    # two narrow wells and the bowl's centre between them
    counts = (report["n_minima"], report["n_saddles"], report["n_nonfinite"], report["n_vertices"])
    assert counts == (3, 2, 3, 441)
    assert report["connectivity"] == "ttk" and report["k"] == 8
    pairs = np.array(report["pairs"])
    assert len(pairs) == 2 and np.isclose(report["avg_persistence"], np.mean(pairs[:, 1] - pairs[:, 0]))
    assert report["essential_pairs"] == [[np.nanmin(loss), np.nanmax(loss)]]
    topology = load_topology(smk.output.npz)
    assert topology.shape == (21, 21) and topology.n_nonfinite == 3
    assert topology.metrics.n_saddles == 2 and len(topology.profile.x) > 441
    assert "non-finite" in Path(smk.log[0]).read_text() and "smad" in Path(smk.log[0]).read_text()


def test_topology_json_holds_basin_metrics_equal_to_those_of_the_saved_topology(tmp_path):
    """SMAD, its variants and the basin summaries in the JSON are those `landscape_basin_metrics` gives on
    the saved .npz (recomputed on its graph); per-basin sizes and depths are in the .npz; a landscape with
    no finite loss records them as NaN."""
    axis = np.linspace(-1, 1, 25)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    loss = x**2 + y**2 - np.exp(-((x - 0.5) ** 2 + y**2) / 0.02) - 0.6 * np.exp(-((x + 0.4) ** 2 + (y - 0.3) ** 2) / 0.03)
    np.savez(tmp_path / "landscape.npz", loss=loss, axes=np.stack([axis, axis]))
    smk = SimpleNamespace(
        input=SimpleNamespace(landscape=str(tmp_path / "landscape.npz")),
        output=SimpleNamespace(json=str(tmp_path / "topology.json"), npz=str(tmp_path / "topology.npz")),
        params=SimpleNamespace(topology={"connectivity": "ttk", "k": 8, "persistence_threshold": 0.0}),
        log=[str(tmp_path / "topology.log")],
    )
    runpy.run_path(str(SCRIPT), init_globals={"snakemake": smk})
    report = json.loads(Path(smk.output.json).read_text())
    keys = ("smad", "smad_normalised", "smad_weighted", "n_basins", "max_basin_depth", "mean_basin_size")
    expected = landscape_basin_metrics(load_topology(smk.output.npz))
    for key in keys:
        assert report[key] == pytest.approx(getattr(expected, key), rel=1e-12), key
    assert report["smad"] > 0 and report["n_basins"] == report["n_minima"] == 3
    assert report["max_basin_depth"] == pytest.approx(loss.max() - loss.min())
    assert report["mean_basin_size"] == pytest.approx(1 / 3)
    with np.load(smk.output.npz) as data:
        assert data["basins_size"].sum() == loss.size and len(data["basins_size"]) == 3
        np.testing.assert_allclose(data["basins_depth"], expected.basin_depths)
        np.testing.assert_array_equal(data["basins_minimum_vertex"], expected.minimum_vertex)

    np.savez(tmp_path / "landscape.npz", loss=np.full_like(loss, np.nan), axes=np.stack([axis, axis]))
    runpy.run_path(str(SCRIPT), init_globals={"snakemake": smk})
    report = json.loads(Path(smk.output.json).read_text())
    assert report["status"] == "no finite loss" and all(np.isnan(report[key]) for key in keys)


def test_a_failing_script_writes_its_traceback_to_its_own_log(tmp_path):
    """On a cluster the job's log is all the user sees: the failure must be in it, not only on the console."""
    from losstopo.artifacts import job_log

    log = tmp_path / "job.log"
    with pytest.raises(ZeroDivisionError):
        with job_log(log):
            print("started")
            1 / 0
    text = log.read_text()
    assert "started" in text and "Traceback" in text and "ZeroDivisionError" in text
