#!/usr/bin/python3
"""Heatmap of a `kasim sweep` over two axes: one cell per grid point, coloured by fate.

    build/kasim sweep scenarios/firewall-expiry-reset.yaml \\
        --vary connections.telnet.keepalive.server.idle=300s..7200s:300s \\
        --vary middleboxes.fw.idle_timeout=900s..7200s:900s -o sweep.csv
    plots/heatmap.py sweep.csv -o heatmap.png \\
        [--x middleboxes.fw.idle_timeout] [--y connections.telnet.keepalive.server.idle] \\
        [--connection telnet] [--xlabel TEXT] [--ylabel TEXT] [--title TEXT]

Reads kasim sweep's CSV (README "Parameter sweeps"): `index`, one column per
--vary key (the values as given or generated: `5m`, `1h`, `350s`, `3`), then
per connection NAME.fate, NAME.at, NAME.killer, NAME.probes, NAME.packets,
NAME.bytes, and `error`. --x and --y choose two of the varied keys (default:
the second and the first); --connection chooses whose NAME.fate colours the
cells (default: the first connection). Values that are all durations or
numbers are ordered by size, others in order of appearance. When both axes
are durations, a dashed line marks where y < x begins (e.g. keepidle below
the firewall's timeout). A sweep with more than two axes needs one row per
(x, y) cell: fix the others with --set.
"""
import argparse
import csv
import os
import re
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
PER_CONNECTION = ("fate", "at", "killer", "probes", "packets", "bytes")  # kasim sweep's columns, in order
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)")


def duration_s(text):
    """kasim's duration spelling ('5m', '1h30m', '2.5s', a bare number = seconds) in seconds, or None."""
    t = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    parts = PART.findall(t)
    if not parts or "".join(n + u for n, u in parts) != t:
        return None
    return sum(float(n) * UNITS[u] for n, u in parts)


def layout(header):
    """Splits kasim sweep's header into (axis keys, connection names)."""
    if len(header) < 2 or header[0] != "index" or header[-1] != "error":
        return None, None
    cols = header[1:-1]
    conns = []
    while len(cols) >= len(PER_CONNECTION):
        tail = cols[-len(PER_CONNECTION):]
        name = tail[0][: -len(".fate")] if tail[0].endswith(".fate") else None
        if name is None or tail != [f"{name}.{c}" for c in PER_CONNECTION]:
            break
        conns.insert(0, name)
        cols = cols[: -len(PER_CONNECTION)]
    return cols, conns


def ordered(values):
    """The distinct values in display order: by size when all are durations, else as they came."""
    seen = list(dict.fromkeys(values))
    secs = [duration_s(v) for v in seen]
    if all(s is not None for s in secs):
        return [v for _, v in sorted(zip(secs, seen))], True
    return seen, False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="CSV written by kasim sweep")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--x", help="varied key on the horizontal axis (default: the second)")
    ap.add_argument("--y", help="varied key on the vertical axis (default: the first)")
    ap.add_argument("--connection", help="whose fate colours the cells (default: the first connection)")
    ap.add_argument("--xlabel", help="horizontal axis label (default: the key)")
    ap.add_argument("--ylabel", help="vertical axis label (default: the key)")
    ap.add_argument("--title", default=None)
    a = ap.parse_args()

    with open(a.input, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        rows = [dict(zip(header, r)) for r in reader] if header else []
    axes, conns = layout(header or [])
    if axes is None or not conns:
        sys.exit(f"{a.input}: not a kasim sweep CSV (expected index, the varied keys, NAME.fate ... per "
                 f"connection, error)")
    if not rows:
        sys.exit(f"{a.input}: no rows")
    if len(axes) < 2:
        sys.exit(f"{a.input}: the sweep varies {len(axes)} key(s); a heatmap needs two (--vary twice)")
    for opt in ("x", "y"):
        key = getattr(a, opt)
        if key is not None and key not in axes:
            sys.exit(f"{a.input}: --{opt} {key}: not a varied key; the sweep varies: {', '.join(axes)}")
    ykey = a.y or (axes[0] if a.x != axes[0] else axes[1])
    xkey = a.x or next(k for k in axes if k != ykey)
    if xkey == ykey:
        sys.exit(f"{a.input}: --x and --y are the same key {xkey}")
    conn = a.connection or conns[0]
    if conn not in conns:
        sys.exit(f"{a.input}: no connection {conn!r}; the sweep reports: {', '.join(conns)}")
    fate_col = f"{conn}.fate"

    xs, x_is_time = ordered([r[xkey] for r in rows])
    ys, y_is_time = ordered([r[ykey] for r in rows])
    index = {n: i for i, (names, _, _, _) in enumerate(FATES) for n in names}
    grid = [[float("nan")] * len(xs) for _ in ys]
    for r in rows:
        if r.get("error"):
            sys.exit(f"{a.input}: row {r['index']} did not run: {r['error']}")
        fate = r[fate_col]
        if fate not in index:
            sys.exit(f"{a.input}: row {r['index']}: fate {fate!r} is not one connection's fate "
                     f"(fleets are not drawn)")
        i, j = ys.index(r[ykey]), xs.index(r[xkey])
        if grid[i][j] == grid[i][j]:
            sys.exit(f"{a.input}: two rows for {ykey}={r[ykey]}, {xkey}={r[xkey]}: the sweep varies more "
                     f"than these two keys (fix the others with --set)")
        grid[i][j] = index[fate]

    fig, ax = plt.subplots(figsize=(max(6.5, 0.62 * len(xs) + 3.2), max(5.0, 0.25 * len(ys) + 2.0)))
    cmap = ListedColormap([c for (_, _, _, c) in FATES])
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(FATES) - 0.5, aspect="auto", origin="lower",
              interpolation="nearest")
    for i in range(len(ys)):
        for j in range(len(xs)):
            v = grid[i][j]
            if v == v:
                ax.text(j, i, FATES[int(v)][2], ha="center", va="center", fontsize=7, color="#222222")
    ax.set_xticks(range(len(xs)), xs, fontsize=8)
    ax.set_yticks(range(len(ys)), ys, fontsize=8)
    xlabel, ylabel = a.xlabel or xkey, a.ylabel or ykey
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    handles = [Patch(color=c, label=l) for (names, l, _, c) in FATES if any(r[fate_col] in names for r in rows)]
    if x_is_time and y_is_time:
        # y = x, in cell coordinates: above it the y value has reached the x value.
        line_x, line_y = [], []
        for j, x in enumerate(xs):
            below = [i for i, y in enumerate(ys) if duration_s(y) < duration_s(x)]
            if below:
                line_x += [j - 0.5, j + 0.5]
                line_y += [max(below) + 0.5] * 2
        if line_x:
            ax.plot(line_x, line_y, color="black", lw=1.2, ls="--")
            handles.append(plt.Line2D([], [], color="black", ls="--",
                                      label=f"below the dashed line:\n{ylabel} < {xlabel}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    ax.set_title(a.title or f"kasim sweep: {conn}'s fate ({len(rows)} runs)", fontsize=11, loc="left")
    fig.tight_layout()
    atomic.save_figure(fig, a.output, dpi=110)
    print(f"{a.output}: {len(ys)} x {len(xs)} cells, {conn}'s fate")


if __name__ == "__main__":
    main()
