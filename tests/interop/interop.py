#!/usr/bin/env python3
"""Interop tests: synack on a TAP device against the Linux kernel's TCP.

Topology (everything inside one network namespace this script creates and
always removes; nothing touches the host's interfaces):

    netns sk-interop-PID
      sk0  (TAP)  10.77.0.1/24   <- Linux, the peer
        |  frames through /dev/net/tun
      synack host --tap sk0 --addr 10.77.0.2/24   <- synack

The outer process checks the machine (root, /dev/net/tun, ip netns), makes
the namespace and the TAP device, then runs itself inside the namespace
(--inside) to do the cases, and removes everything whatever happens. Where
the machine cannot run it, it says why and exits 77, which ctest reports as
skipped (never as passed).

Usage: interop.py --synack PATH [--size BYTES] [--lossy-size BYTES]
                  [--only NAME,...] [--bench] [--keep-logs DIR]
Only the Python standard library is used.
"""
import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
LINUX = "10.77.0.1"
SYNACK = "10.77.0.2"
PREFIX = "sk-interop-"
TAP = "sk0"


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- outside

def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def why_not_runnable():
    """The reason this machine cannot run the test, or None."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    if os.geteuid() != 0:
        return "not root: network namespaces and TAP devices need root (run make check as root)"
    try:
        os.close(os.open("/dev/net/tun", os.O_RDWR))
    except OSError as e:
        return f"/dev/net/tun cannot be opened ({e.strerror}): load the tun module (modprobe tun)"
    for tool in ("ip", "tcpdump", "curl", "ss"):
        if not shutil.which(tool):
            return f"'{tool}' is missing (scripts/deps.sh installs it)"
    probe = f"{PREFIX}probe-{os.getpid()}"
    r = run(["ip", "netns", "add", probe], check=False)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stdout.strip()}"
    run(["ip", "netns", "del", probe], check=False)
    return None


def ns_pids(ns):
    r = run(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def remove_ns(ns):
    """Ends the processes this test started inside `ns`, then removes it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = ns_pids(ns)
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        if pids:
            time.sleep(0.5)
    run(["ip", "netns", "del", ns], check=False)


def remove_stale():
    """Namespaces left by an earlier run that was killed (its PID is gone)."""
    r = run(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(PREFIX + r"(\d+)", name)
        if m and not os.path.exists(f"/proc/{m.group(1)}"):
            log(f"removing stale namespace {name}")
            remove_ns(name)


def outside(args):
    reason = why_not_runnable()
    if reason:
        log(f"SKIP interop: {reason}")
        return SKIP
    remove_stale()
    ns = f"{PREFIX}{os.getpid()}"

    def on_signal(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        run(["ip", "netns", "add", ns])
        for cmd in (["ip", "link", "set", "lo", "up"],
                    ["ip", "tuntap", "add", "dev", TAP, "mode", "tap"],
                    ["ip", "addr", "add", f"{LINUX}/24", "dev", TAP],
                    ["ip", "link", "set", TAP, "up"]):
            run(["ip", "-n", ns] + cmd[1:])
        inner = ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                 "--inside"] + sys.argv[1:]
        return subprocess.run(inner).returncode
    finally:
        remove_ns(ns)


# ---------------------------------------------------------------- inside

class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def sha(data):
    return hashlib.sha256(data).hexdigest()


BLOCK = 4 << 20


def chunks(size, seed):
    """`size` bytes of a seeded random 4 MiB block repeated: large
    transfers (1 GiB) never sit in memory whole."""
    block = random.Random(seed).randbytes(min(size, BLOCK))
    left = size
    while left:
        n = min(left, len(block))
        yield block[:n] if n < len(block) else block
        left -= n


def chunks_sha(size, seed):
    h = hashlib.sha256()
    for c in chunks(size, seed):
        h.update(c)
    return h.hexdigest()


def write_file(path, size, seed):
    with open(path, "wb") as f:
        for c in chunks(size, seed):
            f.write(c)


def recv_hash(s):
    """Reads to EOF; returns (bytes, sha256) without keeping the data."""
    h, n = hashlib.sha256(), 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            return n, h.hexdigest()
        h.update(b)
        n += len(b)


def pattern(n):
    """What synack's /bytes/N serves: a 251-byte cycle."""
    cycle = bytes(range(251))
    return (cycle * (n // 251 + 1))[:n]


def sh(cmd, timeout=60, check_rc=True):
    r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        raise Failure(f"'{cmd}' failed ({r.returncode}): {r.stdout[-600:]}")
    return r.stdout


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise Failure(f"timed out waiting for {what}")


class Host:
    """One `synack host` process on the TAP device; its output is logged."""
    seq = 0
    live = set()

    def __init__(self, ctx, args, wait_listen=True):
        Host.seq += 1
        self.ctx = ctx
        self.path = os.path.join(ctx.tmp, f"host{Host.seq}.log")
        self.out = open(self.path, "w")
        cmd = [ctx.synack, "host", "--tap", TAP, "--addr", f"{SYNACK}/24"] + args
        self.cmd = " ".join(cmd)
        self.p = subprocess.Popen(cmd, stdout=self.out, stderr=subprocess.STDOUT)
        Host.live.add(self)
        wait_for(lambda: "synack host on" in self.text() or self.p.poll() is not None, 10,
                 "synack to start")
        check(self.p.poll() is None or not wait_listen, f"synack exited: {self.text()}")

    def text(self):
        with open(self.path) as f:
            return f.read()

    def wait_line(self, regex, timeout=30):
        rx = re.compile(regex, re.M)
        return wait_for(lambda: rx.search(self.text()), timeout, f"synack to print /{regex}/")

    def listing(self):
        """Sends SIGUSR1 and returns the socket rows of the new listing."""
        n = self.text().count("--- end ---")
        self.p.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.text().count("--- end ---") > n, 10, "the listing")
        block = self.text().split("--- sockets ---")[n + 1].split("--- end ---")[0]
        sockets = block.split("--- counters ---")[0].strip().splitlines()[1:]
        counters = dict(l.split() for l in
                        block.split("--- counters ---")[1].split("--- link ---")[0].strip().splitlines())
        return [r.split() for r in sockets], {k: int(v) for k, v in counters.items()}

    def wait_exit(self, timeout=30):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f"synack did not exit: {self.text()[-800:]}")

    def stop(self, timeout=15):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.wait_exit(timeout)
        Host.live.discard(self)
        self.out.close()
        text = self.text()
        check("ERROR: AddressSanitizer" not in text and "runtime error:" not in text,
              f"sanitizer report: {text[-2000:]}")
        return rc

    def kill(self):
        Host.live.discard(self)
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.out.close()


class Server(threading.Thread):
    """A Linux-side TCP server on 10.77.0.1:port running `handler(conn)` for
    one connection; the result (or the exception) is kept."""

    def __init__(self, port, handler):
        super().__init__(daemon=True)
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((LINUX, port))
        self.ls.listen(16)
        self.ls.settimeout(60)
        self.handler = handler
        self.result = self.error = None
        self.start()

    def run(self):
        try:
            c, _ = self.ls.accept()
            c.settimeout(120)
            with c:
                self.result = self.handler(c)
        except Exception as e:  # reported by join_result
            self.error = e
        finally:
            self.ls.close()

    def join_result(self, timeout=120):
        self.join(timeout)
        check(not self.is_alive(), "the Linux server did not finish")
        if self.error:
            raise Failure(f"Linux server: {self.error!r}")
        return self.result


def recv_all(s):
    chunks = []
    while True:
        b = s.recv(1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def connect(port, **kw):
    s = socket.create_connection((SYNACK, port), timeout=30, **kw)
    return s


def linux_ss():
    """Linux's own view: rows of `ss -tanH` (state, recv-q, send-q, local, peer)."""
    return [l.split() for l in sh("ss -tanH").splitlines() if l.strip()]


def find_row(rows, local, peer):
    for r in rows:
        if len(r) >= 5 and r[3] == local and r[4] == peer:
            return r
    return None


class Ctx:
    def __init__(self, args):
        self.synack = os.path.abspath(args.synack)
        self.size = args.size
        self.lossy_size = args.lossy_size
        self.tmp = tempfile.mkdtemp(prefix="synack-interop-")
        self.results = []
        self.server = None   # the long-running synack server
        self.figures = {}


SERVER_ARGS = ["echo:7", "discard:9", "hold:10", "http:80"]


class Capture:
    """tcpdump on the Linux side of the TAP device, read back as text."""

    def __init__(self, ctx, name, filt="tcp"):
        self.path = os.path.join(ctx.tmp, f"{name}.pcap")
        self.errpath = self.path + ".err"
        self.err = open(self.errpath, "w")
        self.p = subprocess.Popen(["tcpdump", "-i", TAP, "-nn", "-U", "--immediate-mode", "-Z", "root", "-s", "256",
                                   "-w", self.path,
                                   filt], stdout=subprocess.DEVNULL, stderr=self.err)
        wait_for(lambda: "listening on" in open(self.errpath).read(), 10, "tcpdump")

    def stop(self):
        time.sleep(0.2)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(10)
        self.err.close()
        return sh(f"tcpdump -nn -r {self.path} 2>/dev/null").splitlines()


def tcp_options(line):
    m = re.search(r"options \[([^\]]*)\]", line)
    return m.group(1) if m else ""


def shape(opts):
    return re.sub(r"\d+", "N", opts)


# ------------------------------------------------------------- the cases

def case_ping_arp(ctx):
    """The driver answers ARP; the stack answers ICMP echo."""
    h = Host(ctx, SERVER_ARGS)
    try:
        mac = re.search(r"mac (\S+),", h.text()).group(1)
        if shutil.which("ping"):
            out = sh(f"ping -c 3 -i 0.2 -W 2 {SYNACK}")
            check(" 0% packet loss" in out, f"ping lost packets: {out}")
        else:
            socket.create_connection((SYNACK, 7), timeout=5).close()
        neigh = sh(f"ip neigh show {SYNACK} dev {TAP}")
        check(mac in neigh, f"Linux's ARP cache has '{neigh.strip()}', synack's MAC is {mac}")
    finally:
        h.stop()


def check_synack_syn_options(line, peer_has_all=True):
    opts = tcp_options(line)
    want = "mss N,sackOK,TS val N ecr N,nop,wscale N" if peer_has_all else "mss N"
    check(shape(opts) == want, f"synack's options [{opts}], expected the shape [{want}]: {line}")
    check("mss 1460" in opts, f"MSS is not 1460 (MTU 1500 - 40): {line}")


def case_handshake_linux_client(ctx):
    """H1, H4: Linux connects to synack; both offer MSS, SACK, TS, WS."""
    h = Host(ctx, SERVER_ARGS)
    cap = Capture(ctx, "hs-linux-client")
    try:
        s = connect(7)
        s.sendall(b"hello")
        check(s.recv(5) == b"hello", "echo came back wrong")
        s.close()
        lines = cap.stop()
    finally:
        h.stop()
    syn = [l for l in lines if f"> {SYNACK}.7:" in l and "Flags [S]," in l]
    sa = [l for l in lines if f"IP {SYNACK}.7 >" in l and "Flags [S.]" in l]
    check(syn and sa, f"no SYN / SYN-ACK in the capture: {lines[:4]}")
    check_synack_syn_options(sa[0])
    check(shape(tcp_options(syn[0])) == "mss N,sackOK,TS val N ecr N,nop,wscale N",
          f"Linux's SYN: {syn[0]}")
    ecr = re.search(r"ecr (\d+)", sa[0]).group(1)
    tsval = re.search(r"TS val (\d+)", syn[0]).group(1)
    check(ecr == tsval, f"synack's SYN-ACK echoes {ecr}, Linux sent TS val {tsval}")
    data = [l for l in lines if f"IP {SYNACK}.7 >" in l and "Flags [S" not in l]
    check(data and all("TS val" in l for l in data), f"synack's segments lack timestamps: {data}")
    log(f"    Linux SYN:      {tcp_options(syn[0])}\n    synack SYN-ACK: {tcp_options(sa[0])}")


def case_handshake_not_offered(ctx):
    """H4: what Linux does not offer, synack does not use."""
    knobs = ["tcp_timestamps", "tcp_sack", "tcp_window_scaling"]
    saved = {k: open(f"/proc/sys/net/ipv4/{k}").read().strip() for k in knobs}
    h = Host(ctx, SERVER_ARGS)
    cap = Capture(ctx, "hs-not-offered")
    try:
        for k in knobs:  # this namespace's own copies
            open(f"/proc/sys/net/ipv4/{k}", "w").write("0")
        s = connect(7)
        s.sendall(b"x" * 3000)
        got = b""
        while len(got) < 3000:
            got += s.recv(4096)
        s.close()
        lines = cap.stop()
    finally:
        for k, v in saved.items():
            open(f"/proc/sys/net/ipv4/{k}", "w").write(v)
        h.stop()
    sa = [l for l in lines if f"IP {SYNACK}.7 >" in l and "Flags [S.]" in l]
    check(sa, "no SYN-ACK captured")
    check_synack_syn_options(sa[0], peer_has_all=False)
    data = [l for l in lines if f"IP {SYNACK}.7 >" in l and "Flags [S" not in l]
    check(not any("TS val" in l for l in data), "synack sent timestamps the peer did not offer")


def case_handshake_synack_client(ctx):
    """H1, H4: synack connects to Linux; Linux's SYN-ACK answers in kind."""
    port = 5101
    f = os.path.join(ctx.tmp, "small")
    open(f, "wb").write(b"hello linux\n")
    srv = Server(port, lambda c: recv_all(c))
    cap = Capture(ctx, "hs-synack-client")
    h = Host(ctx, ["send", f"{LINUX}:{port}", f], wait_listen=False)
    try:
        check(h.wait_exit() == 0, f"synack send failed: {h.text()}")
        check(srv.join_result() == b"hello linux\n", "Linux received the wrong bytes")
        lines = cap.stop()
    finally:
        h.stop()
    syn = [l for l in lines if f"> {LINUX}.{port}:" in l and "Flags [S]," in l]
    sa = [l for l in lines if f"IP {LINUX}.{port} >" in l and "Flags [S.]" in l]
    check(syn and sa, "no SYN / SYN-ACK captured")
    check_synack_syn_options(syn[0])
    check(shape(tcp_options(sa[0])) == "mss N,sackOK,TS val N ecr N,nop,wscale N",
          f"Linux's SYN-ACK: {sa[0]}")
    log(f"    synack SYN:    {tcp_options(syn[0])}\n    Linux SYN-ACK: {tcp_options(sa[0])}")


def linux_sends(ctx, h, size, label):
    """Linux sends `size` random bytes to synack's discard service."""
    t = time.monotonic()
    s = connect(9)
    port = s.getsockname()[1]
    for c in chunks(size, size):
        s.sendall(c)
    s.shutdown(socket.SHUT_WR)
    check(recv_all(s) == b"", "discard sent data")
    secs = time.monotonic() - t
    s.close()
    m = h.wait_line(rf"discard from {LINUX}:{port}: done, (\d+) bytes in, 0 out, sha256 (\w+)")
    check(int(m.group(1)) == size, f"synack got {m.group(1)} bytes of {size}")
    check(m.group(2) == chunks_sha(size, size), "SHA-256 differs")
    ctx.figures[label] = size / secs / 1e6
    log(f"    {size} bytes Linux -> synack in {secs:.2f} s: {size / secs / 1e6:.1f} MB/s")


def synack_sends_http(ctx, size, label):
    """curl fetches /bytes/N from synack's HTTP server."""
    t = time.monotonic()
    p = subprocess.Popen(["curl", "-sS", "--max-time", "600", f"http://{SYNACK}/bytes/{size}"],
                         stdout=subprocess.PIPE)
    h, n, want = hashlib.sha256(), 0, hashlib.sha256()
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    check(p.wait() == 0, "curl failed")
    secs = time.monotonic() - t
    cycle = pattern(251 * 4096)  # whole cycles, so pieces join up
    for off in range(0, size, len(cycle)):
        want.update(cycle[:min(len(cycle), size - off)])
    check(n == size, f"curl got {n} bytes of {size}")
    check(h.hexdigest() == want.hexdigest(), "SHA-256 differs")
    ctx.figures[label] = size / secs / 1e6
    log(f"    {size} bytes synack -> Linux (curl) in {secs:.2f} s: {size / secs / 1e6:.1f} MB/s")


def case_transfer_linux_to_synack(ctx):
    """D1: a large stream from Linux, hashed on arrival."""
    h = Host(ctx, SERVER_ARGS)
    try:
        linux_sends(ctx, h, ctx.size, "Linux->synack (discard)")
    finally:
        h.stop()


def case_transfer_synack_to_linux(ctx):
    """D1: a large HTTP body from synack to curl."""
    h = Host(ctx, SERVER_ARGS)
    try:
        synack_sends_http(ctx, ctx.size, "synack->Linux (HTTP)")
    finally:
        h.stop()


def case_transfer_clients(ctx):
    """D1: synack as the client: `send` a file to Linux, `recv` one from it."""
    size = ctx.size
    f = os.path.join(ctx.tmp, "payload")
    write_file(f, size, 7)
    digest = chunks_sha(size, 7)

    def receiver(c):
        t = time.monotonic()
        n, d = recv_hash(c)
        secs = time.monotonic() - t
        c.sendall(f"{n} {d}\n".encode())
        return n, d, secs
    srv = Server(5102, receiver)
    h = Host(ctx, ["send", f"{LINUX}:5102", f], wait_listen=False)
    check(h.wait_exit(600) == 0, f"synack send failed: {h.text()[-600:]}")
    n, got, secs = srv.join_result()
    os.unlink(f)
    check(n == size and got == digest, "Linux received other bytes than synack sent")
    check(f"peer says: {size} {digest}" in h.text(), "synack did not read the reply after its FIN")
    h.stop()
    ctx.figures["synack->Linux (send)"] = size / secs / 1e6
    log(f"    send: {size} bytes synack -> Linux: {size / secs / 1e6:.1f} MB/s")

    def sender(c):
        for piece in chunks(size, 8):
            c.sendall(piece)
    srv = Server(5103, sender)
    t = time.monotonic()
    h = Host(ctx, ["recv", f"{LINUX}:5103"], wait_listen=False)
    check(h.wait_exit(600) == 0, f"synack recv failed: {h.text()[-600:]}")
    secs = time.monotonic() - t
    srv.join_result()
    m = re.search(r"recv to .*: done, (\d+) bytes in, 0 out, sha256 (\w+)", h.text())
    check(m and int(m.group(1)) == size and m.group(2) == chunks_sha(size, 8),
          f"recv: {h.text()[-400:]}")
    h.stop()
    ctx.figures["Linux->synack (recv)"] = size / secs / 1e6
    log(f"    recv: {size} bytes Linux -> synack: {size / secs / 1e6:.1f} MB/s")


def impairment():
    """netem on Linux's side when the kernel has it; else synack's driver
    drops 1% of frames each way. Returns (synack args, description)."""
    r = subprocess.run(["tc", "qdisc", "add", "dev", TAP, "root", "netem", "loss", "1%",
                        "delay", "1ms", "reorder", "25%", "50%"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode == 0:
        return [], "netem on sk0: loss 1%, delay 1 ms, reorder 25%"
    return (["--loss", "1%"], "netem is not in this kernel (" + r.stdout.strip() +
            "): synack's driver drops 1% of frames in each direction instead (--loss 1%)")


def case_transfer_lossy(ctx):
    """D1, D4: both directions with loss (and reordering under netem)."""
    args, what = impairment()
    log(f"    {what}")
    h = Host(ctx, args + SERVER_ARGS)
    try:
        linux_sends(ctx, h, ctx.lossy_size, "Linux->synack, 1% loss")
        synack_sends_http(ctx, ctx.lossy_size, "synack->Linux, 1% loss")
        _, counters = h.listing()
        log(f"    synack RetransSegs {counters.get('RetransSegs', 0)}, "
            f"TCPTimeouts {counters.get('TCPTimeouts', 0)}, "
            f"TCPOFOQueue {counters.get('TCPOFOQueue', 0)}")
    finally:
        subprocess.run(["tc", "qdisc", "del", "dev", TAP, "root"], stderr=subprocess.DEVNULL)
        h.stop()


def case_half_close_linux(ctx):
    """C2: Linux shuts down its sending side; synack still sends (echo)."""
    h = Host(ctx, SERVER_ARGS)
    try:
        data = random.Random(3).randbytes(1 << 20)
        s = connect(7)

        def writer():
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        w = threading.Thread(target=writer)
        w.start()
        got = recv_all(s)
        w.join()
        s.close()
        check(got == data, f"echo returned {len(got)} bytes, other than sent")
    finally:
        h.stop()


def case_half_close_synack(ctx):
    """C2: synack shuts down its sending side (send) and still receives."""
    f = os.path.join(ctx.tmp, "half")
    data = random.Random(4).randbytes(200000)
    open(f, "wb").write(data)

    def server(c):
        d = recv_all(c)  # synack's FIN ends this
        time.sleep(0.3)  # synack sits in FIN-WAIT-2 meanwhile
        c.sendall(f"{len(d)} {sha(d)}\n".encode())
    srv = Server(5104, server)
    h = Host(ctx, ["send", f"{LINUX}:5104", f], wait_listen=False)
    check(h.wait_exit() == 0, f"send failed: {h.text()[-500:]}")
    srv.join_result()
    check(f"peer says: {len(data)} {sha(data)}" in h.text(), f"no reply read: {h.text()[-500:]}")
    h.stop()


def case_reset_unread_synack(ctx):
    """C11: synack closes with unread data: Linux sees ECONNRESET."""
    h = Host(ctx, SERVER_ARGS)
    s = connect(10)  # hold: never reads
    s.sendall(b"unread" * 100)
    time.sleep(0.2)
    h.stop()  # SIGTERM: every socket is closed
    try:
        s.settimeout(5)
        got = s.recv(100)
        raise Failure(f"Linux read {got!r}, expected ECONNRESET")
    except ConnectionResetError:
        pass
    finally:
        s.close()


def case_reset_unread_linux(ctx):
    """C11, R3: Linux closes with unread data: synack's writes fail."""
    f = os.path.join(ctx.tmp, "big")
    open(f, "wb").write(random.Random(5).randbytes(8 << 20))

    def rude(c):
        c.recv(1, socket.MSG_PEEK)  # data has come, and stays unread
        time.sleep(0.1)
    srv = Server(5105, rude)
    h = Host(ctx, ["send", f"{LINUX}:5105", f], wait_listen=False)
    check(h.wait_exit() == 1, "synack send should fail")
    srv.join_result()
    check(re.search(r"send to .*: error (ECONNRESET|EPIPE)", h.text()), f"{h.text()[-500:]}")
    h.stop()


def case_refused(ctx):
    """H12, R4: closed ports refuse, both ways, with ECONNREFUSED."""
    h = Host(ctx, SERVER_ARGS)
    try:
        try:
            connect(11).close()
            raise Failure("Linux connected to a closed synack port")
        except ConnectionRefusedError:
            pass
    finally:
        h.stop()
    h = Host(ctx, ["recv", f"{LINUX}:12"], wait_listen=False)
    check(h.wait_exit() == 1, "synack recv from a closed port should fail")
    check("connect: ECONNREFUSED" in h.text(), h.text()[-300:])
    h.stop()


def case_unreachable(ctx):
    """ARP fails (no such neighbour): EHOSTUNREACH after 3 requests, ~3 s,
    as Linux; no route: ENETUNREACH."""
    t = time.monotonic()
    h = Host(ctx, ["recv", "10.77.0.99:80"], wait_listen=False)
    check(h.wait_exit(20) == 1, "connect to a missing neighbour should fail")
    secs = time.monotonic() - t
    check("connect: EHOSTUNREACH" in h.text(), h.text()[-300:])
    check(2.5 < secs < 5, f"EHOSTUNREACH after {secs:.1f} s, Linux takes ~3 s")
    h.stop()
    h = Host(ctx, ["recv", "192.0.2.1:80"], wait_listen=False)  # never leaves: no route
    check(h.wait_exit(10) == 1, "connect off-link without a gateway should fail")
    check("connect: ENETUNREACH" in h.text(), h.text()[-300:])
    h.stop()


def case_keepalive_timeout(ctx):
    """A7: keepalive against a Linux peer that is cut off (link down):
    ETIMEDOUT at idle + probes x interval after the last segment."""
    idle, intvl, cnt = 2, 1, 3
    h = Host(ctx, ["--keepalive", "--set", f"tcp_keepalive_time={idle}", "--set",
                   f"tcp_keepalive_intvl={intvl}", "--set", f"tcp_keepalive_probes={cnt}", "echo:7"])
    try:
        s = connect(7)
        s.sendall(b"k")
        check(s.recv(1) == b"k", "echo")
        port = s.getsockname()[1]
        time.sleep(idle + 0.5)  # one probe went out and Linux answered it
        rows, counters = h.listing()
        check(counters.get("TCPKeepAlive", 0) >= 1, f"no keepalive probe: {counters}")
        row = [r for r in rows if r[4] == f"{LINUX}:{port}"]
        check(row and row[0][0] == "ESTAB" and "keepalive" in " ".join(row[0]),
              f"listing: {row}")
        answered = t0 = time.monotonic() - 0.5  # Linux's answer to the probe
        sh(f"ip link set {TAP} down")
        m = h.wait_line(rf"^(\d+\.\d+) echo from {LINUX}:{port}: error ETIMEDOUT", 30)
        took = float(m.group(1)) - answered
        want = idle + cnt * intvl
        log(f"    ETIMEDOUT {took:.2f} s after the last answer (configured: {want} s)")
        check(abs(took - want) < 0.6, f"ETIMEDOUT after {took:.2f} s, expected {want} s")
        _, counters = h.listing()
        check(counters.get("TCPAbortOnTimeout") == 1, f"counters: {counters}")
        del t0
    finally:
        sh(f"ip link set {TAP} up")
        h.stop()


def case_keepalive_answered(ctx):
    """A7: synack answers Linux's keepalive probes; the connection lives."""
    h = Host(ctx, SERVER_ARGS)
    try:
        s = connect(7)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)
        s.sendall(b"a")
        check(s.recv(1) == b"a", "echo")
        time.sleep(4)  # unanswered, Linux would give up after 3 s
        s.sendall(b"b")
        check(s.recv(1) == b"b", "the connection died although synack answered the probes")
        s.close()
    finally:
        h.stop()


def case_http_sequential(ctx):
    """1,000 keep-alive requests in a row from curl, on one connection."""
    h = Host(ctx, SERVER_ARGS)
    try:
        out = sh(f"curl -sS -o /dev/null -w '%{{http_code}} %{{num_connects}}\\n' "
                 f"'http://{SYNACK}/?n=[1-1000]'", timeout=120)
        lines = out.split("\n")[:-1]
        check(len(lines) == 1000, f"{len(lines)} responses")
        check(all(l.split()[0] == "200" for l in lines), "a response was not 200")
        conns = sum(int(l.split()[1]) for l in lines)
        check(conns == 1, f"curl made {conns} connections, keep-alive should need 1")
    finally:
        h.stop()


def case_http_concurrent(ctx):
    """100 concurrent keep-alive clients (ab, wrk, or curl --parallel)."""
    h = Host(ctx, SERVER_ARGS)
    try:
        if shutil.which("ab"):
            out = sh(f"ab -q -n 5000 -c 100 -k http://{SYNACK}/", timeout=120)
            check(re.search(r"Complete requests:\s+5000", out), out)
            check(re.search(r"Failed requests:\s+0", out), out)
            check("Non-2xx" not in out, out)
            check(re.search(r"Keep-Alive requests:\s+5000", out), out)
            rps = re.search(r"Requests per second:\s+([\d.]+)", out).group(1)
            ctx.figures["ab -c 100 -k requests/s"] = float(rps)
            log(f"    ab: 5000 requests, 100 concurrent, keep-alive: {rps} requests/s")
        else:
            out = sh(f"curl -sS --parallel --parallel-max 100 -o /dev/null -w '%{{http_code}}\\n' "
                     f"'http://{SYNACK}/?n=[1-1000]'", timeout=120)
            check(out.split().count("200") == 1000, "curl --parallel: not all 200")
        if shutil.which("wrk"):
            out = sh(f"wrk -t 2 -c 100 -d 3s http://{SYNACK}/", timeout=60)
            check("Socket errors" not in out and "Non-2xx" not in out, out)
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
            ctx.figures["wrk -c 100 requests/s"] = float(rps)
            log(f"    wrk: 100 connections, 3 s: {rps} requests/s")
        rows, _ = h.listing()
        live = [r for r in rows if r[0] not in ("LISTEN", "TIME-WAIT")]
        check(not live, f"connections left behind: {live}")
    finally:
        h.stop()


def compare_states(h, pairs):
    """For each (linux_port, synack_port, synack_state, linux_state), the two
    listings agree: synack's row (or None: no row) and Linux's `ss -tan`."""
    rows, _ = h.listing()
    lrows = linux_ss()
    for lport, sport, want_synack, want_linux in pairs:
        srow = find_row(rows, f"{SYNACK}:{sport}", f"{LINUX}:{lport}")
        lrow = find_row(lrows, f"{LINUX}:{lport}", f"{SYNACK}:{sport}")
        got_s = srow[0] if srow else None
        got_l = lrow[0] if lrow else None
        log(f"    {LINUX}:{lport} <-> {SYNACK}:{sport}: Linux {got_l or '-':<11} "
            f"synack {got_s or '-'}")
        check(got_s == want_synack and got_l == want_linux,
              f"expected Linux {want_linux}, synack {want_synack}; got {got_l}, {got_s}")


def case_states_synack_server(ctx):
    """C1, C2, C13, O1: the same connections, as Linux's ss and synack's
    listing show them: ESTAB/ESTAB, FIN-WAIT-2/CLOSE-WAIT, TIME-WAIT on the
    active closer (either side)."""
    h = Host(ctx, SERVER_ARGS)
    try:
        a = connect(7)                    # stays established
        b = connect(10)                   # hold: Linux half-closes, synack never closes
        b.shutdown(socket.SHUT_WR)
        c = connect(7)                    # Linux closes first: TIME-WAIT on Linux
        c.shutdown(socket.SHUT_WR)
        check(recv_all(c) == b"", "echo")
        cport = c.getsockname()[1]
        c.close()
        d = connect(80)                   # synack closes first: TIME-WAIT on synack
        d.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(recv_all(d).startswith(b"HTTP/1.1 200"), "HTTP")  # to synack's FIN
        dport = d.getsockname()[1]
        d.close()                         # after the FIN: no simultaneous close
        time.sleep(0.3)
        compare_states(h, [
            (a.getsockname()[1], 7, "ESTAB", "ESTAB"),
            (b.getsockname()[1], 10, "CLOSE-WAIT", "FIN-WAIT-2"),
            (cport, 7, None, "TIME-WAIT"),
            (dport, 80, "TIME-WAIT", None),
        ])
        a.close()
        b.close()
    finally:
        h.stop()


def case_states_synack_client(ctx):
    """C1, C2: synack half-closes as a client: FIN-WAIT-2 on synack,
    CLOSE-WAIT on Linux, until Linux closes."""
    f = os.path.join(ctx.tmp, "tiny")
    open(f, "wb").write(b"x" * 1000)
    go = threading.Event()

    def server(c):
        recv_all(c)
        go.wait(20)
        c.sendall(b"bye\n")
    srv = Server(5106, server)
    h = Host(ctx, ["send", f"{LINUX}:5106", f], wait_listen=False)
    try:
        wait_for(lambda: "connected" in h.text(), 10, "the connection")
        time.sleep(0.3)
        rows, _ = h.listing()
        row = [r for r in rows if r[4] == f"{LINUX}:5106"]
        check(row, f"no row: {rows}")
        sport = row[0][3].split(":")[1]
        compare_states(h, [(5106, sport, "FIN-WAIT-2", "CLOSE-WAIT")])
    finally:
        go.set()
    check(h.wait_exit() == 0, h.text()[-400:])
    srv.join_result()
    h.stop()


CASES = [
    case_ping_arp,
    case_handshake_linux_client,
    case_handshake_synack_client,
    case_handshake_not_offered,
    case_transfer_linux_to_synack,
    case_transfer_synack_to_linux,
    case_transfer_clients,
    case_transfer_lossy,
    case_half_close_linux,
    case_half_close_synack,
    case_reset_unread_synack,
    case_reset_unread_linux,
    case_refused,
    case_unreachable,
    case_keepalive_answered,
    case_keepalive_timeout,
    case_http_sequential,
    case_http_concurrent,
    case_states_synack_server,
    case_states_synack_client,
]


def run_case(ctx, case):
    name = case.__name__[5:]
    log(f"--- {name}: {case.__doc__.splitlines()[0]}")
    t = time.monotonic()
    try:
        case(ctx)
        log(f"PASS {name} ({time.monotonic() - t:.1f} s)")
        return True
    except (Failure, OSError, subprocess.SubprocessError) as e:
        log(f"FAIL {name}: {e}")
        return False
    finally:
        # Whatever a case left running ends here; the TAP device is free.
        for p in list(Host.live):
            p.kill()


def inside(args):
    ctx = Ctx(args)
    cases = CASES
    if args.only:
        cases = [c for c in CASES if c.__name__[5:] in args.only.split(",")]
    if args.bench:
        cases = [case_transfer_linux_to_synack, case_transfer_synack_to_linux,
                 case_transfer_clients, case_http_concurrent]
    log(f"synack interop: {args.synack}, transfers of {ctx.size} bytes "
        f"({ctx.lossy_size} with loss), logs in {ctx.tmp}")
    passed = failed = 0
    for case in cases:
        if run_case(ctx, case):
            passed += 1
        else:
            failed += 1
    if ctx.figures:
        log("--- figures (MTU 1500, Linux peer over TAP)")
        for k, v in ctx.figures.items():
            log(f"    {k:<28} {v:10.1f}" + ("" if "requests" in k else " MB/s"))
    if args.keep_logs:
        shutil.copytree(ctx.tmp, args.keep_logs, dirs_exist_ok=True)
    if not failed:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    log(f"interop: {passed} passed, {failed} failed")
    return 1 if failed else 0


def size_arg(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s)
    if not m:
        raise argparse.ArgumentTypeError("a size like 64M")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--synack", required=True, help="the synack binary")
    ap.add_argument("--size", type=size_arg, default=64 << 20, help="transfer size (64M)")
    ap.add_argument("--lossy-size", type=size_arg, default=4 << 20,
                    help="transfer size with loss (4M)")
    ap.add_argument("--only", help="run these cases (comma-separated names)")
    ap.add_argument("--bench", action="store_true", help="throughput figures only")
    ap.add_argument("--keep-logs", help="copy the logs and captures here")
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        return inside(args)
    return outside(args)


if __name__ == "__main__":
    sys.exit(main())
