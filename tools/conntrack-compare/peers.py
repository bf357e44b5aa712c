#!/usr/bin/env python3
"""Client and server for the conntrack comparison.
server PORT            : echo server (echoes every read back)
client HOST PORT IDLE  : connect, send 10 bytes, read echo, sleep IDLE seconds,
                         send 10 bytes, wait up to 8 s for the echo; prints the result."""
import socket, sys, time, errno

if sys.argv[1] == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(16)
    while True:
        c, _ = s.accept()
        c.settimeout(None)
        try:
            while True:
                d = c.recv(100)
                if not d: break
                c.sendall(d)
        except OSError:
            pass
        c.close()
else:
    host, port, idle = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    c = socket.socket()
    c.settimeout(5)
    t0 = time.time()
    try:
        c.connect((host, port))
    except OSError as e:
        print(f"connect: {errno.errorcode.get(e.errno, e)} after {time.time()-t0:.1f}s"); sys.exit(0)
    c.sendall(b"x" * 10); c.recv(100)
    print(f"first exchange ok, local port {c.getsockname()[1]}", flush=True)
    time.sleep(idle)
    c.settimeout(8)
    t1 = time.time()
    try:
        c.sendall(b"y" * 10)
        d = c.recv(100)
        print(f"late write: echo received after {time.time()-t1:.3f}s" if d else "late write: EOF")
    except socket.timeout:
        print("late write: no answer within 8 s (retransmitting)")
    except OSError as e:
        print(f"late write: {errno.errorcode.get(e.errno, e)} after {time.time()-t1:.3f}s")
