"""Reading kasim's JSON-lines output (`kasim run --format json`).

One object per line: a "run" record (scenario, duration, seed, nodes with
their kind and, for firewalls, idle timeouts; connections with their path),
one "packet" record per packet per capture point, one "outcome" per
connection and a final "end". Times are seconds (floats with microsecond
precision, for drawing only) and "t_ns" integer nanoseconds.
"""
import json


class Run:
    def __init__(self, header, packets, outcomes, end):
        self.header = header
        self.packets = packets
        self.outcomes = outcomes
        self.end = end

    @property
    def name(self):
        return self.header["scenario"]

    def node(self, name):
        for n in self.header.get("nodes", []):
            if n["name"] == name:
                return n
        return None

    def connection(self, name=None):
        conns = self.header.get("connections", [])
        if not conns:
            raise SystemExit("the run record has no connections (is this kasim's JSON output?)")
        if name is None:
            return conns[0]
        for c in conns:
            if c["name"] == name:
                return c
        raise SystemExit(f"no connection named {name!r}; the run has " +
                         ", ".join(c["name"] for c in conns))

    def outcome(self, name):
        for o in self.outcomes:
            if o["connection"] == name:
                return o
        return None


def load(path):
    header, packets, outcomes, end = None, [], [], None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{lineno}: not JSON: {e}")
            kind = rec.get("type")
            if kind == "run":
                header = rec
            elif kind == "packet":
                packets.append(rec)
            elif kind == "outcome":
                outcomes.append(rec)
            elif kind == "end":
                end = rec
    if header is None:
        raise SystemExit(f"{path}: no run record: expected `kasim run --format json` output")
    if "nodes" not in header:
        raise SystemExit(f"{path}: the run record has no nodes: produced by an older kasim")
    return Run(header, packets, outcomes, end)


def clock(seconds):
    """12345.678 -> '3:25:45.678' (h:mm:ss), for axis labels."""
    s = float(seconds)
    h = int(s // 3600)
    m = int((s % 3600) // 60)
    rest = s - h * 3600 - m * 60
    if h:
        return f"{h}:{m:02d}:{rest:06.3f}"
    return f"{m}:{rest:06.3f}"


def human_duration(seconds):
    """7206.9 -> '2 h 0 min 7 s'; 0.003 -> '3 ms'."""
    s = float(seconds)
    if s < 1:
        return f"{s * 1000:.3g} ms"
    if s < 60:
        return f"{s:.3g} s"
    h, rem = divmod(int(round(s)), 3600)
    m, sec = divmod(rem, 60)
    parts = []
    if h:
        parts.append(f"{h} h")
    if m:
        parts.append(f"{m} min")
    if sec and not h:
        parts.append(f"{sec} s")
    return " ".join(parts) if parts else "0 s"
