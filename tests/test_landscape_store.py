"""Resumable output: a job killed half-way reruns only the missing chunks and gives the same array."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import tiny_pinn

from losstopo.landscape import ChunkStore, grid_losses, random_directions, uniform_axes


class Killed(RuntimeError):
    pass


class DyingProblem:
    """Counts `loss_terms` calls and raises (a simulated kill) once `die_after` calls have finished."""

    def __init__(self, problem, die_after=None):
        self.problem, self.spec, self.die_after, self.calls = problem, problem.spec, die_after, 0

    def loss_terms(self, thetas):
        if self.die_after is not None and self.calls >= self.die_after:
            raise Killed(f"killed after {self.calls} chunks")
        self.calls += 1
        return self.problem.loss_terms(thetas)


@pytest.fixture
def setup():
    problem = tiny_pinn()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, 3, seed=0)
    return problem, theta0, dirs, uniform_axes(3, 1.0, 7)  # 343 points


def test_killed_job_resumes_with_only_missing_chunks(setup, tmp_path):
    problem, theta0, dirs, axes = setup
    chunk, n_chunks = 16, -(-343 // 16)
    reference = grid_losses(problem, theta0, dirs, axes, chunk=chunk)

    store = tmp_path / "landscape.npz.partial"
    dying = DyingProblem(problem, die_after=n_chunks // 2)
    with pytest.raises(Killed):
        grid_losses(dying, theta0, dirs, axes, chunk=chunk, store=store, key="pinn", save_every=0)
    assert len(list(store.glob("chunks_*.npz"))) == n_chunks // 2  # saved after every chunk

    rerun = DyingProblem(problem)
    resumed = grid_losses(rerun, theta0, dirs, axes, store=store, key="pinn")  # chunk size from the store
    assert rerun.calls == n_chunks - n_chunks // 2
    assert resumed.chunk == chunk and resumed.evaluated_points == 343 - (n_chunks // 2) * chunk
    assert set(resumed.terms) == set(reference.terms)
    for name in reference.terms:
        np.testing.assert_array_equal(resumed.terms[name], reference.terms[name])

    again = DyingProblem(problem)
    grid_losses(again, theta0, dirs, axes, store=store, key="pinn")
    assert again.calls == 0  # everything was there


def test_store_of_another_computation_is_discarded(setup, tmp_path):
    problem, theta0, dirs, axes = setup
    store = tmp_path / "partial"
    with pytest.raises(Killed):
        grid_losses(DyingProblem(problem, die_after=3), theta0, dirs, axes, chunk=40, store=store,
                    key="beta=3", save_every=0)
    rerun = DyingProblem(problem)
    land = grid_losses(rerun, theta0, dirs, axes, chunk=40, store=store, key="beta=5")  # another problem
    assert rerun.calls == -(-343 // 40)
    np.testing.assert_array_equal(land.loss, grid_losses(problem, theta0, dirs, axes, chunk=40).loss)


def test_saves_are_batched_in_time(setup, tmp_path):
    problem, theta0, dirs, axes = setup
    store = tmp_path / "partial"
    with pytest.raises(Killed):  # nothing saved yet when killed inside the first save interval
        grid_losses(DyingProblem(problem, die_after=5), theta0, dirs, axes, chunk=16, store=store,
                    save_every=3600)
    assert not list(store.glob("chunks_*.npz"))
    land = grid_losses(problem, theta0, dirs, axes, chunk=16, store=store, save_every=3600)
    assert len(list(store.glob("chunks_*.npz"))) == 1 and land.evaluated_points == 343


def test_store_keeps_nonfinite_values(tmp_path):
    store = ChunkStore.create(tmp_path / "s", n_points=8, chunk=3, fingerprint="x")
    store.write(0, 1, {"loss": np.array([1.0, np.nan, np.inf])})
    assert store.missing() == [1, 2]
    store.write(1, 3, {"loss": np.array([-np.inf, 2.0, 3.0, 4.0, 5.0])})
    out = store.assemble()["loss"]
    assert np.isnan(out[1]) and np.isposinf(out[2]) and np.isneginf(out[3]) and out[4] == 2.0
    with pytest.raises(ValueError, match="must hold 5 values"):
        store.write(1, 3, {"loss": np.zeros(3)})
    assert ChunkStore.resume(tmp_path / "s", 8, "x").missing() == []
    assert ChunkStore.resume(tmp_path / "s", 8, "y") is None and not (tmp_path / "s").exists()
