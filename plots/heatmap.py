#!/usr/bin/python3
"""Heatmap of a sweep's outcomes: keepidle x firewall idle timeout -> fate.

    plots/heatmap.py sweep.csv -o heatmap.png [--title TEXT]

Reads the CSV that plots/sweep.py writes (columns in plots/README.md:
keepidle_s, fw_timeout_s, fate, ...): one cell per (fw_timeout_s, keepidle_s)
pair, coloured by fate (survived / reset / timed out / other), with the
line keepidle = firewall timeout drawn for reference.
"""
import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atomic  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

FATES = [  # (fate values, legend, short cell text, colour)
    (("alive", "closed"), "survived", "ok", "#7cc47f"),
    (("reset",), "reset (RST)", "RST", "#e57373"),
    (("timed-out",), "timed out (ETIMEDOUT)", "T/O", "#ffb74d"),
    (("refused", "never-connected"), "never connected", "—", "#b0bec5"),
]


def minutes(s):
    return f"{s / 60:g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="CSV with keepidle_s,fw_timeout_s,fate columns")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--title", default=None)
    a = ap.parse_args()

    with open(a.input, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"{a.input}: no rows")
    for col in ("keepidle_s", "fw_timeout_s", "fate"):
        if col not in rows[0]:
            sys.exit(f"{a.input}: no column {col!r} (see plots/README.md)")
    ks = sorted({float(r["keepidle_s"]) for r in rows})
    ts = sorted({float(r["fw_timeout_s"]) for r in rows})
    index = {}
    for i, (names, _, _, _) in enumerate(FATES):
        for n in names:
            index[n] = i
    grid = [[float("nan")] * len(ts) for _ in ks]
    for r in rows:
        fate = r["fate"]
        if fate not in index:
            sys.exit(f"{a.input}: unknown fate {fate!r}")
        grid[ks.index(float(r["keepidle_s"]))][ts.index(float(r["fw_timeout_s"]))] = index[fate]

    fig, ax = plt.subplots(figsize=(max(6.5, 0.62 * len(ts) + 3.2), max(5.0, 0.25 * len(ks) + 2.0)))
    cmap = ListedColormap([c for (_, _, _, c) in FATES])
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(FATES) - 0.5, aspect="auto", origin="lower",
              interpolation="nearest")
    for i in range(len(ks)):
        for j in range(len(ts)):
            v = grid[i][j]
            if v == v:
                ax.text(j, i, FATES[int(v)][2], ha="center", va="center", fontsize=7, color="#222222")
    ax.set_xticks(range(len(ts)), [minutes(t) for t in ts])
    ax.set_yticks(range(len(ks)), [minutes(k) for k in ks])
    ax.set_xlabel("firewall idle timeout (min)")
    ax.set_ylabel("keepidle (min)")
    # keepidle = timeout, in cell coordinates (both axes are ordered grids).
    line_x, line_y = [], []
    for j, t in enumerate(ts):
        below = [i for i, k in enumerate(ks) if k < t]
        if below:
            line_x += [j - 0.5, j + 0.5]
            line_y += [max(below) + 0.5] * 2
    if line_x:
        ax.plot(line_x, line_y, color="black", lw=1.2, ls="--")
    handles = [Patch(color=c, label=l) for (names, l, _, c) in FATES
               if any(r["fate"] in names for r in rows)]
    handles.append(plt.Line2D([], [], color="black", ls="--", label="below the dashed line:\nkeepidle < firewall timeout"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    ax.set_title(a.title or f"Sweep outcomes ({len(rows)} runs)", fontsize=11, loc="left")
    fig.tight_layout()
    atomic.save_figure(fig, a.output, dpi=110)
    print(f"{a.output}: {len(ks)} keepidle x {len(ts)} timeout cells")


if __name__ == "__main__":
    main()
