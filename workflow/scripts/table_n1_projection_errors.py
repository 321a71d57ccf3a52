"""Glue: paper N Table 1, e_relative and e_proj of each (trajectory, method), beside the paper's CoPhy-PGNN
numbers. Params `rows`: one {"trajectory": name, "method": m, "file": json written by
neurovis_landscape.py} per result. Outputs `csv`, and the table as `png` / `pdf`.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from losstopo.artifacts import job_log, load_json
from losstopo.experiments.neurovis import COPHY_GROUP
from losstopo.plots.neurovis import METHOD_NAMES

# Paper N, Table 1 (CoPhy-PGNN trajectory, the group COPHY_GROUP): (e_relative, e_proj)
PAPER = {"nv": (0.0095, 0.0005), "pca": (1.6782, 0.2832), "kpca": (4.7250, 0.0865), "umap": (0.4295, 0.2307)}


def table(rows: list[dict]) -> pd.DataFrame:
    """One row per result: our scores, and the paper's for the same method."""
    records = []
    for row in rows:
        result = load_json(row["file"])
        if result["method"] != row["method"]:
            raise ValueError(f"{row['file']} holds method {result['method']!r}, not {row['method']!r}: "
                             "it was written for another embedding; delete it and run again")
        paper = PAPER.get(row["method"], (float("nan"), float("nan")))
        records.append({"trajectory": row["trajectory"], "method": row["method"],
                        "e_relative": result["e_relative"], "e_proj": result["e_proj"],
                        "e_proj_raw": result["e_proj_raw"],
                        "n_models": result["n_models"],
                        "paper_cophy_e_relative": paper[0], "paper_cophy_e_proj": paper[1]})
    return pd.DataFrame.from_records(records)


def draw(frame: pd.DataFrame, path_png: str, path_pdf: str) -> None:
    """The table as a figure: ours, the paper's beside the CoPhy-PGNN rows (its Table 1's trajectory), the
    best per trajectory in bold."""
    cells = [[r.trajectory, METHOD_NAMES.get(r.method, r.method), f"{r.e_relative:.4f}", f"{r.e_proj:.4f}",
              *((f"{r.paper_cophy_e_relative:.4f}", f"{r.paper_cophy_e_proj:.4f}") if r.trajectory == COPHY_GROUP
                else ("", ""))]
             for r in frame.itertuples()]
    header = ["trajectory", "method", "e_relative", "e_proj", "paper e_relative\n(CoPhy)",
              "paper e_proj\n(CoPhy)"]
    fig, ax = plt.subplots(figsize=(9.5, 0.9 + 0.32 * len(cells)))
    ax.axis("off")
    grid = ax.table(cellText=cells, colLabels=header, loc="center", cellLoc="center")
    grid.auto_set_font_size(False)
    grid.set_fontsize(8)
    grid.scale(1, 1.5)
    for column in ("e_relative", "e_proj"):
        best = frame.groupby("trajectory")[column].transform("min") == frame[column]
        for i in frame.index[best]:
            grid[i + 1, header.index(column)].get_text().set_fontweight("bold")
    ax.set_title("Paper N Table 1: fidelity of 2-D views of training trajectories (lower is better)",
                 fontsize=9)
    fig.savefig(path_png, dpi=200, bbox_inches="tight")
    fig.savefig(path_pdf, bbox_inches="tight")


def main(smk) -> None:
    frame = table(list(smk.params.rows))
    frame.to_csv(smk.output.csv, index=False)
    draw(frame, smk.output.png, smk.output.pdf)
    print(frame.to_string())


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
