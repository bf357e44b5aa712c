#!/usr/bin/env python3
"""Peers for the conntrack table-full comparison (run.sh table-full cases).
hold HOST PORT N          : open N connections (completed handshakes: ASSURED
                            entries on the firewall), print, keep them open.
syns HOST PORT N          : N non-blocking connects to a port whose SYNs the
                            server drops (unreplied SYN_SENT entries), keep them.
connect HOST PORT TIMEOUT : one connect(); prints how long it took and how it ended."""
import errno, socket, sys, time

mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if mode == "connect":
    c = socket.socket()
    c.settimeout(float(n))
    t0 = time.time()
    try:
        c.connect((host, port))
        print(f"connect: ok after {time.time()-t0:.3f}s, local port {c.getsockname()[1]}", flush=True)
    except socket.timeout:
        print(f"connect: no answer within {n}s", flush=True)
    except OSError as e:
        print(f"connect: {errno.errorcode.get(e.errno, e)} after {time.time()-t0:.3f}s", flush=True)
    sys.exit(0)
socks = []
for i in range(int(n)):
    c = socket.socket()
    if mode == "syns":
        c.setblocking(False)
        try:
            c.connect((host, port))
        except BlockingIOError:
            pass
    else:
        c.settimeout(3)
        try:
            c.connect((host, port))
        except OSError as e:
            print(f"hold: connection {i+1} failed: {errno.errorcode.get(e.errno, e)}", flush=True)
            continue
    socks.append(c)
print(f"{mode}: {len(socks)} sockets open", flush=True)
time.sleep(3600)
