#!/usr/bin/python3
"""Runs a scenario over a grid of keepidle x firewall idle timeout; writes CSV.

    plots/sweep.py --scenario scenarios/firewall-expiry-reset.yaml \\
        --keepidle 300:7200:300 --fw-timeout 900:7200:900 -o sweep.csv

A stand-in for `kasim sweep` (not written yet): for every pair it writes a
temporary variant of the scenario (the connection's keepalive block for
--side gets `enabled: true, idle: Ks`; the firewall's `idle_timeout` becomes
Fs), runs `kasim run VARIANT --format json` and records the connection's
outcome. Columns (plots/README.md):

    keepidle_s,fw_timeout_s,fate,at_s,keepalive_probes

fate is kasim's: alive, closed, reset, timed-out, refused, never-connected;
at_s is when it was sealed (empty if alive); keepalive_probes counts both
sides' probes.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atomic  # noqa: E402


def grid(spec):
    """'300:7200:300' (start:stop:step, inclusive) or '600,1200,3600'; seconds."""
    if ":" in spec:
        a, b, c = (int(x) for x in spec.split(":"))
        return list(range(a, b + 1, c))
    return [int(x) for x in spec.split(",")]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kasim", default=os.path.join(here, "..", "build", "kasim"), help="kasim binary")
    ap.add_argument("--scenario", required=True, help="base scenario YAML")
    ap.add_argument("--connection", help="connection to vary and report (default: the first)")
    ap.add_argument("--side", default="server", choices=["client", "server"], help="side whose keepidle varies")
    ap.add_argument("--firewall", help="middlebox whose idle_timeout varies (default: the first)")
    ap.add_argument("--keepidle", required=True, help="seconds: start:stop:step or a,b,c")
    ap.add_argument("--fw-timeout", required=True, help="seconds: start:stop:step or a,b,c")
    ap.add_argument("--duration", help="override the scenario's duration (e.g. 6h)")
    ap.add_argument("--on-expiry", choices=["drop", "reset-sender"], help="override the firewall's on_expiry")
    ap.add_argument("-o", "--output", required=True, help="CSV to write")
    a = ap.parse_args()

    with open(a.scenario, encoding="utf-8") as f:
        base = yaml.safe_load(f)
    conns = base.get("connections") or []
    conn = next((c for c in conns if a.connection in (None, c.get("name"))), None)
    if conn is None:
        sys.exit(f"{a.scenario}: no connection {a.connection!r}")
    boxes = base.get("middleboxes") or {}
    fw = a.firewall or next(iter(boxes), None)
    if fw not in boxes:
        sys.exit(f"{a.scenario}: no middlebox {fw!r} to vary")

    rows = []
    with tempfile.TemporaryDirectory(prefix="kasim-sweep-") as tmp:
        for k in grid(a.keepidle):
            for t in grid(a.fw_timeout):
                doc = json.loads(json.dumps(base))  # deep copy
                c = next(c for c in doc["connections"] if c.get("name") == conn.get("name"))
                ka = c.setdefault("keepalive", {}) or {}
                c["keepalive"] = ka
                side = ka.get(a.side) or {}
                side.update({"enabled": True, "idle": f"{k}s"})
                ka[a.side] = side
                doc["middleboxes"][fw]["idle_timeout"] = f"{t}s"
                if a.on_expiry:
                    doc["middleboxes"][fw]["on_expiry"] = a.on_expiry
                if a.duration:
                    doc["duration"] = a.duration
                path = os.path.join(tmp, f"k{k}-t{t}.yaml")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(doc, f)  # JSON is YAML: kasim reads it as is
                r = subprocess.run([a.kasim, "run", path, "--format", "json"], capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f"kasim failed on keepidle {k} s, firewall timeout {t} s:\n{r.stderr}")
                out = None
                for line in r.stdout.splitlines():
                    rec = json.loads(line)
                    if rec.get("type") == "outcome" and rec["connection"] == conn.get("name"):
                        out = rec
                if out is None:
                    sys.exit(f"kasim printed no outcome for {conn.get('name')}")
                probes = out["client"]["keepalive_probes"] + out["server"]["keepalive_probes"]
                at = "" if out["at"] is None else f"{out['at']:.6f}"
                rows.append((k, t, out["fate"], at, probes))
    with atomic.replacing(a.output, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["keepidle_s", "fw_timeout_s", "fate", "at_s", "keepalive_probes"])
        w.writerows(rows)
    print(f"{a.output}: {len(rows)} runs of {os.path.basename(a.scenario)}")


if __name__ == "__main__":
    main()
