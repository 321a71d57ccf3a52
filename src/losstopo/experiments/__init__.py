"""Every experiment, found by name: the modules of this package, plus one per `models:` entry.

An experiment module defines a module-level `Experiment` object (see `base`); dropping a new module here
registers it. The workflow, the tests and the CLI list experiments and their runs from the validated
config alone, without Snakemake and without torch.
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module

from losstopo.experiments.base import Config, Experiment, Run, fmt

__all__ = ["Config", "Experiment", "Run", "active", "builtin", "experiments", "find", "fmt", "stability_runs",
           "stage_experiments"]


@cache
def builtin() -> dict[str, Experiment]:
    """The experiments defined by this package's modules, by name."""
    found: dict[str, Experiment] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Experiment):
                found.setdefault(value.name, value)
    return found


def experiments(config: Config) -> dict[str, Experiment]:
    """Every experiment of a config: the built-in ones and one per `models:` entry."""
    from losstopo.experiments.user import user_models

    return {**builtin(), **user_models(config, set(builtin()))}


def stage_experiments(config: Config) -> dict[str, Experiment]:
    """The experiments whose runs go through the per-model stages."""
    return {name: e for name, e in experiments(config).items() if e.stages}


def active(config: Config) -> list[str]:
    """Stage experiments that a configured target needs (their rows join `table_tda_correlations`)."""
    return [name for name, e in stage_experiments(config).items() if e.active(config)]


def stability_runs(config: Config) -> list[tuple[str, Run]]:
    """(experiment, run) of every run whose metric stability is measured: each active experiment's
    `stability_runs`. A `stability.runs` entry that names no experiment stops, naming it."""
    listed = config.get("stability", {}).get("runs", {})
    unknown = sorted(set(listed) - set(stage_experiments(config)))
    if unknown:
        raise ValueError(f"stability.runs: {unknown} are not experiments with per-model stages; known: "
                         f"{sorted(stage_experiments(config))}")
    return [(name, find(config, name).run(values)) for name in active(config)
            for values in find(config, name).stability_runs(config)]


def find(config: Config, name: str) -> Experiment:
    """The experiment called `name`; an unknown name lists the known ones."""
    known = experiments(config)
    if name not in known:
        raise ValueError(f"unknown experiment {name!r}; known: {sorted(known)}")
    return known[name]
