"""The project's open file formats, read and written in one place (scripts and the CLI call these).

A model is a flat parameter vector plus the problem spec that gives it meaning; a trajectory is the
stack of checkpoint vectors with their steps and losses. torch is imported only by the functions that
need it, so jobs that read JSON or arrays (topology, tables) start without it.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from torch import Tensor

    from losstopo.problems.base import Problem


def save_json(path: str | Path, data: dict[str, Any]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=float) + "\n")


def load_json(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def save_model(path: str | Path, theta: Tensor, problem_spec: dict[str, Any], meta: dict[str, Any],
               buffers: dict[str, Tensor] | None = None) -> None:
    """A `.pt` holding the flat vector, the problem spec that rebuilds the model, metadata, and the
    model's buffers (e.g. BatchNorm running statistics; empty for buffer-free models)."""
    import torch

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    torch.save({"theta": theta.detach().cpu(), "problem": problem_spec, "meta": meta,
                "buffers": {k: v.detach().cpu() for k, v in (buffers or {}).items()}}, path)


def load_model(path: str | Path) -> tuple[Tensor, dict[str, Any], dict[str, Tensor]]:
    """The flat vector, the problem spec and the buffers saved by `save_model`."""
    import torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as err:
        raise ValueError(f"cannot read model file {path}: {err}. Snakemake will not redo a finished file by "
                         f"itself: delete it, or run again with `--forcerun {path}`, and it is trained "
                         "anew") from err
    return data["theta"], data["problem"], data.get("buffers", {})


def load_problem(path: str | Path, dtype: str) -> tuple[Problem, Tensor, dict[str, Any]]:
    """The problem and flat vector of a saved model, rebuilt in `dtype`, with its problem spec."""
    from losstopo.problems.registry import DTYPES, make_problem

    theta, spec, buffers = load_model(path)
    spec = {**spec, "dtype": dtype}
    return make_problem(spec, buffers or None), theta.to(DTYPES[dtype]), spec


@contextmanager
def job_log(path: str | Path) -> Iterator[None]:
    """Send everything a rule's script prints (progress bars included) to its Snakemake log file, and
    a failure's traceback too: on a cluster the job's log is all the user sees."""
    with open(path, "w") as log, redirect_stdout(log), redirect_stderr(log):
        try:
            yield
        except BaseException:
            traceback.print_exc(file=log)
            raise


def save_trajectory(path: str | Path, thetas: Tensor, steps: list[int], losses: list[float]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, thetas=thetas.detach().cpu().numpy(), steps=np.asarray(steps),
                        losses=np.asarray(losses))


def load_trajectory(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k] for k in data.files}
