#!/usr/bin/env python3
"""Runs Linux's packetdrill scripts against libsynack-packetdrill.so.

packetdrill itself is not part of synack: build it from its public
repository (docs/conformance.md says how) and point this at the binary and
at the repository's gtests/net directory. Nothing here builds it.

For each script of the list (PACKETDRILL.md §3), in a private copy of the
test tree:
  * common/defaults.sh becomes a stub that exits 0 (it writes sysctls and
    runs `tc` on tun0, which does not exist in so-mode);
  * `%{ ... }%` code events (they read TCP_INFO through the host's
    getsockopt, which cannot see synack) become a `true` shell event at the
    same time, and the scripts' own sysctl, set_sysctls.py and
    /tmp/sysctl_restore_* shell lines become `true`: their knobs travel in
    --so_flags instead;
then packetdrill runs it inside `unshare -n` (root needed: packetdrill
calls mlockall) from the script's own directory, with a timeout.

Prints one line per script and the total time; exit status 0 if all passed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

LOCAL_IP = "192.168.0.2"

# (path under gtests/net/tcp, extra --so_flags from the script's sysctls)
SCRIPTS = [
    ("blocking/blocking-accept.pkt", ""),
    ("blocking/blocking-connect.pkt", ""),
    ("blocking/blocking-read.pkt", ""),
    ("blocking/blocking-write.pkt", "tcp_min_tso_segs=10"),
    ("mss/mss-getsockopt-tcp_maxseg-server.pkt", ""),
    ("mss/mss-setsockopt-tcp_maxseg-client.pkt", ""),
    ("mss/mss-setsockopt-tcp_maxseg-server.pkt", ""),
    ("close/close-local-close-then-remote-fin.pkt", ""),
    ("close/close-on-syn-sent.pkt", ""),
    ("close/close-remote-fin-then-close.pkt", ""),
    ("shutdown/shutdown-rd-close.pkt", ""),
    ("shutdown/shutdown-rd-wr-close.pkt", ""),
    ("shutdown/shutdown-rdwr-close.pkt", ""),
    ("shutdown/shutdown-wr-close.pkt", ""),
    ("shutdown/shutdown-rdwr-write-queue-close.pkt", ""),
    ("shutdown/shutdown-rdwr-send-queue-ack-close.pkt", ""),
    ("ts_recent/reset_tsval.pkt", ""),
    ("ts_recent/fin_tsval.pkt", ""),
    ("ts_recent/invalid_ack.pkt", ""),
    ("validate/validate-established-no-flags.pkt", ""),
    ("ioctl/ioctl-siocinq-fin.pkt", ""),
    ("user_timeout/user_timeout.pkt", ""),
    ("syscall_bad_arg/syscall-invalid-buf-ptr.pkt", ""),
    ("syscall_bad_arg/sendmsg-empty-iov.pkt", ""),
    ("epoll/epoll_in_edge.pkt", ""),
    ("inq/server.pkt", ""),
    ("inq/client.pkt", ""),
    ("notsent_lowat/notsent-lowat-setsockopt.pkt", ""),
    ("notsent_lowat/notsent-lowat-sysctl.pkt", "tcp_notsent_lowat=4000"),
    ("nagle/sockopt_cork_nodelay.pkt", ""),
    ("nagle/sendmsg_msg_more.pkt", ""),
    ("nagle/https_client.pkt", "tcp_timestamps=0"),
    ("eor/no-coalesce-small.pkt", ""),
    ("eor/no-coalesce-large.pkt", ""),
    ("eor/no-coalesce-subsequent.pkt", ""),
    ("eor/no-coalesce-retrans.pkt", ""),
    ("fast_retransmit/fr-4pkt.pkt", ""),
    ("fast_retransmit/fr-4pkt-sack.pkt", ""),
    ("fast_recovery/prr-ss-ack-below-snd_una-cubic.pkt", ""),
    ("ecn/ecn-uses-ect0.pkt", "tcp_ecn=1"),
]

KNOB_LINE = re.compile(r"sysctl|set_sysctls\.py|sysctl_restore_")


def rewrite(text):
    """The documented replacements, nothing else."""
    # %{ ... }% code events (possibly several lines) -> a no-op shell event
    text = re.sub(r"%\{.*?\}%", "`true`", text, flags=re.S)

    def shell(m):
        lines = m.group(1).split("\n")
        lines = ["true" if KNOB_LINE.search(l) else l for l in lines]
        return "`" + "\n".join(lines) + "`"

    return re.sub(r"`([^`]*)`", shell, text)


def prepare(net_dir, work):
    tree = os.path.join(work, "net")
    shutil.copytree(net_dir, tree, symlinks=True)
    stub = "#!/bin/sh\n# so-mode: the knobs travel in --so_flags\nexit 0\n"
    for d in ("common", "tcp/common"):
        path = os.path.join(tree, d, "defaults.sh")
        if os.path.lexists(path):
            os.remove(path)  # the link itself, not its target
        with open(path, "w") as f:
            f.write(stub)
        os.chmod(path, 0o755)
    for rel, _ in SCRIPTS:
        path = os.path.join(tree, "tcp", rel)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(rewrite(text))
    return os.path.join(tree, "tcp")


def last_error(out):
    """packetdrill's own verdict: the script:line error, else the last line."""
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    for l in lines:
        if ".pkt:" in l and ("error" in l or "warning" in l):
            return l
    for l in lines:
        if l.startswith("synack-packetdrill:"):
            return l
    return lines[-1] if lines else ""


def run_one(args, tcp_dir, rel, flags):
    so_flags = "local_ip=" + LOCAL_IP + ("," + flags if flags else "")
    cmd = ["timeout", str(args.timeout), "unshare", "-n", args.packetdrill,
           "--so_filename=" + args.so, "--so_flags=" + so_flags,
           "--ip_version=ipv4", "--local_ip=" + LOCAL_IP,
           os.path.basename(rel)]
    if args.verbose:
        cmd.insert(cmd.index(args.packetdrill) + 1, "-v")
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=os.path.join(tcp_dir, os.path.dirname(rel)),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    dt = time.monotonic() - t0
    return p.returncode, dt, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--packetdrill", required=True, help="the packetdrill binary")
    ap.add_argument("--net", required=True, help="packetdrill's gtests/net directory")
    ap.add_argument("--so", required=True, help="libsynack-packetdrill.so")
    ap.add_argument("--only", action="append", help="run scripts whose path contains this")
    ap.add_argument("--timeout", type=int, default=30)
    ap.add_argument("--verbose", "-v", action="store_true", help="packetdrill -v, full output")
    args = ap.parse_args()
    args.so = os.path.abspath(args.so)
    args.packetdrill = os.path.abspath(args.packetdrill)
    scripts = [s for s in SCRIPTS if not args.only or any(o in s[0] for o in args.only)]
    passed = 0
    t_all = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="synack-pd-") as work:
        tcp_dir = prepare(args.net, work)
        for rel, flags in scripts:
            rc, dt, out = run_one(args, tcp_dir, rel, flags)
            ok = rc == 0
            passed += ok
            why = "" if ok else ("timeout" if rc == 124 else last_error(out))
            print("%-50s %-4s %6.2fs  %s" % (rel, "pass" if ok else "FAIL", dt, why), flush=True)
            if args.verbose:
                print(out)
    print("%d/%d passed in %.2fs" % (passed, len(scripts), time.monotonic() - t_all))
    return 0 if passed == len(scripts) else 1


if __name__ == "__main__":
    sys.exit(main())
