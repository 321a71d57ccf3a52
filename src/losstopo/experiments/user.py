"""Models of your own (config `models`): each entry is an experiment whose runs are its checkpoints.

The runs come from the entry's checkpoint files (paths or globs; a missing file stops the workflow at
parse time, naming the entry). The expensive check (imports, every checkpoint's keys, the data's
shapes) runs in the entry's `check_model` job, which every import job of the entry waits for: it is
not repeated at every `snakemake` start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from losstopo.experiments.base import Config, Experiment

NAME = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class UserModel(Experiment):
    """One `models:` entry: a run per checkpoint, named after the checkpoint's file stem."""

    def section(self, config: Config) -> dict[str, Any]:
        return config["models"][self.name]

    def checkpoints(self, config: Config) -> dict[str, str]:
        """Run id (the checkpoint's stem) -> checkpoint file."""
        from losstopo.problems.checkpoints import checkpoint_files

        files = checkpoint_files(self.name, self.section(config).get("checkpoints"))
        return {Path(f).stem: f for f in files}

    def run_values(self, config: Config) -> list[dict[str, str]]:
        return [{"checkpoint": stem} for stem in self.checkpoints(config)]

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        from losstopo.problems.user import module_spec

        return module_spec(self.name, self.section(config), "float32")

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {}


def user_models(config: Config, builtin: set[str]) -> dict[str, UserModel]:
    """The experiments of `config["models"]`; a name that is not a valid, unused experiment name stops."""
    models = {}
    for name in config.get("models", {}):
        if not NAME.fullmatch(name) or name in builtin:
            raise ValueError(
                f"models.{name}: entry names must be lower-case letters, digits and _, and differ from "
                f"the built-in experiments {sorted(builtin)}; rename the entry"
            )
        models[name] = UserModel(
            name=name,
            pattern="{checkpoint}",
            targets=("table_tda_correlations",),
            ml_metrics=("top_eigenvalue", "trace", "loss", "accuracy"),
        )
    return models
