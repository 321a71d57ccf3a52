"""What every experiment is, from the validated config alone: its runs, a run's problem and training.

An experiment is a frozen object; its config section is `config[name]`. A run is one model folder
`results/<experiment>/<run id>`, whose id is the experiment's `pattern` filled with the run's sweep
values (the wildcards of its training rule). Nothing here imports torch: the workflow asks these
objects at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from losstopo.config import merged

if TYPE_CHECKING:
    from losstopo.training.trained import Trained

Config = dict[str, Any]


def fmt(value: Any) -> str:
    """The canonical text of a sweep value in paths: 1.0 -> '1', 0.1 -> '0.1', 1e-4 -> '0.0001'."""
    return f"{float(value):g}"


@dataclass(frozen=True)
class Run:
    """One model of an experiment: its folder's id and the sweep values that name it."""

    id: str
    values: dict[str, str]


@dataclass(frozen=True)
class Experiment:
    """The shape every experiment shares; subclasses say how their runs are swept, built and trained.

    `targets`: the figure rules that need its models; `ml_metrics`: what its topology is correlated with
    (besides the `sweep` variables, the papers' claims are about them); `trainer`: the name of its
    function in `losstopo.training.trainers.TRAINERS` (or override `train`); `stages`: whether its runs go
    through the per-model stages (hessian, landscapes, topology, run table) or only feed embeddings;
    `final_loss`: the run-table column of the trained model's loss on the data its Hessian is taken on,
    what the partial correlations of curvature control for (`losstopo.tables.tda_correlations`).
    """

    name: str
    pattern: str
    targets: tuple[str, ...]
    ml_metrics: tuple[str, ...] = ()
    sweep: tuple[str, ...] = ()
    trainer: str = ""
    stages: bool = True
    final_loss: str = "loss"

    def section(self, config: Config) -> dict[str, Any]:
        """This experiment's config section."""
        return config.get(self.name) or {}

    def run_values(self, config: Config) -> list[dict[str, str]]:
        """The sweep values of every run, in sweep order."""
        raise NotImplementedError

    def run(self, values: dict[str, str]) -> Run:
        return Run(self.pattern.format(**values), dict(values))

    def runs(self, config: Config) -> dict[str, Run]:
        """Every run of the sweep, keyed by run id."""
        return {run.id: run for run in map(self.run, self.run_values(config))}

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        """The problem spec of one run (`losstopo.problems.registry.make_problem` rebuilds it)."""
        raise NotImplementedError

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        """The training settings of one run, as its trainer takes them."""
        raise NotImplementedError

    def train(self, problem: dict[str, Any], settings: dict[str, Any], values: dict[str, str],
              inputs: dict[str, Any]) -> Trained:
        """Train one run (its problem spec, training settings, sweep values and input files by name)."""
        from losstopo.training.trainers import TRAINERS

        return TRAINERS[self.trainer](problem, settings, values, inputs)

    def records(self, runs: list[dict[str, str]], **files: str) -> list[dict[str, Any]]:
        """Runs as a script receives them: their sweep values, and `files` ({name: file in the run
        folder}) as paths under "files", so that scripts join inputs by name, not by list position."""
        from losstopo.paths import run_file

        return [{**values, "files": {key: run_file(self.name, self.run(values).id, name)
                                     for key, name in files.items()}} for values in runs]

    def figure_runs(self, config: Config, target: str) -> dict[str, list[dict[str, Any]]]:
        """The run records (see `records`) a figure target of this experiment draws, by role."""
        raise ValueError(f"experiment {self.name} draws no figure {target!r}")

    def active(self, config: Config) -> bool:
        """Whether a configured target needs this experiment's models."""
        return bool(set(self.targets) & set(config["targets"]))

    def stage_settings(self, config: Config, stage: str) -> dict[str, Any]:
        """The global `stage` settings (hessian, landscape, topology) with this experiment's overrides."""
        return merged(config[stage], self.section(config).get(stage, {}))

    def kinds(self, config: Config) -> list[str]:
        """The landscape direction kinds computed for every run."""
        return self.stage_settings(config, "landscape")["kinds"]

    def gpus(self, config: Config) -> int:
        """GPUs a training or landscape job asks a scheduler for (the section's `gpus`; 0 if none)."""
        return self.section(config).get("gpus", 0)

    def stability_runs(self, config: Config) -> list[dict[str, str]]:
        """The runs whose metric stability the `stability` rule measures: the run ids listed under
        `stability.runs.<name>`, else `default_stability_runs`."""
        chosen = config.get("stability", {}).get("runs", {}).get(self.name)
        if chosen is None:
            return self.default_stability_runs(config)
        runs = self.runs(config)
        unknown = [run for run in chosen if run not in runs]
        if unknown:
            raise ValueError(f"stability.runs.{self.name}: {unknown} are not runs of {self.name} in this "
                             f"config; its runs are e.g. {list(runs)[:4]}")
        return [runs[run].values for run in chosen]

    def default_stability_runs(self, config: Config) -> list[dict[str, str]]:
        """The runs measured when the config names none: the sweep's first run."""
        return self.run_values(config)[:1]

    def stability_batches(self, config: Config, values: dict[str, str], n: int) -> dict[str, Any] | None:
        """For the stability stage's batch factor: {"spec": the run's problem spec holding `batches`
        evaluation sets of the run's own size, the first being the run's, "batches": how many, at most
        `n`}; None when the problem has one fixed evaluation set (the default)."""
        return None


@dataclass(frozen=True)
class ImageExperiment(Experiment):
    """An experiment on a data set that is real (under `data.root`) or a synthetic stand-in."""

    dataset: str = ""

    def source(self, config: Config) -> str:
        return self.section(config)["source"]

    def data_root(self, config: Config) -> str:
        return data_root(config, self.source(config))

    def n_test(self, config: Config) -> int | None:
        """Test images available (the synthetic stand-in's `n_test`; None: the real set, checked by its
        loader)."""
        return self.section(config)["synthetic"]["n_test"] if self.source(config) == "synthetic" else None

    def check_data(self, config: Config) -> None:
        """Stop before any job when a needed real data set is absent and may not be downloaded."""
        if self.active(config) and self.source(config) != "synthetic" and not config["data"]["download"]:
            if self.dataset == "cifar10":
                from losstopo.data.cifar import check_cifar10 as check
            else:
                from losstopo.data.pets import check_pets as check
            check(config["data"]["root"])


def data_root(config: Config, source: str) -> str:
    """Where a data set is read from: the synthetic stand-in's folder or the user's data root."""
    from losstopo.paths import SYNTHETIC

    return SYNTHETIC if source == "synthetic" else config["data"]["root"]
