"""The findings: one verdict rule on hand-made tables of each design, every claim on synthetic run tables."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from losstopo.findings import (  # noqa: E402
    CLAIMS,
    COLUMNS,
    ND,
    PROJECTIONS,
    Claim,
    critical_points,
    evaluate,
    replication,
    replication_summary,
    run_tables,
    summary,
    verdict,
)
from losstopo.plots.tables import plot_findings  # noqa: E402
from losstopo.tables import tda_correlations, with_fdr  # noqa: E402


def test_the_rule_itself():
    """Supported / contradicted only when the whole interval is on one side of zero and the design could
    reject at 5% at all; the paper's direction decides which side is which."""
    assert verdict(0.2, 0.9, 1, 0.01) == verdict(-0.9, -0.2, -1, 0.01) == "supported"
    assert verdict(-0.9, -0.2, 1, 0.01) == verdict(0.2, 0.9, -1, 0.01) == "contradicted"
    assert verdict(-0.1, 0.9, 1, 0.01) == verdict(0.0, 0.9, 1, 0.01) == "inconclusive"  # touches zero
    assert verdict(0.2, 0.9, 1, 0.05) == verdict(0.2, 0.9, 1, 0.083) == "inconclusive"  # cannot reject
    assert verdict(np.nan, 0.9, 1, 0.01) == "inconclusive"


def one(claim: Claim, table: pd.DataFrame) -> pd.Series:
    result = evaluate({claim.source: table}, claims=(claim,))
    assert len(result) == 1
    return result.iloc[0]


def correlation(direction: int) -> Claim:
    return Claim("C", "T", "y rises with x", "t", "correlation", "x", "y", direction)


def test_correlation_verdicts():
    rng = np.random.default_rng(0)
    x = np.repeat(np.arange(1.0, 7.0), 2)  # 12 models, 6 sweep values
    rising = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.5, x.size)})
    row = one(correlation(1), rising)
    assert row["verdict"] == "supported" and row["ci_low"] > 0 and row["n"] == 12
    assert row["statistic"] == "spearman_rho" and row["p_floor"] < 1e-4
    assert one(correlation(-1), rising)["verdict"] == "contradicted"
    noise = pd.DataFrame({"x": x, "y": rng.normal(0, 1, x.size)})
    assert one(correlation(1), noise)["verdict"] == "inconclusive"
    four = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [1.0, 2, 3, 4]})  # perfect, but 2 / 4! = 0.083
    row = one(correlation(1), four)
    assert row["verdict"] == "inconclusive" and row["value"] == 1.0 and "too few units" in row["note"]
    # one model with a saddle among 12 cannot decide a rank test: p >= 2 x 2 / 12 even at best
    single = pd.DataFrame({"x": x, "y": np.r_[np.zeros(11), 1.0]})
    row = one(correlation(1), single)
    assert row["verdict"] == "inconclusive" and row["p_floor"] == pytest.approx(4 / 12)


def groups(direction: int) -> Claim:
    return Claim("G", "T", "a above b", "t", "groups", "variant", "y", direction, a="plain", b="residual")


def test_groups_verdicts():
    variant = ["plain"] * 5 + ["residual"] * 5
    apart = pd.DataFrame({"variant": variant, "y": [5.0, 6, 7, 8, 9, 0, 1, 2, 3, 4]})
    row = one(groups(1), apart)
    assert row["verdict"] == "supported" and row["value"] == 1.0 and row["statistic"] == "cliffs_delta"
    assert row["p_floor"] == pytest.approx(2 / 252) and row["note"] == "plain 5, residual 5"
    assert one(groups(-1), apart)["verdict"] == "contradicted"
    mixed = pd.DataFrame({"variant": variant, "y": [0.0, 2, 4, 6, 8, 1, 3, 5, 7, 9]})
    assert one(groups(1), mixed)["verdict"] == "inconclusive"
    small = pd.DataFrame({"variant": ["plain"] * 2 + ["residual"] * 2, "y": [3.0, 4, 1, 2]})
    row = one(groups(1), small)  # 2 / C(4, 2) = 0.33
    assert row["verdict"] == "inconclusive" and row["value"] == 1.0


def paired(direction: int, log: bool = False) -> Claim:
    return Claim("D", "P", "4-D above 3-D", "t", "paired", "dim", "y", direction, a="4d", b="3d", unit="run",
                 log=log)


def long(differences: list[float], base: float = 10.0) -> pd.DataFrame:
    runs = [f"r{i}" for i in range(len(differences))]
    return pd.DataFrame({"run": runs * 2, "dim": ["3d"] * len(runs) + ["4d"] * len(runs),
                         "y": [base] * len(runs) + [base + d for d in differences]})


def test_paired_verdicts():
    row = one(paired(1), long([3.0, 5, 2, 4, 6, 3]))
    assert row["verdict"] == "supported" and row["value"] == pytest.approx(23 / 6) and row["n"] == 6
    assert row["p_floor"] == pytest.approx(2 / 64) and row["statistic"] == "mean_difference"
    assert one(paired(1), long([-3.0, -5, -2, -4, -6, -3]))["verdict"] == "contradicted"
    assert one(paired(1), long([3.0, -5, 2, -4, 6, -3]))["verdict"] == "inconclusive"
    assert one(paired(1), long([3.0, 5, 2, 4, 6]))["verdict"] == "inconclusive"  # 2 / 32 > 0.05
    ratio = one(paired(1, log=True), long([90.0] * 6))  # 100 / 10 on every run
    assert ratio["value"] == pytest.approx(1.0) and ratio["statistic"] == "mean_log10_ratio"


def synthetic_tables() -> dict[str, pd.DataFrame]:
    """Run tables shaped like the workflow's, with effects chosen per claim (see the test below)."""
    rng = np.random.default_rng(1)
    beta = np.repeat([1.0, 3, 5, 7, 9], 4)
    error = 0.01 * beta**2 * np.exp(rng.normal(0, 0.1, beta.size))
    saddles = np.round(beta / 2 + rng.normal(0, 0.6, beta.size)).clip(0)
    pinn = pd.DataFrame({
        "beta": beta, "lr": 1.0, "seed": np.tile(np.arange(4.0), 5), "rel_l2_error": error,
        "mean_abs_error": error * 0.7, "loss": 0.001 * beta,
        "top_eigenvalue": 100 - 5 * beta + rng.normal(0, 1, 20), "trace": rng.normal(100, 10, 20),
        **{f"{k}_n_saddles": saddles for k in ("random", "hessian")},
        **{f"{k}_n_minima": saddles + 1 for k in ("random", "hessian")},
        **{f"{k}_avg_persistence": rng.normal(1, 0.1, 20) for k in ("random", "hessian")},
        "hessian_max_basin_depth": 0.05 + rng.normal(0, 0.001, 20),  # depth / loss falls with beta
    })
    variant = np.repeat(["plain", "residual"], 4)
    resnet = pd.DataFrame({"variant": variant, "seed": np.tile(np.arange(4.0), 2),
                           "hessian_n_saddles": [3.0, 4, 5, 3, 0, 1, 0, 0],
                           "hessian_avg_persistence": [0.1, 0.2, 0.1, 0.15, 0.9, 0.8, 0.7, 0.95],
                           "test_error": [0.7, 0.6, 0.65, 0.62, 0.4, 0.45, 0.42, 0.41],
                           "top_eigenvalue": rng.normal(5, 1, 8), "trace": rng.normal(20, 2, 8)})
    epoch = np.tile([1.0, 2, 3], 4)
    unet = pd.DataFrame({"lr": np.repeat([0.01, 0.003], 6), "seed": np.tile(np.repeat([0.0, 1], 3), 2),
                         "epoch": epoch, "hessian_max_basin_depth": 1.0 + epoch + rng.normal(0, 0.1, 12),
                         "test_loss": 1.0 + epoch + rng.normal(0, 0.1, 12),  # rises: contradicts P5
                         "test_error": rng.normal(0.3, 0.01, 12)})
    methods = ["nv", "pca", "kpca", "umap"]
    projections = pd.DataFrame({"trajectory": np.repeat(["pinn_beta30_cr1", "cophy"], 4),
                                "method": methods * 2, "e_relative": [0.01, 1.0, 2.0, 0.5] * 2,
                                "e_proj": [0.001, 0.2, 0.1, 0.3] * 2})
    nd = critical_points({f"run{i}": {"3d": {"n_minima": 2, "n_saddles": 1},
                                      "4d": {"n_minima": 4 + i, "n_saddles": 3 + i}} for i in range(6)})
    return {"pinn": pinn, "resnet20": resnet, "unet_crf": unet, PROJECTIONS: projections, ND: nd}


def test_every_claim_on_synthetic_run_tables():
    tables = synthetic_tables()
    correlations = with_fdr(tda_correlations(tables["pinn"], ["random", "hessian"], "pinn",
                                             ["top_eigenvalue", "trace", "mean_abs_error", "beta"]))
    findings = evaluate(tables, correlations=correlations)
    assert list(findings.columns) == COLUMNS
    assert set(findings["id"]) == {c.id for c in CLAIMS}
    assert set(findings["verdict"]) <= {"supported", "contradicted", "inconclusive"}
    verdicts = {(r.id, r.kind): r.verdict for r in findings.itertuples()}
    expected = {
        ("T1", "random"): "supported", ("T1", "hessian"): "supported", ("T3", "hessian"): "supported",
        ("T2", "hessian"): "inconclusive",  # persistence is noise here
        ("T5", ""): "contradicted", ("T6", ""): "inconclusive",
        ("T7", "hessian"): "supported", ("T8", "hessian"): "supported",  # 4 vs 4: 2 / 70 < 0.05
        ("T9", "hessian"): "supported", ("T10", "hessian"): "supported", ("T15", "random"): "inconclusive",
        ("T16", "hessian"): "supported",
        ("P1", ""): "supported", ("P2", "hessian"): "supported", ("P3", "hessian"): "supported",
        ("P4", "hessian"): "supported", ("P5", ""): "contradicted", ("P6", ""): "inconclusive",
        ("P7", ""): "supported",
        **{(f"N{i}", ""): "inconclusive" for i in range(1, 7)},  # two trajectories: 2 / 2^2 = 0.5
    }
    assert {key: verdicts[key] for key in expected} == expected
    assert ("T7", "random") not in verdicts  # ResNet-20 has Hessian landscapes only: no row for random
    n1 = findings.set_index("id").loc["N1"]
    assert n1["value"] == pytest.approx(2.0) and n1["n"] == 2 and "too few units" in n1["note"]
    t1 = findings[(findings["id"] == "T1") & (findings["kind"] == "hessian")].iloc[0]
    indexed = correlations.set_index(["kind", "tda_metric", "ml_metric"])
    reference = indexed.loc[("hessian", "n_saddles", "beta")]
    assert t1["p_bh"] == reference["p_bh"]
    assert (t1["ci_low"], t1["ci_high"]) == (reference["ci_low"], reference["ci_high"])
    assert findings.loc[findings["id"] == "T7", "p_bh"].isna().all()  # no such pair in the correlations


def test_the_summary_lists_every_row_under_its_verdict():
    findings = evaluate(synthetic_tables())
    findings.loc[0, ["value", "ci_low", "ci_high"]] = np.nan  # an undefined statistic is said as such
    text = summary(findings)
    sections = text.split("- **")[1:]
    assert [s.split("**")[0] for s in sections] == ["supported", "contradicted", "inconclusive"]
    for section in sections:
        verdict_name = section.split("**")[0]
        rows = findings[findings["verdict"] == verdict_name]
        assert section.count("\n  - ") == len(rows) and f"({len(rows)} of {len(findings)})" in section
    t7 = findings[(findings["id"] == "T7")].iloc[0]
    line = next(x for x in text.splitlines() if x.startswith("  - T7 "))
    assert line == (f"  - T7 {t7['claim']}, hessian directions: cliffs delta {t7['value']:.2f} "
                    f"[{t7['ci_low']:.2f}, {t7['ci_high']:.2f}], n = {t7['n']}; {t7['note']}")
    first = findings.iloc[0]
    assert f"  - {first['id']} {first['claim']}, {first['kind']} directions: undefined, n = " in text


def test_missing_tables_and_columns_are_inconclusive_with_a_note():
    tables = synthetic_tables()
    del tables["unet_crf"]
    tables["pinn"] = tables["pinn"].drop(columns=["hessian_max_basin_depth"])
    findings = evaluate(tables).set_index("id")
    assert findings.loc["P4", "verdict"] == "inconclusive"
    assert findings.loc["P4", "note"] == "no table unet_crf"
    assert findings.loc["P3", "verdict"] == "inconclusive" and "no column" in findings.loc["P3", "note"]
    assert findings.loc["P3", "n"] == 0


def test_claims_are_well_formed_and_readable_without_pandas():
    assert len({c.id for c in CLAIMS}) == len(CLAIMS)
    assert run_tables() == ["pinn", "resnet20", "unet_crf"]
    for claim in CLAIMS:
        assert claim.design in {"correlation", "groups", "paired"} and claim.direction in (1, -1)
        assert claim.source in {*run_tables(), PROJECTIONS, ND}
        assert ("{kind}" in claim.y) == bool(claim.kinds), claim.id
    code = "import sys, losstopo.findings; assert not {'pandas', 'numpy'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_findings_figure_draws_every_row():
    findings = evaluate(synthetic_tables())
    fig, ax = plt.subplots(figsize=(13.5, 8))
    plot_findings(ax, findings)
    texts = {t.get_text() for t in ax.tables[0].get_celld().values() for t in [t.get_text()]}
    assert {"supported", "contradicted", "inconclusive"} <= texts and "P7" in texts
    plt.close(fig)


def test_replication_keeps_only_rows_with_one_verdict_in_every_run(tmp_path, capsys):
    from losstopo.cli import main

    a = evaluate(synthetic_tables())
    b = a.copy()
    t1 = (b["id"] == "T1") & (b["kind"] == "random")
    b.loc[t1, ["verdict", "value", "ci_low", "ci_high"]] = ["inconclusive", 0.1, -0.2, 0.4]
    b = b[b["id"] != "P7"]  # a row a run lacks is not kept
    table = replication({"a": a, "b": b})
    assert len(table) == len(a) and table["kept"].sum() == len(a) - 2
    assert set(table.loc[~table["kept"], "id"]) == {"T1", "P7"}
    text = replication_summary(table)
    assert text.startswith(f"Same verdict in all 2 runs (a, b): {len(a) - 2} of {len(a)} rows.\n")
    supported = a[(a["verdict"] == "supported") & ~t1 & (a["id"] != "P7")]
    assert f"- supported in every run ({len(supported)}): " in text
    row = a[t1].iloc[0]
    assert (f"  - T1 (random) {row['claim']}: supported {row['value']:.2f} [{row['ci_low']:.2f}, "
            f"{row['ci_high']:.2f}]; inconclusive 0.10 [-0.20, 0.40]") in text
    assert "  - P7 " in text and text.rstrip().endswith("; absent")
    paths = [tmp_path / "a.csv", tmp_path / "b.csv"]
    a.to_csv(paths[0], index=False)
    b.to_csv(paths[1], index=False)
    assert main(["findings", *map(str, paths), "--out", str(tmp_path / "r.md")]) == 0
    printed = capsys.readouterr().out
    assert printed == (tmp_path / "r.md").read_text() and f"{len(a) - 2} of {len(a)} rows" in printed
    assert main(["findings", str(paths[0]), str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: no such file" in capsys.readouterr().err
