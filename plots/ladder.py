#!/usr/bin/python3
"""Ladder (sequence) diagram of one connection from kasim's JSON output.

    kasim run SCENARIO --format json -o run.jsonl
    plots/ladder.py run.jsonl -o ladder.png [--connection NAME]

One vertical line per node on the connection's path (from the run record),
time flowing down, one arrow per hop of each packet, labelled with what the
packet is. Quiet stretches are compressed: a gap longer than --gap seconds
is drawn with a fixed height and marked with its length; when there are more
than --max-episodes bursts of activity, only the first and last few are
drawn and the rest are counted in one marked line.
"""
import argparse
import collections
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atomic  # noqa: E402
import kasim_json  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {
    "syn": "#555555", "syn-ack": "#555555", "ack": "#555555", "fin": "#555555",
    "data": "#1f5fbf", "retransmission": "#7b3fbf", "tlp": "#7b3fbf",
    "keepalive-probe": "#d9730d", "keepalive-ack": "#2a8a3e", "rst": "#c62828",
}


def label_of(p):
    kind = p["kind"]
    seq, ack = p["seq"], p["ack"]
    if kind == "syn":
        return f"SYN  seq {seq}"
    if kind == "syn-ack":
        return f"SYN-ACK  seq {seq} ack {ack}"
    if kind == "data":
        return f"data {p['len']} B  seq {seq}"
    if kind == "keepalive-probe":
        note = p["note"].replace("keepalive probe ", "")
        return f"keepalive probe {note}  seq {seq} (snd_una-1)"
    if kind == "keepalive-ack":
        return f"ACK answering the probe  ack {ack}"
    if kind == "rst":
        return f"RST  seq {seq}"
    if kind == "ack":
        return f"ACK  ack {ack}"
    if kind == "fin":
        return f"FIN  seq {seq}"
    return f"{kind}  seq {seq}"


def flights(packets):
    """Groups the capture records of each packet into its hops, in order."""
    out, open_ = [], []
    for p in packets:
        key = (p["src"], p["dst"], p["flags"], p["seq"], p["ack"], p["len"], p["kind"], p["origin"])
        if p["dir"] == "out" and p["node"] == p["origin"]:
            f = {"key": key, "first": p, "points": [(p["node"], p["t"], p["dir"], p["fate"])], "open": True}
            out.append(f)
            open_.append(f)
            continue
        for f in reversed(open_):
            if f["key"] == key and f["points"][-1][0] != p["node"]:
                f["points"].append((p["node"], p["t"], p["dir"], p["fate"]))
                if p["dir"] in ("in", "drop"):
                    f["open"] = False
                    open_.remove(f)
                break
        else:  # the origin is not a capture point: start from here
            f = {"key": key, "first": p, "points": [(p["node"], p["t"], p["dir"], p["fate"])], "open": True}
            out.append(f)
            open_.append(f)
    return out


def episodes(flts, gap):
    """Bursts of activity separated by more than `gap` seconds of silence."""
    eps = []
    for f in sorted(flts, key=lambda f: f["points"][0][1]):
        start = f["points"][0][1]
        if eps and start - eps[-1]["end"] <= gap:
            eps[-1]["flights"].append(f)
            eps[-1]["end"] = max(eps[-1]["end"], f["points"][-1][1])
        else:
            eps.append({"flights": [f], "start": start, "end": f["points"][-1][1]})
    return eps


def silence(seconds):
    """'7206.9 s ≈ 2 h 0 min', '55.3 s'."""
    text = f"{seconds:.4g} s" if seconds < 1000 else f"{seconds:.1f} s"
    if seconds >= 60:
        text += f" ≈ {kasim_json.human_duration(seconds)}"
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="kasim run --format json output")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--connection", help="connection name (default: the first)")
    ap.add_argument("--gap", type=float, default=5.0, help="silence (s) that separates bursts (default 5)")
    ap.add_argument("--max-episodes", type=int, default=6,
                    help="draw at most this many bursts: the first and last half (default 6)")
    a = ap.parse_args()

    run = kasim_json.load(a.input)
    conn = run.connection(a.connection)
    path = conn["path"]
    xs = {n: i for i, n in enumerate(path)}
    pk = [p for p in run.packets if p["connection"] == conn["name"] and p["node"] in xs]
    if not pk:
        raise SystemExit(f"{a.input}: no packets of connection {conn['name']} at nodes on its path")
    eps = episodes(flights(pk), a.gap)

    # Which bursts to draw; the rest become one "omitted" row.
    shown, omitted = eps, None
    if len(eps) > a.max_episodes:
        head = a.max_episodes // 2
        tail = a.max_episodes - head
        omitted = eps[head:len(eps) - tail]
        shown = eps[:head] + [None] + eps[len(eps) - tail:]

    # Vertical layout: within a burst, y grows with log(time) so 1 ms hops
    # stay visible next to 1 s pauses; between bursts a fixed gap.
    def dy(dt):
        return 0.0 if dt <= 0 else 0.9 + 0.55 * math.log10(1 + dt / 0.001)

    rows = []  # (y, kind, payload)
    y = 0.0
    ymap = {}
    prev_ep = None
    for ep in shown:
        if ep is None:
            y += 1.2
            rows.append((y, "omitted", None))
            y += 1.2
            prev_ep = None
            continue
        if prev_ep is not None:
            y += 0.9
            rows.append((y, "gap", ep["start"] - prev_ep["end"]))
            y += 0.9
        times = sorted({t for f in ep["flights"] for (_, t, _, _) in f["points"]})
        last = None
        for t in times:
            if last is not None:
                y += dy(t - last)
            ymap[t] = y
            last = t
        rows.append((ymap[times[0]], "start", ep["start"]))
        prev_ep = ep
    total_y = y + 0.8

    width = max(9.5, 3.2 * max(len(path) - 1, 1) + 4.2)
    fig_h = max(4.0, 1.6 + 0.36 * total_y)
    fig, ax = plt.subplots(figsize=(width, fig_h))
    ax.set_xlim(-1.3, len(path) - 1 + 1.0)
    ax.set_ylim(total_y, -1.8)
    ax.axis("off")

    # Nodes: a header and a vertical line each.
    for n, x in xs.items():
        info = run.node(n) or {}
        if info.get("kind") == "firewall":
            sub = f"firewall, idle timeout {kasim_json.human_duration(info['idle_timeout'])}\non expiry: {info['on_expiry']}"
            color, style = "#8a6d00", (0, (6, 3))
        else:
            sub = f"{info.get('os', '')} {info.get('address', '')}"
            color, style = "black", "solid"
        ax.plot([x, x], [-0.6, total_y], color=color, lw=1.4, ls=style, zorder=1)
        ax.text(x, -1.25, n, ha="center", va="bottom", fontsize=12, fontweight="bold", color=color)
        ax.text(x, -1.2, sub, ha="center", va="top", fontsize=7.5, color=color,
                bbox=dict(fc="white", ec="none", pad=1.0), zorder=3)

    # Bursts: time labels on the left; gaps and omissions across the diagram.
    for (ry, kind, val) in rows:
        if kind == "start":
            ax.text(-1.25, ry, f"t = {val:.6f} s\n({kasim_json.clock(val)})", ha="left", va="center",
                    fontsize=7.5, color="#333333")
        elif kind == "gap":
            ax.axhspan(ry - 0.35, ry + 0.35, xmin=0.0, xmax=1.0, color="#eeeeee", zorder=0)
            ax.text((len(path) - 1) / 2, ry, f"{silence(val)} of silence (not to scale)",
                    ha="center", va="center", fontsize=8.5, style="italic", color="#444444", zorder=4,
                    bbox=dict(fc="#eeeeee", ec="none", pad=1.0))
        elif kind == "omitted":
            kinds = collections.Counter(f["first"]["kind"] for ep in omitted for f in ep["flights"])
            what = ", ".join(f"{c} {k}" for k, c in sorted(kinds.items(), key=lambda kv: -kv[1]))
            ax.axhspan(ry - 0.7, ry + 0.7, color="#f3efe2", zorder=0)
            ax.text((len(path) - 1) / 2, ry,
                    f"⋮  {len(omitted)} similar bursts omitted, {omitted[0]['start']:.1f} s … "
                    f"{omitted[-1]['start']:.1f} s  ⋮\n({what})",
                    ha="center", va="center", fontsize=8.5, style="italic", color="#5a4a10", zorder=4)

    # Packets: one arrow per hop; drops end in a red cross.
    for ep in shown:
        if ep is None:
            continue
        for f in ep["flights"]:
            p = f["first"]
            color = COLORS.get(p["kind"], "#555555")
            pts = f["points"]
            for (n0, t0, _, _), (n1, t1, d1, fate1) in zip(pts, pts[1:]):
                ax.annotate("", xy=(xs[n1], ymap[t1]), xytext=(xs[n0], ymap[t0]),
                            arrowprops=dict(arrowstyle="-|>", color=color, lw=1.5, shrinkA=0, shrinkB=0,
                                            mutation_scale=11), zorder=5)
            n_end, t_end, d_end, fate_end = pts[-1]
            if d_end == "drop" or fate_end:
                ax.plot([xs[n_end]], [ymap[t_end]], marker="X", color="#c62828", ms=10, zorder=6)
                why = fate_end or "dropped"
                # The text goes where the packet was heading: it never got there.
                heading_right = len(pts) < 2 or xs[n_end] >= xs[pts[-2][0]]
                ax.text(xs[n_end] + (0.07 if heading_right else -0.07), ymap[t_end] + 0.15, why, fontsize=7,
                        color="#c62828", va="top", ha="left" if heading_right else "right", zorder=6,
                        bbox=dict(fc="white", ec="none", pad=0.5, alpha=0.85))
            if pts[0][1] != ep["start"]:
                ax.text(-1.25, ymap[pts[0][1]], f"{pts[0][1]:.6f}", ha="left", va="center", fontsize=7,
                        color="#777777")
            # Label along the first hop, above it, starting at the sender.
            x0, y0 = xs[pts[0][0]], ymap[pts[0][1]]
            going_right = len(pts) < 2 or xs[pts[1][0]] >= x0
            ax.text(x0 + (0.05 if going_right else -0.05), y0 - 0.08, label_of(p), fontsize=7.5,
                    color=color, ha="left" if going_right else "right", va="bottom", zorder=6,
                    bbox=dict(fc="white", ec="none", pad=0.4, alpha=0.8))

    o = run.outcome(conn["name"])
    fate = ""
    if o:
        fate = f"{o['fate']}"
        if o.get("at") is not None:
            fate += f" at {o['at']:.6f} s"
        if o.get("killer"):
            fate += f" (caused by {o['killer']})"
        if o.get("half_open"):
            fate += ", half-open"
    ax.set_title(f"{run.name}: connection {conn['name']}\n{fate}", fontsize=11, loc="left")
    fig.tight_layout()
    atomic.save_figure(fig, a.output, dpi=110)
    print(f"{a.output}: ladder of {conn['name']}, {len(eps)} bursts"
          + (f" ({len(omitted)} omitted)" if omitted else ""))


if __name__ == "__main__":
    main()
