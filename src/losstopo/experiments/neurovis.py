"""Paper N's trajectories and the groups the Neuro-Visualizer embeds (papers N Figs. 1-13, Table 1).

Trajectory experiments train runs that keep many checkpoints and feed only the embeddings, not the
per-model stages: the PINNs over beta and c_r (`pinn_nv`), loss balancing and NTK weighting
(`balancing`), CoPhy-PGNN vs a black-box network (`cophy`), and a CIFAR CNN vs an MLP (`cifar_small`).
A *group* is one or several trajectories drawn on one landscape; an *embedding* is how it is drawn:
`pca`, `kpca`, `umap`, or the auto-encoder with `nv_none` (reconstruction only), `nv_polar` (+ polar
pinning, the Neuro-Visualizer of the papers' comparisons) or `nv_grid{l_max}` (+ grid scaling).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from losstopo import paths
from losstopo.config import merged
from losstopo.experiments.base import Config, Experiment, data_root, fmt
from losstopo.experiments.pinn import convection_spec

NEURO_VISUALIZER = "nv_polar"
BASELINES = ("pca", "kpca", "umap")
TABLE_EMBEDDINGS = (NEURO_VISUALIZER, *BASELINES)
BALANCING_LABELS = {
    "ew": "EW",
    "cw": "CW",
    "dwa": "DWA",
    "lra": "LR annealing",
    "gradnorm": "GradNorm",
    "rlw": "RLW",
    "const": "constant",
    "ntk": "NTK",
}
NTK_METHODS = ("const", "ntk")
COPHY_MODELS = ("cophy", "blackbox")
COPHY_GROUP = "cophy"  # the CoPhy-PGNN / black-box group: the trajectory of paper N's Table 1
CIFAR_MODELS = ("cnn", "mlp")


@dataclass(frozen=True)
class PinnTrajectories(Experiment):
    """Adam-trained PINNs over (beta, c_r): the trajectories of Figs. 1, 4, 5, 7, 12 and Table 1."""

    def run_values(self, config: Config) -> list[dict[str, str]]:
        seed = str(config["neurovis"]["pinn"]["seed"])
        return [{"c_r": fmt(c), "beta": fmt(b), "seed": seed} for b, c in pinn_cells(config)]

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        nv = config["neurovis"]["pinn"]
        return {
            **convection_spec(config["pinn"], values["beta"], values["seed"]),
            "c_r": float(values["c_r"]),
            "n_f": nv["n_f"],
            "hidden": nv["hidden"],
        }

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        nv = config["neurovis"]["pinn"]
        return {k: nv[k] for k in ("optimizer", "lr", "iterations", "checkpoint_every")}


@dataclass(frozen=True)
class Trajectories(Experiment):
    """A paper-N trainer of section `trajectories.<name>`: its `models`, each from the shared seed
    `trajectories.seed` (one initialisation), trained with the section's `train` settings."""

    models: tuple[str, ...] = ()
    stages: bool = False

    def run_values(self, config: Config) -> list[dict[str, str]]:
        return [{"model": m, "seed": str(config["trajectories"]["seed"])} for m in self.models]

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return config["trajectories"][self.name]["train"]


@dataclass(frozen=True)
class Balancing(Trajectories):
    """The convection PINN from one initialisation under each loss-balancing method and NTK weighting."""

    def run_values(self, config: Config) -> list[dict[str, str]]:
        methods = dict.fromkeys([*config["trajectories"]["balancing"]["methods"], *NTK_METHODS])
        return [{"method": m, "seed": str(config["trajectories"]["seed"])} for m in methods]

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        tr = config["trajectories"]
        return {
            "name": "convection",
            "beta": tr["balancing"]["beta"],
            "hidden": tr["balancing"]["hidden"],
            "n_f": tr["balancing"]["n_f"],
            "n_test": tr["balancing"]["n_test"],
            "data_seed": tr["seed"],
        }


@dataclass(frozen=True)
class Cophy(Trajectories):
    """CoPhy-PGNN and a black-box network on the Ising chain eigen-problem."""

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {"name": "ising", **config["trajectories"]["cophy"]["problem"]}


@dataclass(frozen=True)
class CifarSmall(Trajectories):
    """Paper N's CIFAR-10 CNN and MLP, on the data source of the ResNet-20 experiment."""

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {
            "name": "cifar_small",
            "root": data_root(config, config["resnet20"]["source"]),
            **config["trajectories"]["cifar_small"]["problem"],
        }


PINN_NV = PinnTrajectories(name="pinn_nv", pattern="cr{c_r}/beta{beta}/seed{seed}", targets=(), trainer="pinn",
                           stages=False)
BALANCING = Balancing(name="balancing", pattern="{method}/seed{seed}", targets=(), trainer="balancing")
COPHY = Cophy(name="cophy", pattern="{model}/seed{seed}", targets=(), trainer="cophy", models=COPHY_MODELS)
CIFAR_SMALL = CifarSmall(name="cifar_small", pattern="{model}/seed{seed}", targets=(), trainer="cifar_small",
                         models=CIFAR_MODELS)
TRAJECTORIES = {e.name: e for e in (PINN_NV, BALANCING, COPHY, CIFAR_SMALL)}


@dataclass(frozen=True)
class Trajectory:
    """One run folder holding model.pt and trajectory.npz, with its label on the landscape."""

    experiment: str
    run: str
    label: str

    @property
    def model(self) -> str:
        return paths.run_file(self.experiment, self.run, paths.MODEL)

    @property
    def trajectory(self) -> str:
        return paths.run_file(self.experiment, self.run, paths.TRAJECTORY)


@dataclass(frozen=True)
class Group:
    """Trajectories embedded together, with auto-encoder settings of their own where their size needs it
    (merged over `neurovis.autoencoder`)."""

    name: str
    trajectories: tuple[Trajectory, ...]
    autoencoder: dict[str, Any] = field(default_factory=dict)


def pinn_cells(config: Config) -> list[tuple[float, float]]:
    """The (beta, c_r) of every PINN trajectory a figure or table draws, each once."""
    nv = config["neurovis"]
    cells = [(nv["table_beta"], 1.0), *((b, 1.0) for b in nv["pinn"]["betas"])]
    cells += [(nv["pinn"]["cr_beta"], c) for c in nv["pinn"]["c_rs"]]
    return list(dict.fromkeys((float(b), float(c)) for b, c in cells))


def pinn_group(beta: float, c_r: float = 1.0) -> str:
    """The name of the group of one PINN trajectory."""
    return f"pinn_beta{fmt(beta)}_cr{fmt(c_r)}"


def _trajectory(experiment: Experiment, values: dict[str, str], label: str) -> Trajectory:
    return Trajectory(experiment.name, experiment.run(values).id, label)


def groups(config: Config) -> dict[str, Group]:
    """Every group of trajectories that a paper-N figure or table embeds."""
    seed = str(config["trajectories"]["seed"])
    nv_seed = str(config["neurovis"]["pinn"]["seed"])
    out = [
        Group(pinn_group(b, c), (_trajectory(PINN_NV, {"c_r": fmt(c), "beta": fmt(b), "seed": nv_seed},
                                             rf"$\beta$={fmt(b)}, $c_r$={fmt(c)}"),))
        for b, c in pinn_cells(config)
    ]
    methods = config["trajectories"]["balancing"]["methods"]
    out.append(Group("balancing", tuple(_trajectory(BALANCING, {"method": m, "seed": seed}, BALANCING_LABELS[m])
                                        for m in methods)))
    out.append(Group("ntk", tuple(_trajectory(BALANCING, {"method": m, "seed": seed}, label)
                                  for m, label in zip(NTK_METHODS, ("constant", "NTK")))))
    out.append(Group(COPHY_GROUP, tuple(_trajectory(COPHY, {"model": m, "seed": seed}, label)
                                    for m, label in zip(COPHY_MODELS, ("CoPhy-PGNN", "black-box NN")))))
    autoencoder = config["trajectories"]["cifar_small"]["autoencoder"]
    for model, label in zip(CIFAR_MODELS, ("CNN", "MLP")):  # two architectures: one landscape each
        out.append(Group(f"cifar_{model}", (_trajectory(CIFAR_SMALL, {"model": model, "seed": seed}, label),),
                         autoencoder))
    return {group.name: group for group in out}


def lmax_embedding(l_max: float) -> str:
    """The embedding name of the auto-encoder with grid scaling at `l_max`."""
    return f"nv_grid{fmt(l_max)}"


def embedding_method(embedding: str) -> str:
    """`nv` for the auto-encoder's embeddings, else the baseline's name."""
    return embedding if embedding in BASELINES else "nv"


def embedding_settings(config: Config, embedding: str, group: str) -> dict[str, Any]:
    """The auto-encoder (or baseline) settings of an embedding of a group, with the landscape's grid."""
    nv = config["neurovis"]
    ae = merged(nv["autoencoder"], groups(config)[group].autoencoder)
    weights = ae["weights"]
    if embedding == "nv_none":
        ae.update(anchor="none", weights={**weights, "anchor": 0.0, "grid": 0.0})
    elif embedding == "nv_polar":
        ae.update(anchor="polar", weights={**weights, "grid": 0.0})
    elif embedding.startswith("nv_grid"):
        ae.update(anchor="polar", l_max=float(embedding.removeprefix("nv_grid")))
    return {**ae, "resolution": nv["resolution"], "density": nv["density"], "dtype": nv["dtype"]}


@dataclass(frozen=True)
class Panel:
    """One embedding of a group drawn in a figure, with its title and the loss term it shows."""

    group: str
    embedding: str
    title: str
    term: str = "loss"

    def file(self, ext: str = "npz") -> str:
        return paths.embedding(self.group, self.embedding, ext)


@dataclass(frozen=True)
class PanelFigure:
    """A paper-N figure: panels side by side under one title, coloured by `colour`."""

    category: str
    suptitle: str
    colour: str
    panels: tuple[Panel, ...]


def _panels(groups_and_embeddings: list[tuple[str, str]], titles: list[str], terms: list[str] | None = None):
    terms = terms or ["loss"] * len(titles)
    return tuple(Panel(g, e, title, term) for (g, e), title, term in zip(groups_and_embeddings, titles, terms))


def panel_figures(config: Config) -> dict[str, PanelFigure]:
    """Every paper-N figure target, by name."""
    nv, tr = config["neurovis"], config["trajectories"]
    table = pinn_group(nv["table_beta"])
    lmax = lmax_embedding(nv["constraints_lmax"])
    cifar = [(f"cifar_{m}", e) for e in (NEURO_VISUALIZER, "pca") for m in CIFAR_MODELS]
    two_by_two = [NEURO_VISUALIZER, NEURO_VISUALIZER, "pca", "pca"]
    labelled = "Paper N: Neuro-Visualizer"
    compared = "Paper N: trajectories"
    return {
        "fig_n1_baselines": PanelFigure(
            labelled, rf"PINN $\beta$={fmt(nv['table_beta'])}: one trajectory, four embeddings (points coloured "
            "by loss error)", "loss_error",
            _panels([(table, e) for e in TABLE_EMBEDDINGS], ["Neuro-Visualizer", "PCA", "kernel PCA", "UMAP"])),
        "fig_n4_constraints": PanelFigure(
            labelled, rf"PINN $\beta$={fmt(nv['table_beta'])}: Neuro-Visualizer constraints", "loss",
            _panels([(table, e) for e in ("nv_none", NEURO_VISUALIZER, lmax)],
                    ["no constraint", "polar pinning",
                     f"polar pinning + grid scaling (l_max={fmt(nv['constraints_lmax'])})"])),
        "fig_n5_density": PanelFigure(
            labelled, "CKA-similarity density landscapes (paper N eq. 5)", "density",
            _panels([(table, lmax_embedding(lm)) for lm in nv["density_lmax"]],
                    [f"l_max={fmt(lm)}" for lm in nv["density_lmax"]])),
        "fig_n7_beta": PanelFigure(
            labelled, "Neuro-Visualizer landscapes of PINN trajectories over the wave speed", "loss",
            _panels([(pinn_group(b), NEURO_VISUALIZER) for b in nv["pinn"]["betas"]],
                    [rf"$\beta$={fmt(b)}" for b in nv["pinn"]["betas"]])),
        "fig_n12_cr": PanelFigure(
            labelled, rf"Neuro-Visualizer landscapes of PINNs ($\beta$={fmt(nv['pinn']['cr_beta'])}) over the "
            "residual weight", "loss",
            _panels([(pinn_group(nv["pinn"]["cr_beta"], c), NEURO_VISUALIZER) for c in nv["pinn"]["c_rs"]],
                    [rf"$c_r$={fmt(c)}" for c in nv["pinn"]["c_rs"]])),
        "fig_n8_loss_balancing": PanelFigure(
            compared, rf"Loss balancing from one initialisation, PINN $\beta$={fmt(tr['balancing']['beta'])}",
            "loss", _panels([("balancing", e) for e in two_by_two],
                            ["NV: L_r", "NV: L_test", "PCA: L_r", "PCA: L_test"], ["r", "test", "r", "test"])),
        "fig_n6_ntk": PanelFigure(
            compared, "Constant vs NTK-adaptive loss weighting (Neuro-Visualizer)", "loss",
            _panels([("ntk", NEURO_VISUALIZER)] * 3, ["L_r", "L_bc", "L_ic"], ["r", "bc", "ic"])),
        "fig_n3_cophy": PanelFigure(
            compared, "CoPhy-PGNN vs black-box NN on the Ising chain", "loss",
            _panels([(COPHY_GROUP, e) for e in two_by_two], ["NV: Test-MSE", "NV: S-Loss", "PCA: Test-MSE", "PCA: S-Loss"],
                    ["test_mse", "s", "test_mse", "s"])),
        "fig_n9_cifar": PanelFigure(
            compared, f"CNN vs MLP on {config['resnet20']['source']} CIFAR-10 data (test loss)", "loss",
            _panels(cifar, ["CNN, Neuro-Visualizer", "MLP, Neuro-Visualizer", "CNN, PCA", "MLP, PCA"],
                    ["test"] * 4)),
    }


def table_rows(config: Config) -> list[dict[str, str]]:
    """Paper N Table 1's rows, extended to every group: the Neuro-Visualizer and each baseline, with its file.
    The paper's rows (the table's PINN, CoPhy-PGNN) come first; every group is a unit of claims N1-N6."""
    first = [pinn_group(config["neurovis"]["table_beta"]), COPHY_GROUP]
    return [
        {"trajectory": group, "method": embedding_method(e), "file": paths.embedding(group, e, "json")}
        for group in dict.fromkeys([*first, *groups(config)])
        for e in TABLE_EMBEDDINGS
    ]
