"""The three papers' claims that the workflow's outputs test, each a declarative record, and one verdict rule.

A `Claim` names its paper, its text, the table it reads, a design and the direction the paper states.
Designs and their statistics (every interval a percentile bootstrap at `LEVEL`, `losstopo.stats`):
- "correlation": Spearman's rho of `x` and `y` over the table's rows (models);
- "groups": Cliff's delta of `y` between the rows whose `x` is `a` and those whose `x` is `b`
  (P(a-value > b-value) - P(a-value < b-value); each group resampled within itself);
- "paired": the mean over `unit`s of y at x == a minus y at x == b (of log10 y when `log`: the mean
  log10 ratio), resampled over units.
`x` and `y` may hold "{kind}" (one finding per landscape kind whose columns the table has), `y` also
"u / v" (a ratio of two columns). `direction` is +1 when the paper says the effect is positive (y rises with x; a above b).

`verdict` is the one rule, for every claim alike (docs/findings.md): a claim is *supported* when the
interval lies entirely on the paper's side of zero, *contradicted* when it lies entirely on the other
side, and *inconclusive* otherwise, or whenever the sample cannot carry evidence at all: the smallest
two-sided p-value an exact permutation test of the same design could reach with these values (ties
included; `stats.permutation_p_floor`, `stats.sign_flip_p_floor`) is not below 1 - LEVEL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy, pandas, scipy load when a function runs: the workflow reads CLAIMS at parse time
    import pandas as pd

LEVEL = 0.95
N_BOOT = 2000
SEED = 0
SUPPORTED, CONTRADICTED, INCONCLUSIVE = "supported", "contradicted", "inconclusive"
KINDS, HESSIAN = ("random", "hessian"), ("hessian",)
# Tables that are not one experiment's run table: paper N Table 1, and the 3-D / 4-D critical points of
# the PINN runs whose higher-dimensional profiles are drawn (built by `critical_points`).
PROJECTIONS, ND = "n1_projection_errors", "pinn_nd"

COLUMNS = ["id", "paper", "claim", "source", "kind", "design", "statistic", "expected", "value", "ci_low",
           "ci_high", "n", "p_floor", "p_bh", "verdict", "note"]


@dataclass(frozen=True)
class Claim:
    """One claim of a paper as a test on one table (see the module's docstring for the designs)."""

    id: str
    paper: str
    text: str
    source: str
    design: str
    x: str
    y: str
    direction: int
    a: str = ""
    b: str = ""
    unit: str = ""
    log: bool = False
    kinds: tuple[str, ...] = ()


def _corr(id, paper, text, source, x, y, direction, kinds=()):
    return Claim(id, paper, text, source, "correlation", x, y, direction, kinds=kinds)


def _nv(id, baseline, error):
    return Claim(id, "N", f"Neuro-Visualizer's {error} is lower than {baseline}'s", PROJECTIONS, "paired",
                 "method", error, 1, a=baseline.lower().replace("kernel ", "k"), b="nv", unit="trajectory",
                 log=True)


CLAIMS: tuple[Claim, ...] = (
    # Paper T, Sec. 3 and Fig. 6: PINNs over beta (both landscape kinds)
    _corr("T1", "T", "#saddles rises with beta (PINN)", "pinn", "beta", "{kind}_n_saddles", 1, KINDS),
    _corr("T2", "T", "average persistence rises with beta (PINN)", "pinn", "beta",
          "{kind}_avg_persistence", 1, KINDS),
    _corr("T3", "T", "#saddles rises with the absolute error (PINN)", "pinn", "mean_abs_error",
          "{kind}_n_saddles", 1, KINDS),
    _corr("T4", "T", "average persistence rises with the absolute error (PINN)", "pinn", "mean_abs_error",
          "{kind}_avg_persistence", 1, KINDS),
    _corr("T5", "T", "the top Hessian eigenvalue rises with beta (PINN)", "pinn", "beta", "top_eigenvalue",
          1),
    _corr("T6", "T", "the Hessian trace rises with beta (PINN)", "pinn", "beta", "trace", 1),
    # Paper T, Sec. 3 and Fig. 5: ResNet-20 with and without residual connections
    Claim("T7", "T", "without residual connections: more saddles (ResNet-20)", "resnet20", "groups",
          "variant", "{kind}_n_saddles", 1, a="plain", b="residual", kinds=KINDS),
    Claim("T8", "T", "without residual connections: lower average persistence (ResNet-20)", "resnet20",
          "groups", "variant", "{kind}_avg_persistence", -1, a="plain", b="residual", kinds=KINDS),
    _corr("T9", "T", "#saddles falls with accuracy, i.e. rises with test error (ResNet-20)", "resnet20",
          "test_error", "{kind}_n_saddles", 1, KINDS),
    _corr("T10", "T", "average persistence rises with accuracy, falls with test error (ResNet-20)",
          "resnet20", "test_error", "{kind}_avg_persistence", -1, KINDS),
    _corr("T11", "T", "#saddles falls with the top eigenvalue (ResNet-20)", "resnet20", "top_eigenvalue",
          "{kind}_n_saddles", -1, KINDS),
    _corr("T12", "T", "#saddles falls with the trace (ResNet-20)", "resnet20", "trace", "{kind}_n_saddles",
          -1, KINDS),
    _corr("T13", "T", "average persistence rises with the top eigenvalue (ResNet-20)", "resnet20",
          "top_eigenvalue", "{kind}_avg_persistence", 1, KINDS),
    _corr("T14", "T", "average persistence rises with the trace (ResNet-20)", "resnet20", "trace",
          "{kind}_avg_persistence", 1, KINDS),
    _corr("T15", "T", "#saddles and average persistence rise together (PINN)", "pinn", "{kind}_n_saddles",
          "{kind}_avg_persistence", 1, KINDS),
    _corr("T16", "T", "#saddles falls as average persistence rises (ResNet-20)", "resnet20",
          "{kind}_n_saddles", "{kind}_avg_persistence", -1, KINDS),
    # Paper P, Sec. 4.1 and Fig. 3: PINNs over beta, Hessian-direction landscapes
    _corr("P1", "P", "the relative error rises with beta (PINN)", "pinn", "beta", "rel_l2_error", 1),
    _corr("P2", "P", "failing PINNs' landscapes have more saddles (#saddles rises with rel. error)",
          "pinn", "rel_l2_error", "{kind}_n_saddles", 1, HESSIAN),
    _corr("P3", "P", "bowl-like at large beta, funnel-like at small: basin depth / loss falls with beta",
          "pinn", "beta", "{kind}_max_basin_depth / loss", -1, HESSIAN),
    # Paper P, Sec. 4.2 and Fig. 4: UNet-CRF over training epochs
    _corr("P4", "P", "the basin deepens over training (UNet-CRF: max. basin depth rises with epoch)",
          "unet_crf", "epoch", "{kind}_max_basin_depth", 1, HESSIAN),
    _corr("P5", "P", "the global minimum drops over training (UNet-CRF: test loss falls with epoch)",
          "unet_crf", "epoch", "test_loss", -1),
    _corr("P6", "P", "test accuracy improves over training (UNet-CRF: test error falls with epoch)",
          "unet_crf", "epoch", "test_error", -1),
    # Paper P, Fig. A.5: the same PINNs' 3-D and 4-D Hessian-direction landscapes
    Claim("P7", "P", "4-D landscapes have more critical points than 3-D ones (same PINN)", ND, "paired",
          "dim", "n_critical", 1, a="4d", b="3d", unit="run"),
    # Paper N, Table 1: the Neuro-Visualizer against PCA, kernel PCA and UMAP on each trajectory
    _nv("N1", "PCA", "e_relative"),
    _nv("N2", "kernel PCA", "e_relative"),
    _nv("N3", "UMAP", "e_relative"),
    _nv("N4", "PCA", "e_proj"),
    _nv("N5", "kernel PCA", "e_proj"),
    _nv("N6", "UMAP", "e_proj"),
)


def run_tables(claims: tuple[Claim, ...] = CLAIMS) -> list[str]:
    """The experiments whose run tables the claims read."""
    return sorted({c.source for c in claims} - {PROJECTIONS, ND})


def verdict(low: float, high: float, direction: int, p_floor: float, level: float = LEVEL) -> str:
    """The one verdict rule: supported when the interval [low, high] lies strictly on the side of zero that
    `direction` (+1 / -1) names, contradicted when strictly on the other side, otherwise inconclusive;
    inconclusive too when the interval is undefined or when even the design's most extreme outcome could
    not reject at 1 - level (`p_floor` >= 1 - level)."""
    if not (math.isfinite(low) and math.isfinite(high)) or not p_floor < _alpha(level):
        return INCONCLUSIVE
    oriented = sorted((direction * low, direction * high))
    if oriented[0] > 0:
        return SUPPORTED
    if oriented[1] < 0:
        return CONTRADICTED
    return INCONCLUSIVE


def _alpha(level: float) -> float:
    """1 - level without the float's last bit (1 - 0.95 is 0.050000000000000044)."""
    return round(1 - level, 12)


def critical_points(runs: dict[str, dict[str, dict]]) -> pd.DataFrame:
    """Run id -> {dim label ("3d", "4d"): its topology JSON} as a long table: run, dim, n_minima, n_saddles
    and n_critical (their sum)."""
    import pandas as pd

    rows = [{"run": run, "dim": dim, "n_minima": t["n_minima"], "n_saddles": t["n_saddles"],
             "n_critical": t["n_minima"] + t["n_saddles"]}
            for run, by_dim in runs.items() for dim, t in by_dim.items()]
    return pd.DataFrame(rows, columns=["run", "dim", "n_minima", "n_saddles", "n_critical"])


def _column(table: pd.DataFrame, name: str) -> pd.Series | None:
    """A column of the table, or "u / v" the ratio of two; None when a column is missing."""
    import pandas as pd

    parts = [p.strip() for p in name.split(" / ")]
    if any(p not in table for p in parts):
        return None
    values = [pd.to_numeric(table[p], errors="coerce").astype(float) for p in parts]
    return values[0] / values[1] if len(values) == 2 else values[0]


def _evaluate_one(claim: Claim, table: pd.DataFrame, n_boot: int, level: float, seed: int) -> dict:
    """Statistic, interval, n and p floor of one claim (its kind filled in) on one table."""
    import numpy as np
    import pandas as pd

    from losstopo.stats import (
        cliffs_delta_interval,
        mean_interval,
        permutation_p_floor,
        sign_flip_p_floor,
        spearman_interval,
    )

    if claim.design == "correlation":
        x, y = _column(table, claim.x), _column(table, claim.y)
        r = spearman_interval(x, y, n_boot=n_boot, level=level, seed=seed)
        sign = int(np.sign(r.rho)) if np.isfinite(r.rho) and r.rho != 0 else claim.direction
        return {"statistic": "spearman_rho", "value": r.rho, "ci_low": r.low, "ci_high": r.high, "n": r.n,
                "p_floor": permutation_p_floor(x, y, sign)}
    if claim.design == "groups":
        y = _column(table, claim.y).to_numpy()
        label = table[claim.x].astype(str).to_numpy()
        a, b = y[label == claim.a], y[label == claim.b]
        r = cliffs_delta_interval(a, b, n_boot=n_boot, level=level, seed=seed)
        sign = int(np.sign(r.value)) if np.isfinite(r.value) and r.value != 0 else claim.direction
        both = np.concatenate([a, b])
        labels = np.concatenate([np.ones(a.size), np.zeros(b.size)])
        return {"statistic": "cliffs_delta", "value": r.value, "ci_low": r.low, "ci_high": r.high,
                "n": r.n, "p_floor": permutation_p_floor(labels, both, sign),
                "note": f"{claim.a} {np.isfinite(a).sum()}, {claim.b} {np.isfinite(b).sum()}"}
    if claim.design == "paired":
        values = table.assign(_y=_column(table, claim.y), _x=table[claim.x].astype(str))
        wide = values.pivot_table(index=claim.unit, columns="_x", values="_y", aggfunc="first")
        a = wide[claim.a] if claim.a in wide else pd.Series(dtype=float)
        b = wide[claim.b] if claim.b in wide else pd.Series(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (np.log10(a) - np.log10(b)) if claim.log else (a - b)
        d = d.replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
        r = mean_interval(d, n_boot=n_boot, level=level, seed=seed)
        return {"statistic": "mean_log10_ratio" if claim.log else "mean_difference", "value": r.value,
                "ci_low": r.low, "ci_high": r.high, "n": r.n, "p_floor": sign_flip_p_floor(d)}
    raise ValueError(f"claim {claim.id}: unknown design {claim.design!r}; use correlation, groups or paired")


def for_kind(claim: Claim, kind: str) -> Claim:
    """The claim with `kind` in place of "{kind}" in its columns."""
    return replace(claim, x=claim.x.format(kind=kind), y=claim.y.format(kind=kind))


def evaluate(tables: dict[str, pd.DataFrame], claims: tuple[Claim, ...] = CLAIMS,
             correlations: pd.DataFrame | None = None, n_boot: int = N_BOOT, level: float = LEVEL,
             seed: int = SEED) -> pd.DataFrame:
    """One row per claim (and landscape kind whose columns the table has): statistic, interval, n, p floor,
    verdict and a note. A claim whose table or column is absent gets an inconclusive row saying so.
    `correlations` (tda_correlations.csv) adds the BH-adjusted p of a correlation claim that is one of its
    pairs."""
    import numpy as np
    import pandas as pd

    rows = []
    for claim in claims:
        base = {"id": claim.id, "paper": claim.paper, "claim": claim.text, "source": claim.source,
                "design": claim.design, "expected": "positive" if claim.direction > 0 else "negative"}
        table = tables.get(claim.source)
        kinds = [k for k in claim.kinds if table is not None and not _missing(for_kind(claim, k), table)]
        for kind in kinds or [""]:
            resolved = for_kind(claim, kind or "<kind>")
            missing = _missing(resolved, table)
            if missing:
                rows.append({**base, "kind": kind, "value": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                             "n": 0, "p_floor": 1.0, "verdict": INCONCLUSIVE, "note": missing})
                continue
            result = _evaluate_one(resolved, table, n_boot, level, seed)
            decided = verdict(result["ci_low"], result["ci_high"], claim.direction, result["p_floor"], level)
            notes = [result.pop("note", "")]
            if not np.isfinite(result["value"]):
                notes.append("statistic undefined: too few units or no variation")
            elif not result["p_floor"] < _alpha(level):
                notes.append(f"too few units: the most extreme outcome gives p = {result['p_floor']:.2g}")
            rows.append({**base, "kind": kind, **result, "p_bh": _p_bh(correlations, resolved, kind),
                         "verdict": decided, "note": "; ".join(n for n in notes if n)})
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(findings: pd.DataFrame) -> str:
    """The findings as Markdown bullets by verdict, each claim with its statistic, interval and n: the text
    that the README quotes, written by the run rather than copied from it."""
    import pandas as pd

    lines = []
    for decided in (SUPPORTED, CONTRADICTED, INCONCLUSIVE):
        rows = findings[findings["verdict"] == decided]
        lines.append(f"- **{decided}** ({len(rows)} of {len(findings)}):")
        for r in rows.itertuples():
            kind = f", {r.kind} directions" if isinstance(r.kind, str) and r.kind else ""
            value = (f"{r.statistic.replace('_', ' ')} {_interval(r.value, r.ci_low, r.ci_high)}"
                     if pd.notna(r.value) and pd.notna(r.ci_low) else "undefined")
            note = f"; {r.note}" if isinstance(r.note, str) and r.note else ""
            lines.append(f"  - {r.id} {r.claim}{kind}: {value}, n = {r.n}{note}")
    return "\n".join(lines) + "\n"


def _interval(value: float, low: float, high: float) -> str:
    """`value [low, high]` to two decimals, or "undefined" where the interval is."""
    import pandas as pd

    return f"{value:.2f} [{low:.2f}, {high:.2f}]" if pd.notna(low) else "undefined"


def replication(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The claims' rows across runs of one config with other seeds (findings.csv of each, by name): each
    run's verdict and statistic with its interval, and `kept`, true where every run gave the same verdict.
    A row missing from a run counts as not kept."""
    columns = ["verdict", "value", "ci_low", "ci_high", "n"]
    frames = [frame.assign(kind=frame["kind"].fillna("")).set_index(["id", "kind"])[["claim", *columns]]
              for frame in runs.values()]
    table = frames[0][["claim"]].copy()
    for name, frame in zip(runs, frames):
        table = table.join(frame[columns].add_suffix(f" {name}"), how="left")
    verdicts = table[[f"verdict {name}" for name in runs]]
    table["kept"] = verdicts.notna().all(axis=1) & verdicts.eq(verdicts.iloc[:, 0], axis=0).all(axis=1)
    return table.reset_index()


def replication_summary(table: pd.DataFrame) -> str:
    """Markdown: how many rows of a `replication` table kept their verdict over its runs, the kept ones by
    verdict, and each changed row with its statistic and interval in every run."""
    import pandas as pd

    names = [c.removeprefix("verdict ") for c in table.columns if c.startswith("verdict ")]

    def label(r) -> str:
        return f"{r['id']} ({r['kind']})" if r["kind"] else r["id"]

    def stat(r, name: str) -> str:
        if pd.isna(r[f"verdict {name}"]):
            return "absent"
        return f"{r[f'verdict {name}']} {_interval(r[f'value {name}'], r[f'ci_low {name}'], r[f'ci_high {name}'])}"

    kept = table[table["kept"]]
    lines = [f"Same verdict in all {len(names)} runs ({', '.join(names)}): {len(kept)} of {len(table)} rows."]
    for decided in (SUPPORTED, CONTRADICTED, INCONCLUSIVE):
        rows = kept[kept[f"verdict {names[0]}"] == decided]
        lines.append(f"- {decided} in every run ({len(rows)}): " + (", ".join(label(r) for _, r in rows.iterrows())
                                                                  or "none"))
    changed = table[~table["kept"]]
    lines.append(f"- changed ({len(changed)}):")
    lines += [f"  - {label(r)} {r['claim']}: " + "; ".join(stat(r, name) for name in names)
              for _, r in changed.iterrows()]
    return "\n".join(lines) + "\n"


def _missing(claim: Claim, table: pd.DataFrame | None) -> str:
    """Why a claim (its kind filled in) cannot be evaluated on this table ("" when it can)."""
    if table is None:
        return f"no table {claim.source}"
    needed = [p.strip() for p in f"{claim.y} / {claim.x}".split(" / ")] + ([claim.unit] if claim.unit else [])
    absent = [c for c in needed if c not in table]
    return f"{claim.source} has no column {', '.join(absent)}" if absent else ""


def _p_bh(correlations: pd.DataFrame | None, claim: Claim, kind: str) -> float:
    """The BH-adjusted p of the claim's pair in tda_correlations.csv (NaN when it is not one of them)."""
    from losstopo.tables import TDA_METRICS, correlation_row

    tda = claim.y.removeprefix(f"{kind}_") if kind else ""
    if correlations is None or claim.design != "correlation" or tda not in TDA_METRICS:
        return math.nan
    row = correlation_row(correlations, claim.source, kind, tda, claim.x)
    return float(row["p_bh"]) if row is not None and "p_bh" in row else math.nan
