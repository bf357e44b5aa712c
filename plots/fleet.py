#!/usr/bin/env python3
"""Fleet load over time from `kasim run --format json` of a scenario with
`sample_every`: each middlebox's table occupancy, and the packet rate on each
link (all packets, and the keepalive probes with their answers).

    plots/fleet.py RUN.jsonl -o OUT.png [--title T]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atomic  # noqa: E402

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--title")
    a = ap.parse_args()
    samples, name, fleets = [], None, []
    with open(a.run) as f:
        for line in f:
            r = json.loads(line)
            if r["type"] == "run":
                name = r["scenario"]
            elif r["type"] == "sample":
                samples.append(r)
            elif r["type"] == "fleet":
                fleets.append(r)
    if not samples:
        print("fleet.py: no sample records (set sample_every in the scenario)", file=sys.stderr)
        return 1
    hours = [s["t"] / 3600 for s in samples]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for mb in samples[0]["middleboxes"]:
        top.step(hours, [s["middleboxes"][mb] for s in samples], where="post", label=mb)
    top.set_ylabel("connection-table entries")
    top.set_ylim(bottom=0)
    top.legend(loc="lower left")
    top.grid(alpha=0.3)
    for link in samples[0]["links"]:
        rate = [s["links"][link]["packets"] / s["interval"] for s in samples]
        ka = [s["links"][link]["keepalive"] / s["interval"] for s in samples]
        line, = bottom.step(hours, rate, where="post", label=f"{link}: all packets")
        bottom.step(hours, ka, where="post", linestyle="--", color=line.get_color(),
                    label=f"{link}: keepalive probes + answers")
    bottom.set_ylabel("packets/s (mean over each sample interval)")
    bottom.set_xlabel("simulated time (h); each step is the interval ending there")
    bottom.legend(loc="upper right", fontsize="small")
    bottom.grid(alpha=0.3)
    summary = "; ".join(
        f"{fl['connection']}: {fl['count']} connections, "
        + ", ".join(f"{n} {k}" for k, n in fl["fates"].items() if n)
        for fl in fleets)
    fig.suptitle((a.title or name or "") + ("\n" + summary if summary else ""), fontsize=10)
    fig.tight_layout()
    atomic.save_figure(fig, a.out, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
