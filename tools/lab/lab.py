#!/usr/bin/env python3
"""Re-enacts a kasim scenario on this machine's Linux kernel (run by `kasim lab`).

usage: lab.py PLAN.json RESULT.json [--keep DIR]
       lab.py --relay IF_A IF_B DELAY_NS   (internal: one delayed link, see relay_main)

PLAN is written by `kasim lab` (sim/cmd_lab.cc): nodes, links, routes, connections, traffic, faults, all
resolved. This script builds one network namespace per node and one "wire" namespace per link joining
two veths: a bridge for a link without delay, a relay process (relay_main) for a link with one, so a
link can go down without the end hosts noticing. It configures firewalls with nftables + conntrack
(settings computed by kasim), runs the connections with real sockets from a single event loop, captures with
tcpdump in every node namespace, tears everything down and writes RESULT: every TCP packet captured
(monotonic ns, node, sent/received, header fields), what each application saw, and the kernel's
jiffies clock (HZ and one jiffy boundary), so kasim can predict with the same timer-wheel phase.

Exit codes: 0 ran (whatever the outcome), 1 failed while running, 2 cannot run here (not root, no
`ip netns`, a tool missing); the reason goes to stderr.

Facts this relies on (measured on Linux 6.18, HZ=250; README "kasim lab"): this kernel has no tc netem
(nor fq, etf or act_bpf), so delays are the relay's; tcpdump taps before netfilter, so a packet dropped
by a host's input rule is still captured as received; static neighbour entries keep ARP out of the
captures.
"""
import ctypes
import errno
import gzip
import heapq
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

CLONE_NEWNET = 0x40000000
NS_PREFIX = "kasimlab"


class CannotRun(Exception):
    """The lab cannot run on this machine (exit 2)."""


class Interrupted(Exception):
    pass


def log(msg):
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, quiet=False):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def ns_run(ns, *cmd, check=True):
    return run(["ip", "netns", "exec", ns, *cmd], check=check)


# ----------------------------------------------------------------------------- preflight

def preflight(plan):
    if os.geteuid() != 0:
        raise CannotRun("needs root: it creates network namespaces, veth links and nftables rules")
    tools = {"ip": "iproute2", "tcpdump": "tcpdump", "nft": "nftables"}
    if any(f["kind"] == "flush" for f in plan["faults"]):
        tools["conntrack"] = "conntrack"  # `conntrack -F` flushes a firewall's table
    for tool, package in tools.items():
        if shutil.which(tool) is None:
            raise CannotRun(f"needs '{tool}' (Debian package {package})")
    probe = f"{NS_PREFIX}-probe-{os.getpid()}"
    r = run(["ip", "netns", "add", probe], check=False)
    if r.returncode != 0:
        raise CannotRun(f"'ip netns add' does not work here: {r.stderr.strip()}")
    run(["ip", "netns", "del", probe], check=False)


def remove_stale_namespaces():
    """Namespaces left by a lab that was killed with SIGKILL (its pid is gone)."""
    r = run(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(rf"^{NS_PREFIX}-(\d+)-[0-9a-f]+-", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            run(["ip", "netns", "del", name], check=False)


# ----------------------------------------------------------------------------- the kernel's clock

def kernel_hz():
    try:
        with gzip.open("/proc/config.gz", "rt") as f:
            for line in f:
                if line.startswith("CONFIG_HZ="):
                    return int(line.split("=")[1])
    except OSError:
        pass
    a = read_timer_list()
    time.sleep(0.3)
    b = read_timer_list()
    rate = (b[1] - a[1]) / ((b[0] - a[0]) / 1e9)
    return min((100, 250, 300, 1000), key=lambda h: abs(h - rate))


def read_timer_list():
    """(now_ns, jiffies, tick grid phase ns or None) from /proc/timer_list."""
    text = open("/proc/timer_list").read()
    now = int(re.search(r"now at (\d+) nsecs", text).group(1))
    jif = int(re.search(r"^jiffies: (\d+)", text, re.M).group(1))
    m = re.search(r"tick_(?:nohz_handler|sched_timer).*\n # expires at (\d+)-", text)
    return now, jif, int(m.group(1)) if m else None


def jiffy_boundary(hz):
    """A CLOCK_MONOTONIC time at which jiffies became J, and J. The tick hrtimer runs on a fixed grid
    (its expiry in /proc/timer_list), and jiffies advances at each grid point."""
    tick = 1_000_000_000 // hz
    votes = {}
    for _ in range(7):
        now, jif, grid = read_timer_list()
        if grid is None:
            raise CannotRun("cannot find the tick timer in /proc/timer_list (needed for the jiffies phase)")
        g = grid % tick
        b = now - ((now - g) % tick)
        if now - b > tick - 200_000:  # too close to the next boundary: jiffies may have moved on
            time.sleep(0.0011)
            continue
        key = (g, jif - (b - g) // tick)
        votes[key] = votes.get(key, 0) + 1
        time.sleep(0.0011)
    if not votes:
        raise RuntimeError("could not read a stable jiffies value from /proc/timer_list")
    (g, base), _ = max(votes.items(), key=lambda kv: kv[1])
    # Jiffies at monotonic time M (M on the grid) = base + (M - g) / tick; report the boundary at g.
    return g, base


def realtime_minus_monotonic():
    best = None
    for _ in range(20):
        a = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        r = time.clock_gettime_ns(time.CLOCK_REALTIME)
        b = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if best is None or b - a < best[0]:
            best = (b - a, r - (a + b) // 2)
    return best[1]


# ----------------------------------------------------------------------------- topology

class Lab:
    def __init__(self, plan, workdir):
        self.plan = plan
        self.work = workdir
        self.prefix = f"{NS_PREFIX}-{os.getpid()}-{secrets.token_hex(3)}"
        self.namespaces = []
        self.procs = []  # (name, Popen) we started
        self.node_ns = [f"{self.prefix}-n{i}" for i in range(len(plan["nodes"]))]
        self.wire_ns = [f"{self.prefix}-w{i}" for i in range(len(plan["links"]))]
        self.macs = {}  # (node, link) -> mac of the node's interface on that link
        self.relays = {}  # link -> Popen of the relay that delays it
        self.notes = []

    def add_ns(self, name):
        run(["ip", "netns", "add", name])
        self.namespaces.append(name)
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        ns_run(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
               "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")

    def build(self):
        plan = self.plan
        for ns in self.node_ns + self.wire_ns:
            self.add_ns(ns)
        for li, link in enumerate(plan["links"]):
            w = self.wire_ns[li]
            bridged = link["delay_ns"] == 0
            if bridged:
                run(["ip", "-n", w, "link", "add", "name", "br0", "type", "bridge", "stp_state", "0",
                     "forward_delay", "0"])
            for end, node in (("wa", link["a"]), ("wb", link["b"])):
                ns = self.node_ns[node]
                run(["ip", "-n", ns, "link", "add", "name", f"l{li}", "type", "veth", "peer", "name", end, "netns", w])
                if bridged:
                    run(["ip", "-n", w, "link", "set", "dev", end, "master", "br0"])
                run(["ip", "-n", w, "link", "set", "dev", end, "up"])
                run(["ip", "-n", ns, "link", "set", "dev", f"l{li}", "up"])
                out = run(["ip", "-n", ns, "-br", "link", "show", f"l{li}"]).stdout.split()
                self.macs[(node, li)] = out[2]
            if bridged:
                run(["ip", "-n", w, "link", "set", "dev", "br0", "up"])
            else:
                self.start_relay(li, link["delay_ns"])
        for i, node in enumerate(plan["nodes"]):
            ns = self.node_ns[i]
            ns_run(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            if node["kind"] == "host":
                run(["ip", "-n", ns, "addr", "add", f"{node['address']}/32", "dev", "lo"])
                ns_run(ns, "sysctl", "-qw", *[f"{k}={v}" for k, v in node["sysctl"].items()])
                self.nft(ns, """
table inet kasimlab {
  set blocked { type ipv4_addr; }
  chain input { type filter hook input priority -300; policy accept; ip saddr @blocked drop; }
  chain output { type filter hook output priority -300; policy accept; }
}""")
        self.routes()
        for i, node in enumerate(plan["nodes"]):
            if node["kind"] == "firewall":
                self.firewall(self.node_ns[i], node["firewall"])

    def start_relay(self, li, delay_ns):
        err = open(os.path.join(self.work, f"relay{li}.err"), "w")
        p = subprocess.Popen(["ip", "netns", "exec", self.wire_ns[li], sys.executable, os.path.abspath(__file__),
                              "--relay", "wa", "wb", str(delay_ns)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        self.procs.append(("relay", p))
        self.relays[li] = p
        r, _, _ = select.select([p.stdout], [], [], 10)
        if not r or p.stdout.readline() != b"ready\n":
            raise RuntimeError(f"the relay of link {li} did not start: {open(err.name).read().strip()}")

    def set_link(self, li, up):
        """Link state for a fault. A bridged link: the bridge goes down (the ends keep their carrier, so
        neither host notices). A relayed link: the relay drops what arrives while it is down."""
        relay = self.relays.get(li)
        if relay is None:
            run(["ip", "-n", self.wire_ns[li], "link", "set", "dev", "br0", "up" if up else "down"])
            return
        relay.stdin.write(b"up\n" if up else b"down\n")
        relay.stdin.flush()
        if relay.stdout.readline() != b"ok\n":
            raise RuntimeError(f"the relay of link {li} did not answer")

    def routes(self):
        plan = self.plan
        addr = {i: n["address"] for i, n in enumerate(plan["nodes"]) if n["kind"] == "host"}
        done = set()
        for c in plan["connections"]:
            nodes, links = c["route"]["nodes"], c["route"]["links"]
            for path_nodes, path_links in ((nodes, links), (nodes[::-1], links[::-1])):
                dst = addr[path_nodes[-1]]
                src = addr[path_nodes[0]]
                for k in range(len(path_links)):
                    here, nxt, li = path_nodes[k], path_nodes[k + 1], path_links[k]
                    if (here, dst) in done:
                        continue
                    done.add((here, dst))
                    ns = self.node_ns[here]
                    cmd = ["ip", "-n", ns, "route", "replace", f"{dst}/32", "dev", f"l{li}"]
                    if k == 0:
                        cmd += ["src", src]
                    run(cmd)
                    run(["ip", "-n", ns, "neigh", "replace", dst, "lladdr", self.macs[(nxt, li)], "dev", f"l{li}",
                         "nud", "permanent"])

    def nft(self, ns, text):
        r = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=text, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError(f"nft in {ns} failed: {r.stderr.strip()}")

    def firewall(self, ns, fw):
        # Conntrack decides what is `new`: only a SYN with nf_conntrack_tcp_loose=0 (strict pickup); also a
        # mid-stream ACK with loose=1 (a FIN or RST without state stays invalid either way). Packets that are
        # neither tracked nor new get the scenario's on_expiry action. The `ct` expressions switch conntrack
        # on in this namespace; its timeouts and rules are per-namespace sysctls (kasim's conntrack_sysctls).
        action = "reject with tcp reset" if fw["on_expiry"] == "reset-sender" else "drop"
        new = "meta l4proto tcp" if fw["pickup"] == "loose" else "tcp flags & (syn | ack | fin | rst) == syn"
        self.nft(ns, f"""
table inet kasimlab {{
  chain forward {{
    type filter hook forward priority filter; policy accept;
    ct state established,related accept
    {new} ct state new accept
    meta l4proto tcp counter {action}
  }}
}}""")
        ns_run(ns, "sysctl", "-qw", *[f"{k}={v}" for k, v in fw["sysctl"].items()])

    # ------------------------------------------------------------------------- captures

    def start_captures(self):
        self.pcaps = []
        for i, ns in enumerate(self.node_ns):
            path = os.path.join(self.work, f"node{i}-{self.plan['nodes'][i]['name']}.pcap")
            err = open(path + ".err", "w+")
            p = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", "any", "-n", "-U", "-s", "128",
                                  "--time-stamp-precision=nano", "-w", path, "tcp"],
                                 stdout=subprocess.DEVNULL, stderr=err)
            self.procs.append(("tcpdump", p))
            self.pcaps.append((i, path, err))
        deadline = time.monotonic() + 10
        for i, path, err in self.pcaps:
            while True:
                err.seek(0)
                if "listening on" in err.read():
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"tcpdump in node {i} did not start")
                time.sleep(0.01)

    def stop_processes(self):
        for _, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for _, p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []

    def teardown(self):
        self.stop_processes()
        for ns in self.namespaces:
            run(["ip", "netns", "del", ns], check=False)
        self.namespaces = []


# ----------------------------------------------------------------------------- pcap reading

def read_pcap(path, rt_minus_mono):
    """Yields (monotonic ns, outgoing, ip packet bytes) for every IPv4 frame."""
    data = open(path, "rb").read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B23C4D, 0xA1B2C3D4):
        raise RuntimeError(f"{path}: not a little-endian pcap file")
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec * 1_000_000_000 + (frac if nano else frac * 1000) - rt_minus_mono
        if linktype == 113:  # LINUX_SLL
            pkttype, proto, payload = struct.unpack("!H", frame[0:2])[0], struct.unpack("!H", frame[14:16])[0], frame[16:]
        elif linktype == 276:  # LINUX_SLL2
            proto, pkttype, payload = struct.unpack("!H", frame[0:2])[0], frame[10], frame[20:]
        else:
            raise RuntimeError(f"{path}: unexpected link type {linktype}")
        if proto == 0x0800:
            yield t, pkttype == 4, payload


def parse_tcp(ip):
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    tcp = ip[ihl:]
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack = struct.unpack("!HHII", tcp[:12])
    doff = (tcp[12] >> 4) * 4
    return dict(src=socket.inet_ntoa(ip[12:16]), dst=socket.inet_ntoa(ip[16:20]), sport=sport, dport=dport,
                seq=seq, ack=ack, flags=tcp[13], win=struct.unpack("!H", tcp[14:16])[0], len=total - ihl - doff)


# ----------------------------------------------------------------------------- sockets in namespaces

libc = ctypes.CDLL(None, use_errno=True)


class InNamespace:
    """Switches this (single-threaded) process into a network namespace; sockets created inside stay
    there after switching back."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.ns}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns {self.ns}")
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        if libc.setns(self.home, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns back")
        os.close(self.home)


def set_options(sock, ka):
    """The scenario's keepalive block, in setsockopt order: SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT,
    TCP_USER_TIMEOUT (unset values are left to the namespace's sysctls)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1 if ka["enabled"] else 0)
    if ka["idle_s"]:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, ka["idle_s"])
    if ka["interval_s"]:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, ka["interval_s"])
    if ka["count"]:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, ka["count"])
    if ka["user_timeout_ms"]:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, ka["user_timeout_ms"])


class Apps:
    """Every application of every connection, driven by one event loop with the scenario's schedule."""

    def __init__(self, lab):
        self.lab = lab
        self.plan = lab.plan
        self.events = []        # what applications saw
        self.socks = {}         # (conn, side) -> socket in use (connect() called, or accepted)
        self.unconnected = {}   # conn -> client socket before its connect()
        self.connecting = set() # conns whose connect() has not completed
        self.pending = {}       # (conn, side) -> bytes not yet accepted by send()
        self.listeners = {}     # (server node, port) -> socket
        self.crashed = set()
        self.actions = []       # when each scheduled action really ran (kasim predicts with these times)
        self.heap = []
        self.seq = 0

    def at(self, t_ns, fn):
        heapq.heappush(self.heap, (t_ns, self.seq, fn))
        self.seq += 1

    def note(self, conn, side, what, err=None):
        self.events.append(dict(conn=conn, side=side, what=what, t_ns=time.monotonic_ns(), errno=err))

    def setup(self):
        nodes = self.plan["nodes"]
        for ci, c in enumerate(self.plan["connections"]):
            key = (c["server"], c["port"])
            if key not in self.listeners:
                with InNamespace(self.lab.node_ns[c["server"]]):
                    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                # Options set before establishment go on the listener; the accepted socket inherits them
                # and its keepalive timer starts at establishment, as kasim assumes.
                ka = c["keepalive"]["server"]
                if ka and ka["at_ns"] is None:
                    set_options(ls, ka)
                ls.bind((nodes[c["server"]]["address"], c["port"]))
                ls.listen(64)
                ls.setblocking(False)
                self.listeners[key] = ls
            with InNamespace(self.lab.node_ns[c["client"]]):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ka = c["keepalive"]["client"]
            if ka and ka["at_ns"] is None:
                set_options(s, ka)
            s.bind((nodes[c["client"]]["address"], c["client_port"]))
            s.setblocking(False)
            self.unconnected[ci] = s

    def schedule(self, t0):
        plan = self.plan
        for ci, c in enumerate(plan["connections"]):
            self.at(t0 + c["open_at_ns"], lambda ci=ci: self.connect(ci))
            for side in ("client", "server"):
                ka = c["keepalive"][side]
                if ka and ka["at_ns"] is not None:
                    self.at(t0 + ka["at_ns"], lambda ci=ci, side=side, ka=ka: self.options(ci, side, ka))
            for si, step in enumerate(c["traffic"]):
                self.at(t0 + step["at_ns"], lambda ci=ci, si=si, step=step, t=t0 + step["at_ns"]: self.step(ci, si, step, t))
        for fi, f in enumerate(plan["faults"]):
            self.at(t0 + f["at_ns"], lambda fi=fi, f=f: self.fault(fi, f))

    def host_of(self, ci, side):
        c = self.plan["connections"][ci]
        return c["client"] if side == "client" else c["server"]

    def connect(self, ci):
        s = self.unconnected.pop(ci)
        self.socks[(ci, "client")] = s
        self.connecting.add(ci)
        c = self.plan["connections"][ci]
        r = s.connect_ex((self.plan["nodes"][c["server"]]["address"], c["port"]))
        if r not in (0, errno.EINPROGRESS):
            self.fail(ci, "client", r)

    def options(self, ci, side, ka):
        self.actions.append(dict(kind="options", conn=ci, side=side, t_ns=time.monotonic_ns()))
        s = self.socks.get((ci, side))
        if s is not None:
            set_options(s, ka)

    def step(self, ci, si, step, t):
        side = step["from"]
        now = time.monotonic_ns()
        self.actions.append(dict(kind="step", conn=ci, step=si, t_ns=now))
        if now - t > 1_000_000:
            self.lab.notes.append(f"{step['action']} by {side} of connection {ci} ran {(now - t) / 1e6:.3f} ms late")
        if self.host_of(ci, side) not in self.crashed:
            s = self.socks.get((ci, side))
            if s is not None:
                if step["action"] == "send":
                    self.pending[(ci, side)] = self.pending.get((ci, side), 0) + step["bytes"]
                    self.flush(ci, side)
                elif step["action"] == "close":
                    self.close(ci, side)
                elif step["action"] == "abort":
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close(ci, side)
        nxt = t + step["every_ns"]
        if step["every_ns"] > 0 and (step["until_ns"] is None or nxt - self.t0 <= step["until_ns"]):
            self.at(nxt, lambda: self.step(ci, si, step, nxt))

    def flush(self, ci, side):
        s, n = self.socks.get((ci, side)), self.pending.get((ci, side), 0)
        while s is not None and n > 0:
            try:
                sent = s.send(b"k" * min(n, 65536))
            except BlockingIOError:
                break
            except OSError as e:
                self.fail(ci, side, e.errno)
                return
            n -= sent
        self.pending[(ci, side)] = n

    def close(self, ci, side):
        s = self.socks.pop((ci, side), None)
        if s is not None:
            s.close()

    def fail(self, ci, side, err):
        self.note(ci, side, errno.errorcode.get(err, str(err)), err)
        self.close(ci, side)

    def fault(self, fi, f):
        lab, kind = self.lab, f["kind"]
        if kind in ("link-down", "link-up"):
            lab.set_link(f["link"], kind == "link-up")
        elif kind in ("block-from", "unblock-from"):
            peer = self.plan["nodes"][f["peer"]]["address"]
            verb = "add" if kind == "block-from" else "delete"
            ns_run(lab.node_ns[f["node"]], "nft", verb, "element", "inet", "kasimlab", "blocked", f"{{ {peer} }}")
        elif kind == "crash":
            self.crashed.add(f["node"])
            ns = lab.node_ns[f["node"]]
            lab.nft(ns, "add rule inet kasimlab input drop\nadd rule inet kasimlab output drop\n")
        elif kind == "flush":
            ns_run(lab.node_ns[f["node"]], "conntrack", "-F")
        # The rule (or link state) is in force once the command returns.
        done = time.monotonic_ns()
        self.actions.append(dict(kind="fault", index=fi, t_ns=done))
        lab.notes.append(f"fault {kind} in force {(done - self.t0 - f['at_ns']) / 1e6:.3f} ms after its scheduled time")

    def readable(self, key):
        ci, side = key
        s = self.socks[key]
        try:
            data = s.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.fail(ci, side, e.errno)
            return
        if not data:
            # kasim's applications close their end as soon as they read end-of-file.
            self.note(ci, side, "EOF")
            self.close(ci, side)

    def accept(self, key):
        ls = self.listeners[key]
        try:
            s, peer = ls.accept()
        except BlockingIOError:
            return
        s.setblocking(False)
        for ci, c in enumerate(self.plan["connections"]):
            if (c["server"], c["port"]) == key and c["client_port"] == peer[1] and (ci, "server") not in self.socks:
                self.socks[(ci, "server")] = s
                return
        s.close()

    def loop(self, t0, end):
        self.t0 = t0
        self.schedule(t0)
        connecting = self.connecting
        while True:
            now = time.monotonic_ns()
            while self.heap and self.heap[0][0] <= now:
                _, _, fn = heapq.heappop(self.heap)
                fn()
                now = time.monotonic_ns()
            if now >= end:
                return
            nxt = min(self.heap[0][0] if self.heap else end, end)
            wait = (nxt - now) / 1e9
            if wait < 0.0008:  # the last moments before a scheduled action: spin for precision
                continue
            rd = {s: ("l", k) for k, s in self.listeners.items()}
            wr = {}
            for k, s in self.socks.items():
                rd[s] = ("s", k)
                if (k[1] == "client" and k[0] in connecting) or self.pending.get(k, 0) > 0:
                    wr[s] = k
            # Short sleeps: the kernel lets a select() oversleep by 0.1% of its timeout (9 ms for 9 s).
            r, w, _ = select.select(list(rd), list(wr), [], min(wait - 0.0006, 0.05))
            for s in w:
                k = wr[s]
                if k not in self.socks:
                    continue
                if k[1] == "client" and k[0] in connecting:
                    connecting.discard(k[0])
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        self.fail(k[0], "client", err)
                        continue
                self.flush(*k)
            for s in r:
                kind, k = rd[s]
                if kind == "l":
                    self.accept(k)
                elif k in self.socks and self.socks[k] is s:
                    if k[1] == "client" and k[0] in connecting:
                        continue  # handled through writability
                    self.readable(k)


# ----------------------------------------------------------------------------- delayed links

SOL_PACKET = 263
PACKET_VNET_HDR = 15         # frames carry a virtio_net_hdr: checksum-offload and GSO state survive the relay
PACKET_IGNORE_OUTGOING = 23  # do not read back what this socket (or the other end's) sent
SO_TIMESTAMPNS = 35          # the kernel's receive time of each frame (CLOCK_REALTIME)
ETH_P_ALL = 0x0003


def relay_main(if_a, if_b, delay_ns):
    """A link with a delay: copies every frame received on one interface of this (wire) namespace to the
    other, `delay_ns` after the kernel received it, in order. This kernel has no netem, so a link with a
    delay is this process instead of a bridge. Control on stdin, one command a line, each answered by
    "ok" on stdout once in force: "down" (frames that arrive from now on are dropped; frames already on
    the wire are still delivered, as kasim's links do) and "up". Prints "ready" when both interfaces are
    being read; exits at end of stdin or on SIGINT/SIGTERM."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: sys.exit(0))
    libc.prctl(29, 1, 0, 0, 0)  # PR_SET_TIMERSLACK: 1 ns
    try:
        # A wire should not wait for the CPU behind builds; the loop sleeps between frames.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except (OSError, AttributeError):
        pass
    socks = []
    for name in (if_a, if_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((name, 0))
        s.setblocking(False)
        socks.append(s)
    peer = {socks[0]: socks[1], socks[1]: socks[0]}
    rt_off = realtime_minus_monotonic()
    up = True
    heap = []
    seq = 0
    os.write(1, b"ready\n")
    while True:
        now = time.monotonic_ns()
        while heap and heap[0][0] <= now:
            _, _, out, frame = heapq.heappop(heap)
            try:
                out.send(frame)
            except OSError:
                pass  # the far end is gone (teardown)
            now = time.monotonic_ns()
        if heap:
            wait = (heap[0][0] - now) / 1e9
            timeout = 0 if wait < 0.0003 else wait - 0.0002  # spin through the last 0.3 ms
        else:
            timeout = None
        r, _, _ = select.select([0, *socks], [], [], timeout)
        for s in r:
            if s == 0:
                line = os.read(0, 64)
                if not line:
                    return 0
                for cmd in line.decode().split():
                    up = cmd == "up" if cmd in ("up", "down") else up
                    os.write(1, b"ok\n")
                continue
            while True:
                try:
                    frame, anc, _, _ = s.recvmsg(70000, 64)
                except OSError:
                    break  # EAGAIN: all read; ENETDOWN: the far end is being removed
                t = None
                for level, kind, data in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                        sec, nsec = struct.unpack("qq", data[:16])
                        t = sec * 1_000_000_000 + nsec - rt_off
                if t is None:
                    t = time.monotonic_ns()
                if up:
                    heapq.heappush(heap, (t + delay_ns, seq, peer[s], frame))
                    seq += 1


# ----------------------------------------------------------------------------- main

def main():
    args = sys.argv[1:]
    if args[:1] == ["--relay"] and len(args) == 4:
        return relay_main(args[1], args[2], int(args[3]))
    if len(args) not in (2, 4) or (len(args) == 4 and args[2] != "--keep"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    plan = json.load(open(args[0]))
    keep = args[3] if len(args) == 4 else None
    try:
        preflight(plan)
    except CannotRun as e:
        print(f"kasim lab: {e}", file=sys.stderr)
        return 2
    remove_stale_namespaces()

    def on_signal(signum, _frame):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # one interruption is enough; the cleanup must finish
        raise Interrupted(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    libc.prctl(29, 1, 0, 0, 0)  # PR_SET_TIMERSLACK: 1 ns, so scheduled actions wake on time

    work = keep or tempfile.mkdtemp(prefix="kasim-lab-")
    os.makedirs(work, exist_ok=True)
    lab = Lab(plan, work)
    try:
        hz = kernel_hz()
        lab.build()
        apps = Apps(lab)
        apps.setup()
        lab.start_captures()
        grid, jiffies_base = jiffy_boundary(hz)
        rt_off = realtime_minus_monotonic()
        t0 = time.monotonic_ns() + 200_000_000
        secs = plan["duration_ns"] / 1e9
        log(f"running '{plan['name']}' for {secs:g} s of real time in namespaces {lab.prefix}-*")
        apps.loop(t0, t0 + plan["duration_ns"])
        time.sleep(0.05)
        lab.stop_processes()
        packets = []
        for node, path, _ in lab.pcaps:
            for t, outgoing, ip in read_pcap(path, rt_off):
                p = parse_tcp(ip)
                if p is not None:
                    p.update(node=node, t_ns=t, out=outgoing)
                    packets.append(p)
        result = dict(
            kernel=dict(release=os.uname().release, hz=hz, tick_ns=1_000_000_000 // hz,
                        boundary_ns=grid, jiffies_at_boundary=jiffies_base),
            start_ns=t0, packets=packets,
            app=apps.events, actions=apps.actions, notes=lab.notes, namespaces=lab.prefix)
        with open(args[1], "w") as f:
            json.dump(result, f)
        return 0
    except CannotRun as e:
        print(f"kasim lab: {e}", file=sys.stderr)
        return 2
    except Interrupted as e:
        print(f"kasim lab: interrupted ({e}); namespaces and captures removed", file=sys.stderr)
        return 130
    except (RuntimeError, OSError) as e:
        print(f"kasim lab: {e}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        lab.teardown()
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
