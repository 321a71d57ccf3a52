"""UNet + CRF-RNN on Oxford-IIIT Pet (paper P Fig. 4): one training job per epoch, chained by its state.

Each epoch's checkpoint is its own run, trained from the previous epoch's state: raising `epochs` trains
on from the last checkpoint and recomputes no earlier epoch's stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from losstopo import paths
from losstopo.experiments.base import Config, ImageExperiment, data_root, fmt

PROBLEM_KEYS = ("depth", "width", "crf_iterations", "crf_filter_size", "image_size", "eval_batch_size")
TRAIN_KEYS = ("batch_size", "weight_decay", "step_size", "gamma", "n_train")


@dataclass(frozen=True)
class UnetCrf(ImageExperiment):
    """Checkpoints over `unet_crf.learning_rates` x `unet_crf.seeds` x epochs 1..`unet_crf.epochs`."""

    def run_values(self, config: Config, lrs=None, seeds=None, epochs=None) -> list[dict[str, str]]:
        cfg = config["unet_crf"]
        return [
            {"lr": fmt(lr), "seed": str(s), "epoch": str(e)}
            for lr in (lrs if lrs is not None else cfg["learning_rates"])
            for s in (seeds if seeds is not None else cfg["seeds"])
            for e in (epochs if epochs is not None else range(1, cfg["epochs"] + 1))
        ]

    def profile_runs(self, config: Config) -> list[dict[str, str]]:
        """Checkpoints whose landscapes and profiles fig_p4 draws: chosen epochs x seeds, every lr."""
        cfg = config["unet_crf"]
        epochs = cfg.get("figure_epochs", sorted({1, cfg["epochs"]}))
        return self.run_values(config, seeds=cfg.get("figure_seeds", cfg["seeds"][:3]), epochs=epochs)

    def default_stability_runs(self, config: Config) -> list[dict[str, str]]:
        """The last epoch of the first learning rate and seed."""
        cfg = config["unet_crf"]
        return self.run_values(config, lrs=cfg["learning_rates"][:1], seeds=cfg["seeds"][:1],
                               epochs=[cfg["epochs"]])

    def stability_batches(self, config: Config, values: dict[str, str], n: int) -> dict[str, Any] | None:
        """Consecutive test sets of eval_batch_size images, as many as there are, up to n."""
        spec = self.problem(config, values)
        size = spec["eval_batch_size"]
        n = min(n, (self.n_test(config) or n * size) // size)
        return {"spec": {**spec, "eval_batch_size": n * size}, "batches": n} if n > 1 else None

    def previous(self, values: dict[str, str]) -> dict[str, str] | None:
        """The run whose train state the epoch starts from (None for the first epoch)."""
        epoch = int(values["epoch"])
        return None if epoch == 1 else {**values, "epoch": str(epoch - 1)}

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        cfg = config["unet_crf"]
        return {
            "name": "unet_crf",
            **{k: cfg[k] for k in PROBLEM_KEYS},
            "data": {"root": data_root(config, cfg["source"]), "source": cfg["source"]},
        }

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {
            "optimizer": "adamw",
            "lr": float(values["lr"]),
            "augment": False,
            **{k: config["unet_crf"][k] for k in TRAIN_KEYS},
        }

    def figure_runs(self, config: Config, target: str) -> dict[str, list[dict[str, Any]]]:
        if target == "fig_p4_unet_crf":
            return {
                "runs": self.records(self.run_values(config), metrics=paths.METRICS),
                "profiles": self.records(self.profile_runs(config), landscape=paths.landscape("hessian", 2, "npz"),
                                         profile=paths.topology("hessian", 2, "npz")),
            }
        return super().figure_runs(config, target)


UNET_CRF = UnetCrf(
    name="unet_crf",
    pattern="lr{lr}/seed{seed}/epoch{epoch}",
    targets=("fig_p4_unet_crf", "table_findings"),
    ml_metrics=("top_eigenvalue", "trace", "test_error", "test_iou", "test_loss"),
    sweep=("epoch", "lr"),
    trainer="unet_crf",
    final_loss="test_loss",  # the Hessian is taken on the first test images (the problem's batch)
    dataset="pets",
)
