#!/usr/bin/python3
"""Each firewall's idle timer against the keepalive probes, from kasim's JSON.

    kasim run SCENARIO --format json -o run.jsonl
    plots/fw_timeline.py run.jsonl -o timeline.png

For every firewall on a connection's path (the run record lists nodes with
their idle timeouts and each connection's path) this draws the age of the
firewall's entry for the connection: the time since the firewall last
passed one of its packets. Every forwarded packet resets the age to zero;
when the age reaches the idle timeout the firewall forgets the connection.
The entry's life is derived from the packets captured at the firewall with
the same rules kasim's firewall uses (a SYN creates the entry, an ACK in the
SYN state makes it established, FIN -> closing, RST -> closed, each state
with its own timeout). Keepalive probes and their answers passing the
firewall are marked, and so are packets it dropped for lack of state.

Exits with status 1 if no connection's path has a firewall.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atomic  # noqa: E402
import kasim_json  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def entry_life(packets, fw):
    """Replays the firewall's table for one connection.

    Returns (segments, expiries, events): segments are (t0, t1) intervals
    during which the entry lived and aged from 0 at t0; expiries are the
    times it was forgotten (with their timeout); events are (t, age, kind,
    passed) for every packet the firewall saw.
    """
    timeouts = {"syn": fw["syn_timeout"], "established": fw["idle_timeout"],
                "closing": fw["closing_timeout"], "closed": fw["close_timeout"]}
    state, last = None, None
    segments, expiries, events = [], [], []
    for p in packets:
        t = p["t"]
        if state is not None and last + timeouts[state] <= t:
            segments.append((last, last + timeouts[state]))
            expiries.append((last + timeouts[state], timeouts[state]))
            state = None
        age = t - last if state is not None else None
        if p["dir"] == "out":  # the firewall's own packet (an RST it sends): not in its table
            events.append((t, age, p["kind"], "own", p))
            continue
        passed = p["dir"] == "fwd"
        events.append((t, age, p["kind"], passed, p))
        if not passed:
            continue
        flags = p["flags"]
        if state is None:
            if "S" in flags and "." not in flags:
                state, last = "syn", t
            continue
        segments.append((last, t))
        last = t
        if "R" in flags:
            state = "closed"
        elif "F" in flags:
            state = "closing" if state != "closed" else state
        elif state == "syn" and "." in flags:
            state = "established"
    return segments, expiries, events, (state, last, timeouts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="kasim run --format json output")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    a = ap.parse_args()

    run = kasim_json.load(a.input)
    end = run.end["t"] if run.end else run.header["duration"]
    panels = []
    for conn in run.header["connections"]:
        for n in conn["path"]:
            info = run.node(n)
            if info and info["kind"] == "firewall":
                panels.append((conn, info))
    if not panels:
        print(f"{a.input}: no firewall on any connection's path: nothing to draw", file=sys.stderr)
        sys.exit(1)

    # Units: hours for long runs, minutes for medium, seconds otherwise.
    if end >= 3 * 3600:
        unit, uname = 3600.0, "h"
    elif end >= 600:
        unit, uname = 60.0, "min"
    else:
        unit, uname = 1.0, "s"

    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 3.9 * len(panels)), squeeze=False)
    for ax, (conn, fw) in zip(axes[:, 0], panels):
        pk = [p for p in run.packets if p["connection"] == conn["name"] and p["node"] == fw["name"]]
        segments, expiries, events, (state, last, timeouts) = entry_life(pk, fw)
        if state is not None:  # still alive at the end of the run (or expiring before it)
            stop = min(end, last + timeouts[state])
            segments.append((last, stop))
            if last + timeouts[state] <= end:
                expiries.append((last + timeouts[state], timeouts[state]))
        timeout = fw["idle_timeout"]
        top = timeout * 1.25

        ax.axhspan(timeout, top / unit * unit, color="#fde0dc", zorder=0)
        ax.axhline(timeout / unit, color="#c62828", lw=1.2, ls="--", zorder=1)
        ax.text(0.005 * end / unit, timeout / unit, f"  {fw['name']} idle timeout "
                f"{kasim_json.human_duration(timeout)}: an entry this idle is forgotten",
                color="#c62828", fontsize=8.5, va="bottom")
        for i, (t0, t1) in enumerate(segments):
            ax.plot([t0 / unit, t1 / unit], [0, (t1 - t0) / unit], color="#1f5fbf", lw=1.6, zorder=2,
                    label="entry age: time since the firewall last passed a packet" if i == 0 else None)
            ax.plot([t1 / unit, t1 / unit], [0, (t1 - t0) / unit], color="#1f5fbf", lw=0.8, alpha=0.5, zorder=2)
        for i, (t, to) in enumerate(expiries):
            ax.plot([t / unit], [to / unit], marker="X", color="#c62828", ms=11, zorder=4, ls="none",
                    label="entry forgotten (idle timeout reached)" if i == 0 else None)
            ax.annotate(f"forgotten at {t:.3f} s", (t / unit, to / unit), textcoords="offset points",
                        xytext=(6, 8), fontsize=8, color="#c62828")
        # Stretches without an entry: the firewall has forgotten the connection.
        for (t, to) in expiries:
            nxt = min([s0 for (s0, _) in segments if s0 > t] + [end])
            ax.axvspan(t / unit, nxt / unit, color="#eeeeee", zorder=0)
            ax.text((t + nxt) / 2 / unit, timeout * 0.55 / unit,
                    f"no entry: {fw['name']} has forgotten the connection,\nboth ends still think it is open",
                    ha="center", va="center", fontsize=8.5, color="#555555", style="italic")
        # The closest call: the oldest the entry got before a packet refreshed it.
        refreshed = [(t1 - t0, t1) for (t0, t1) in segments if all(abs(t1 - e) > 1e-9 for (e, _) in expiries)
                     and t1 < end]
        if refreshed and not expiries:
            peak, _ = max(refreshed)
            ax.axhline(peak / unit, color="#1f5fbf", lw=0.8, ls=":", zorder=1)
            ax.text(0.5 * end / unit, (peak + 0.04 * timeout) / unit,
                    f"oldest it got before a packet refreshed it: {kasim_json.human_duration(peak)} "
                    f"({peak:.1f} s), {kasim_json.human_duration(timeout - peak)} below the timeout",
                    ha="center", va="bottom", fontsize=8.5, color="#1f5fbf",
                    bbox=dict(fc="white", ec="none", pad=1, alpha=0.9), zorder=6)
        labelled = set()
        for (t, age, kind, passed, p) in events:
            y = (age or 0.0) / unit
            if passed == "own":
                if kind != "rst":
                    continue
                style = dict(marker="s", color="#c62828", ms=7, label=f"{fw['name']} sends an RST")
                y = 0.0
            elif kind == "keepalive-probe" and passed:
                style = dict(marker="v", color="#d9730d", ms=8, label="keepalive probe passes (resets the age)")
            elif kind == "keepalive-ack" and passed:
                style = dict(marker="^", color="#2a8a3e", ms=6, label="probe answered, answer passes")
            elif passed is False:
                style = dict(marker="X", color="#7f0000", ms=9, label=f"{kind} dropped: no state")
                y = 0.0
            elif kind == "rst":
                style = dict(marker="s", color="#c62828", ms=6, label="RST passes")
            else:
                continue
            lbl = style.pop("label")
            ax.plot([t / unit], [y], ls="none", zorder=5, label=None if lbl in labelled else lbl, **style)
            labelled.add(lbl)
            if passed is False:
                note = (p.get("fate") or "dropped").replace("dropped: ", "")
                ax.annotate(f"{kind} from {p['origin']} at {t:.3f} s:\n{note}", (t / unit, 0),
                            textcoords="offset points", xytext=(-8, 22), ha="right", fontsize=8, color="#7f0000",
                            arrowprops=dict(arrowstyle="-", color="#7f0000", lw=0.6),
                            bbox=dict(fc="white", ec="none", pad=1, alpha=0.9))
        ax.set_xlim(0, end / unit)
        ax.set_ylim(0, top / unit)
        ax.set_xlabel(f"simulated time ({uname})")
        ax.set_ylabel(f"entry age ({uname})")
        ax.grid(True, color="#dddddd", lw=0.6)
        o = run.outcome(conn["name"])
        fate = o["fate"] + (f" at {o['at']:.3f} s" if o and o.get("at") is not None else "") if o else "?"
        ax.set_title(f"{run.name}: {fw['name']}'s entry for connection {conn['name']} ({fate})",
                     fontsize=11, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    atomic.save_figure(fig, a.output, dpi=110)
    print(f"{a.output}: {len(panels)} firewall timeline(s)")


if __name__ == "__main__":
    main()
