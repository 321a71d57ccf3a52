"""The convection PINN sweep (papers T and P): beta x learning rate x seed, trained by L-BFGS or Adam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from losstopo import paths
from losstopo.experiments.base import Config, Experiment, fmt

TRAIN_KEYS = ("optimizer", "iterations", "checkpoint_every")


def convection_spec(section: dict[str, Any], beta: str, seed: str) -> dict[str, Any]:
    """The problem spec of a convection PINN at `beta` from a section with its network and grid."""
    return {
        "name": "convection",
        "beta": float(beta),
        "c_r": section["c_r"],
        "hidden": list(section["hidden"]),
        "n_x": section["n_x"],
        "n_t": section["n_t"],
        "n_f": section["n_f"],
        "data_seed": int(seed),
    }


@dataclass(frozen=True)
class PinnSweep(Experiment):
    """PINNs over `pinn.betas` x `pinn.learning_rates` x `pinn.seeds`."""

    def run_values(self, config: Config, betas=None, lrs=None, seeds=None) -> list[dict[str, str]]:
        """The sweep, optionally restricted to some betas, learning rates or seeds."""
        cfg = config["pinn"]
        return [
            {"beta": fmt(b), "lr": fmt(lr), "seed": str(s)}
            for b in (betas if betas is not None else cfg["betas"])
            for lr in (lrs if lrs is not None else cfg["learning_rates"])
            for s in (seeds if seeds is not None else cfg["seeds"])
        ]

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return convection_spec(config["pinn"], values["beta"], values["seed"])

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        cfg = config["pinn"]
        return {
            "optimizer": cfg["optimizer"],
            "lr": float(values["lr"]),
            "iterations": cfg["iterations"],
            "checkpoint_every": cfg["checkpoint_every"],
        }

    def single_runs(self, config: Config, betas=None) -> list[dict[str, str]]:
        """Runs at the single-model figures' learning rate and seed, over `betas` (default: all)."""
        fig = config["figures"]
        return self.run_values(config, betas=betas, lrs=[fig["lr"]], seeds=[fig["seed"]])

    def failure_runs(self, config: Config) -> list[dict[str, str]]:
        """The single-model runs of the failure figures (figures.failure_betas)."""
        return self.single_runs(config, config["figures"]["failure_betas"])

    def profile_runs(self, config: Config) -> list[dict[str, str]]:
        """Every seed of each (beta, lr) cell whose landscape profiles are drawn."""
        return [
            run
            for cell in config["figures"]["profile_cells"]
            for run in self.run_values(config, betas=[cell["beta"]], lrs=[cell["lr"]])
        ]

    def default_stability_runs(self, config: Config) -> list[dict[str, str]]:
        """The single-model runs at the smallest and the largest of figures.failure_betas."""
        betas = config["figures"]["failure_betas"]
        return self.single_runs(config, sorted({min(betas), max(betas)}))

    def figure_runs(self, config: Config, target: str) -> dict[str, list[dict[str, Any]]]:
        profile = paths.topology("hessian", 2, "npz")
        if target == "fig_p3_pinn_heatmap":
            return {
                "runs": self.records(self.run_values(config), metrics=paths.METRICS),
                "predictions": self.records(self.failure_runs(config), prediction=paths.PREDICTION),
                "profiles": self.records(self.profile_runs(config), profile=profile),
            }
        if target == "fig_pA5_profiles_nd":
            dims = config["figures"]["nd_dims"]
            files = {f"{dim}d": paths.topology("hessian", dim, "npz") for dim in dims}
            return {"profiles": self.records(self.profile_runs(config), **files)}
        if target == "fig_t2_pinn_failure":
            files = {kind: paths.landscape(kind, 2, "npz") for kind in ("random", "hessian")}
            return {"runs": self.records(self.failure_runs(config), **files, topology=profile, esd=paths.ESD,
                                         prediction=paths.PREDICTION)}
        if target == "table_findings":  # paper P Fig. A.5's claim: 4-D against 3-D critical points, per run
            files = {f"{dim}d": paths.topology("hessian", dim) for dim in (3, 4)}
            return {"nd": self.records(self.profile_runs(config), **files)}
        return super().figure_runs(config, target)


PINN = PinnSweep(
    name="pinn",
    pattern="beta{beta}/lr{lr}/seed{seed}",
    targets=(
        "fig_p3_pinn_heatmap",
        "fig_t2_pinn_failure",
        "fig_t6_pinn_metrics",
        "fig_pA5_profiles_nd",
        "table_tda_correlations",
        "table_findings",
    ),
    ml_metrics=("top_eigenvalue", "trace", "rel_l2_error", "mean_abs_error", "loss"),
    sweep=("beta", "lr"),
    trainer="pinn",
)
