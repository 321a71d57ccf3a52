"""ResNet-20 with and without residual connections on CIFAR-10 (paper T Figs. 1, 5), SGD by epochs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from losstopo import paths
from losstopo.experiments.base import Config, ImageExperiment, data_root

TRAIN_KEYS = ("epochs", "batch_size", "lr", "momentum", "weight_decay", "step_size", "gamma", "augment",
              "n_train")


@dataclass(frozen=True)
class ResNet20(ImageExperiment):
    """ResNet-20 runs over `resnet20.variants` x `resnet20.seeds`."""

    def run_values(self, config: Config) -> list[dict[str, str]]:
        cfg = config["resnet20"]
        return [{"variant": v, "seed": str(s)} for v in cfg["variants"] for s in cfg["seeds"]]

    def runs_of_seed(self, config: Config, seed: int) -> list[dict[str, str]]:
        """One run per variant at `seed` (the single-model panels of fig_t1)."""
        return [run for run in self.run_values(config) if run["seed"] == str(seed)]

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        cfg = config["resnet20"]
        return {
            "name": "resnet20",
            "residual": values["variant"] == "residual",
            "width": cfg["width"],
            "data": {"root": data_root(config, cfg["source"]), "source": cfg["source"]},
            "eval_batches": cfg["eval_batches"],
            "eval_batch_size": cfg["eval_batch_size"],
            "split": "test",
        }

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {"optimizer": "sgd", **{k: config["resnet20"][k] for k in TRAIN_KEYS}}

    def default_stability_runs(self, config: Config) -> list[dict[str, str]]:
        """Each variant at the first seed (the runs of fig_t1)."""
        return self.runs_of_seed(config, config["resnet20"]["seeds"][0])

    def stability_batches(self, config: Config, values: dict[str, str], n: int) -> dict[str, Any] | None:
        """Consecutive test sets of eval_batches x eval_batch_size images, as many as there are, up to n."""
        spec = self.problem(config, values)
        size = spec["eval_batches"] * spec["eval_batch_size"]
        n = min(n, (self.n_test(config) or n * size) // size)
        return {"spec": {**spec, "eval_batches": n * spec["eval_batches"]}, "batches": n} if n > 1 else None

    def figure_runs(self, config: Config, target: str) -> dict[str, list[dict[str, Any]]]:
        if target == "fig_t1_resnet_landscapes":
            runs = self.runs_of_seed(config, config["resnet20"]["seeds"][0])
            return {"runs": self.records(runs, landscape=paths.landscape("hessian", 2, "npz"),
                                         topology=paths.topology("hessian", 2, "npz"))}
        return super().figure_runs(config, target)


RESNET20 = ResNet20(
    name="resnet20",
    pattern="{variant}/seed{seed}",
    targets=("fig_t1_resnet_landscapes", "fig_t5_resnet_metrics", "table_findings"),
    ml_metrics=("top_eigenvalue", "trace", "test_error", "test_loss"),
    trainer="resnet20",
    final_loss="test_loss",  # the Hessian is taken on test images (the problem's split)
    dataset="cifar10",
)
