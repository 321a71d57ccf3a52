"""Batched evaluation of f(a) = L(theta0 + sum_i a_i d_i) over an N-D grid of coordinates a.

Grid points are evaluated in chunks, each through ONE call of the problem's batched `loss_terms`
(no Python loop per point). The chunk size comes from a memory budget: a probe counts the bytes a
batch allocates and the budget is divided by the bytes per point. On a CPU a small budget is also the
fast choice (a chunk's activations stay in cache).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import torch
from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from tqdm import tqdm

from losstopo.landscape.directions import Directions
from losstopo.landscape.store import ChunkStore
from losstopo.problems.base import Problem


@dataclass(frozen=True)
class Landscape:
    """Every loss term on the grid (arrays of shape `shape`, axis i = direction i), with run facts."""

    axes: tuple[np.ndarray, ...]
    terms: dict[str, np.ndarray]
    n_nonfinite: dict[str, int]
    chunk: int
    evaluated_points: int
    seconds: float

    @property
    def loss(self) -> np.ndarray:
        return self.terms["loss"]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def points_per_second(self) -> float:
        return self.evaluated_points / self.seconds if self.seconds > 0 else float("nan")


def uniform_axes(dim: int, distance: float, steps: int) -> tuple[np.ndarray, ...]:
    """`dim` copies of `steps` evenly spaced coordinates in [-distance, distance]."""
    if dim < 1 or steps < 2 or not distance > 0:
        raise ValueError(f"need dim >= 1, steps >= 2 and distance > 0; got {dim}, {steps}, {distance}")
    return tuple(np.linspace(-distance, distance, steps) for _ in range(dim))


def grid_coordinates(axes: Sequence[np.ndarray], start: int, stop: int) -> np.ndarray:
    """Coordinates [stop - start, dim] of the flat (C-order) grid indices start..stop-1."""
    shape = tuple(len(a) for a in axes)
    index = np.unravel_index(np.arange(start, stop), shape)
    return np.stack([np.asarray(a)[i] for a, i in zip(axes, index)], axis=1)


_UNINITIALISED = (torch.ops.aten.empty.memory_format, torch.ops.aten.empty_strided.default)


class _WrittenBytes(TorchDispatchMode):
    """Sums the bytes every dispatched op allocates or writes (views excluded).

    Writes into existing tensors (`out=`, in-place) count too, so a problem that reuses buffers
    between calls is measured like one that allocates them afresh.
    """

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        """No dynamo guard: the probe runs eagerly, and the guard would import torch._dynamo (~2 s a job)."""
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.is_view or func in _UNINITIALISED:  # an empty buffer counts when it is written
            return out
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0]
                  if isinstance(t, Tensor)}
        for t in tree_flatten(out)[0]:
            if isinstance(t, Tensor):
                fresh = t.untyped_storage().data_ptr() not in inputs
                self.total += t.untyped_storage().nbytes() if fresh else t.numel() * t.element_size()
        return out


def probe_bytes_per_point(problem: Problem, theta0: Tensor, directions: Tensor) -> tuple[float, float]:
    """(bytes per grid point, fixed bytes) that one `loss_terms` chunk allocates or writes, from
    batches of 1 and 2: the sum over every intermediate, an upper bound on the live memory.
    """
    totals = []
    for batch in (1, 2):
        counter = _WrittenBytes()
        with counter:
            coords = torch.zeros(batch, directions.shape[0], dtype=theta0.dtype, device=theta0.device)
            problem.loss_terms(torch.addmm(theta0, coords, directions))
        totals.append(counter.total)
    per_point = max(totals[1] - totals[0], 1)
    return float(per_point), float(max(totals[0] - per_point, 0))


def plan_chunk(problem: Problem, theta0: Tensor, directions: Tensor, memory_mb: float, n_points: int) -> int:
    """The largest chunk whose probed allocation fits in `memory_mb` (at least 1, at most n_points)."""
    per_point, fixed = probe_bytes_per_point(problem, theta0, directions)
    budget = memory_mb * 2**20 - fixed
    return int(min(max(budget // per_point, 1), n_points))


def fingerprint(theta0: Tensor, directions: Tensor, axes: Sequence[np.ndarray], key: str = "") -> str:
    """A hash of everything that defines the grid's values (plus a caller's `key`, e.g. the problem)."""
    h = hashlib.sha256(key.encode())
    for t in (theta0, directions):
        h.update(t.detach().to("cpu").contiguous().numpy().tobytes())
        h.update(str(t.dtype).encode())
    for a in axes:
        h.update(np.asarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()


def _as_tensor(directions: Directions | Tensor) -> Tensor:
    return directions.vectors if isinstance(directions, Directions) else directions


def _evaluate_chunk(
    problem: Problem, theta0: Tensor, dirs: Tensor, coords: np.ndarray
) -> dict[str, np.ndarray]:
    """Every loss term at the given grid coordinates, in one batched call."""
    a = torch.as_tensor(coords, dtype=theta0.dtype, device=theta0.device)
    terms = problem.loss_terms(torch.addmm(theta0, a, dirs))
    if "loss" not in terms:
        raise KeyError(f"{type(problem).__name__}.loss_terms must return a 'loss' term, got {sorted(terms)}")
    out = {k: v.detach().to("cpu").numpy() for k, v in terms.items()}
    bad = {k: v.shape for k, v in out.items() if v.shape != (len(coords),)}
    if bad:
        raise ValueError(f"{type(problem).__name__}.loss_terms must return one value per parameter vector "
                         f"({len(coords)}), got shapes {bad}")
    return out


def grid_losses(
    problem: Problem,
    theta0: Tensor,
    directions: Directions | Tensor,
    axes: Sequence[np.ndarray],
    *,
    chunk: int | None = None,
    memory_mb: float = 64.0,
    device: str | torch.device | None = None,
    store: str | Path | None = None,
    key: str = "",
    save_every: float = 30.0,
    progress: TextIO | None = None,
) -> Landscape:
    """f(a) = L(theta0 + sum_i a_i d_i) for every point of the grid `axes` (one axis per direction).

    `chunk` points go through each batched call (default: planned from `memory_mb`). With `store`, a
    directory, finished chunks are saved there every `save_every` seconds and a rerun computes only
    the missing ones, with the stored chunk size (`key` names the problem in the store's
    fingerprint). `progress`: a stream for a tqdm bar over chunks.
    Non-finite values are kept and counted.
    """
    dirs = _as_tensor(directions)
    if dirs.ndim != 2 or dirs.shape[1] != theta0.shape[-1]:
        raise ValueError(f"directions must be [k, {theta0.shape[-1]}], got {tuple(dirs.shape)}")
    if len(axes) != dirs.shape[0]:
        raise ValueError(f"{len(axes)} grid axes given for {dirs.shape[0]} directions")
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    theta0 = theta0.detach().to(device)
    dirs = dirs.detach().to(device, theta0.dtype)
    axes = tuple(np.asarray(a, dtype=np.float64) for a in axes)
    shape = tuple(len(a) for a in axes)
    n_points = int(np.prod(shape))

    chunk_store = None
    if store is not None:
        stamp = fingerprint(theta0, dirs, axes, key)
        chunk_store = ChunkStore.resume(store, n_points, stamp)
        if chunk_store is None:
            chunk = chunk or plan_chunk(problem, theta0, dirs, memory_mb, n_points)
            chunk_store = ChunkStore.create(store, n_points, chunk, stamp)
        chunk = chunk_store.chunk
        todo = chunk_store.missing()
    else:
        chunk = chunk or plan_chunk(problem, theta0, dirs, memory_mb, n_points)
        todo = list(range(-(-n_points // chunk)))
    n_chunks = -(-n_points // chunk)

    flat: dict[str, np.ndarray] = {}
    pending: list[tuple[int, dict[str, np.ndarray]]] = []  # evaluated, not yet saved to the store

    def save_pending() -> None:
        if pending:
            joined = {name: np.concatenate([v[name] for _, v in pending]) for name in pending[0][1]}
            chunk_store.write(pending[0][0], pending[-1][0] + 1, joined)
            pending.clear()

    evaluated = 0
    start_time = last_save = time.perf_counter()
    bar = tqdm(total=n_chunks, initial=n_chunks - len(todo), file=progress, unit="chunk",
               disable=progress is None, mininterval=1.0)
    for index in todo:
        start, stop = index * chunk, min((index + 1) * chunk, n_points)
        values = _evaluate_chunk(problem, theta0, dirs, grid_coordinates(axes, start, stop))
        evaluated += stop - start
        if chunk_store is not None:
            if pending and pending[-1][0] != index - 1:
                save_pending()
            pending.append((index, values))
            if time.perf_counter() - last_save >= save_every:
                save_pending()
                last_save = time.perf_counter()
        else:
            for name, v in values.items():
                flat.setdefault(name, np.empty(n_points, dtype=v.dtype))[start:stop] = v
        bar.update(1)
    bar.close()
    seconds = time.perf_counter() - start_time
    if chunk_store is not None:
        save_pending()
        flat = chunk_store.assemble()
    terms = {name: v.reshape(shape) for name, v in flat.items()}
    return Landscape(
        axes=axes,
        terms=terms,
        n_nonfinite={name: int((~np.isfinite(v)).sum()) for name, v in terms.items()},
        chunk=chunk,
        evaluated_points=evaluated,
        seconds=seconds,
    )
