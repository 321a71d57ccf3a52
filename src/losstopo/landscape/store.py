"""Resumable chunked output of a grid evaluation: finished chunks saved in a directory.

Each file holds a run of consecutive chunks (the caller decides how often to save, e.g. every 30 s,
so a 4-D grid is not millions of tiny files). A killed job leaves the runs it saved; a rerun with
the same inputs (same fingerprint) computes only the missing chunks and assembles the same array.
Values are stored exactly as computed: NaN and inf stay NaN and inf.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ChunkStore:
    """`.npz` files of finished chunks under `path`, for a flat grid of `n_points` in `chunk`-sized parts."""

    path: Path
    n_points: int
    chunk: int
    fingerprint: str

    @classmethod
    def resume(cls, path: str | Path, n_points: int, fingerprint: str) -> ChunkStore | None:
        """The store at `path` if it holds this computation (with its own chunk size), else None.

        A store of another computation (other fingerprint or grid size) is stale and is removed, so
        old values never mix with new ones.
        """
        path = Path(path)
        manifest = path / MANIFEST
        if manifest.exists():
            saved = json.loads(manifest.read_text())
            if saved.get("fingerprint") == fingerprint and saved.get("n_points") == n_points:
                return cls(path, n_points, int(saved["chunk"]), fingerprint)
        shutil.rmtree(path, ignore_errors=True)
        return None

    @classmethod
    def create(cls, path: str | Path, n_points: int, chunk: int, fingerprint: str) -> ChunkStore:
        """A new, empty store at `path` (anything there before is removed)."""
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        path = Path(path)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        manifest = {"fingerprint": fingerprint, "n_points": n_points, "chunk": chunk}
        (path / MANIFEST).write_text(json.dumps(manifest))
        return cls(path, n_points, chunk, fingerprint)

    @property
    def n_chunks(self) -> int:
        return -(-self.n_points // self.chunk)

    def bounds(self, index: int) -> tuple[int, int]:
        """The flat grid indices [start, stop) of chunk `index`."""
        return index * self.chunk, min((index + 1) * self.chunk, self.n_points)

    def _runs(self) -> list[tuple[int, int, Path]]:
        """(first chunk, last chunk + 1, file) of every stored run of consecutive chunks, in order."""
        runs = []
        for file in self.path.glob("chunks_*.npz"):
            match = re.fullmatch(r"chunks_(\d+)_(\d+)\.npz", file.name)
            if match:
                runs.append((int(match.group(1)), int(match.group(2)), file))
        return sorted(runs)

    def missing(self) -> list[int]:
        """Chunks not yet written, in order."""
        done = {i for first, stop, _ in self._runs() for i in range(first, stop)}
        return [i for i in range(self.n_chunks) if i not in done]

    def write(self, first: int, stop: int, terms: dict[str, np.ndarray]) -> None:
        """Store the finished chunks first..stop-1 as one file, atomically (a kill mid-write leaves none)."""
        start, end = self.bounds(first)[0], self.bounds(stop - 1)[1]
        bad = {k: v.shape for k, v in terms.items() if v.shape != (end - start,)}
        if bad:
            raise ValueError(f"chunks {first}..{stop - 1} must hold {end - start} values per term, "
                             f"got shapes {bad}")
        name = f"chunks_{first:07d}_{stop:07d}.npz"
        tmp = self.path / f".tmp_{name}"
        with open(tmp, "wb") as fh:
            np.savez(fh, **terms)
        os.replace(tmp, self.path / name)

    def assemble(self) -> dict[str, np.ndarray]:
        """Every term as a flat array [n_points], from all stored runs (every chunk must be present)."""
        missing = self.missing()
        if missing:
            raise RuntimeError(f"{len(missing)} chunks of {self.path} are missing (first: {missing[0]})")
        parts: dict[str, list[np.ndarray]] = {}
        for _, _, file in self._runs():
            with np.load(file) as data:
                for key in data.files:
                    parts.setdefault(key, []).append(data[key])
        return {key: np.concatenate(values) for key, values in parts.items()}

    def remove(self) -> None:
        """Delete the store (after the assembled result has been saved)."""
        shutil.rmtree(self.path, ignore_errors=True)
