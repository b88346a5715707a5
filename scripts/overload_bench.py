#!/usr/bin/env python3
"""Overload: one node at ten times its capacity. The node sheds what it cannot hold with 503 and
Retry-After; its heap must stay bounded, every intent it admitted must finish, and /health/live must
answer throughout.

  python3 scripts/overload_bench.py [--seconds 30] [--connections 256] [--max-in-flight 400]

Runs the node jar (H2 journal, local model with --latency-ms), drives POST /v1/intents with wrk
(installed from Debian's packages when missing) and scripts/wrk/post_intents.lua, samples the heap
with jstat and /health/live every 100 ms, then checks that every admitted intent ended. Prints
progress; writes overload.json, overload.md and overload.png (gnuplot) under --out.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_drill as drill  # noqa: E402  (node process helpers)


def ensure(tool, package):
    if shutil.which(tool) is None:
        drill.log(f"installing {package} (apt-get)")
        subprocess.run(["apt-get", "install", "-y", "-q", package], check=True, stdout=subprocess.DEVNULL)


def heap_used_mib(pid):
    out = subprocess.run(["jstat", "-gc", str(pid)], capture_output=True, text=True).stdout.split("\n")
    if len(out) < 2:
        return None
    cols = dict(zip(out[0].split(), out[1].split()))
    return sum(float(cols[k]) for k in ("S0U", "S1U", "EU", "OU")) / 1024


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sessions", type=int, default=500, help="sessions per wrk thread")
    ap.add_argument("--max-in-flight", type=int, default=400)
    ap.add_argument("--latency-ms", type=int, default=300)
    ap.add_argument("--xmx", default="512m")
    ap.add_argument("--out", default=os.path.join(drill.ROOT, "modules", "troupe-bench", "results"))
    args = ap.parse_args()
    ensure("wrk", "wrk")
    os.makedirs(args.out, exist_ok=True)

    workdir = tempfile.mkdtemp(prefix="troupe-overload-")
    port = drill.free_port()
    log_path = os.path.join(workdir, "node.log")
    env = dict(os.environ, TROUPE_LOCAL_LATENCY_MS=str(args.latency_ms), TROUPE_EMBEDDER="hashing")
    cmd = ["java", f"-Xmx{args.xmx}", f"-Dtroupe.http.limits.max-intents-in-flight={args.max_in_flight}",
           "-jar", drill.JAR, "run", "--port", str(port), "--data-dir", os.path.join(workdir, "data")]
    node = subprocess.Popen(cmd, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    samples, probes = [], []
    stop = threading.Event()
    try:
        end = time.time() + 120
        while time.time() < end and drill.http("GET", url + "/health/ready", timeout=2)[0] != 200:
            if node.poll() is not None:
                raise SystemExit("the node exited:\n" + open(log_path).read()[-3000:])
            time.sleep(0.5)
        drill.log(f"node ready on {url} (max in flight {args.max_in_flight}, model latency {args.latency_ms} ms)")

        t0 = time.time()

        def sample():
            while not stop.is_set():
                samples.append((time.time() - t0, heap_used_mib(node.pid), rss_mib(node.pid)))
                stop.wait(0.5)

        def probe():
            while not stop.is_set():
                started = time.time()
                status, _ = drill.http("GET", url + "/health/live", timeout=2)
                probes.append((started - t0, status, (time.time() - started) * 1000))
                stop.wait(0.1)

        for target in (sample, probe):
            threading.Thread(target=target, daemon=True).start()
        drill.log(f"wrk: {args.connections} connections, {args.seconds} s")
        wrk = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.seconds}s",
                              "--timeout", "10s", "-s", os.path.join(drill.ROOT, "scripts", "wrk", "post_intents.lua"),
                              url], env=dict(os.environ, TROUPE_WRK_SESSIONS=str(args.sessions)),
                             capture_output=True, text=True)
        line = next((l for l in wrk.stdout.splitlines() if l.startswith("WRK_RESULT ")), None)
        if line is None:
            raise SystemExit("wrk gave no result:\n" + wrk.stdout + wrk.stderr)
        load = json.loads(line[len("WRK_RESULT "):])
        accepted = load["statuses"].get("202", 0)
        shed = load["statuses"].get("503", 0)
        drill.log(f"wrk: {load['requests']} requests, {accepted} accepted (202), {shed} shed (503), others "
                  f"{ {k: v for k, v in load['statuses'].items() if k not in ('202', '503')} }")

        # Every admitted intent ends: ids are <session>.<n>, in order, per session.
        drill.log("draining: waiting until every admitted intent has ended")
        terminal, deadline = 0, time.time() + 300
        sessions = [f"ov-{t}-{k}" for t in range(1, args.threads + 1) for k in range(args.sessions)]
        next_n = {s: 1 for s in sessions}
        open_sessions = set(sessions)
        while open_sessions and time.time() < deadline:
            for s in sorted(open_sessions):
                while True:
                    status, body = drill.http("GET", f"{url}/v1/intents/{s}.{next_n[s]}", timeout=10)
                    if status == 404:
                        open_sessions.discard(s)
                        break
                    if status != 200 or json.loads(body)["status"] not in drill.TERMINAL:
                        break
                    terminal += 1
                    next_n[s] += 1
            drill.log(f"  {terminal}/{accepted} admitted intents ended")
            if open_sessions:
                time.sleep(1)
        stop.set()
        drained = time.time() - t0

        heap = [h for _, h, _ in samples if h is not None]
        rss = [r for _, _, r in samples if r is not None]
        live = [p for p in probes if p[0] <= args.seconds]
        failed = [p for p in live if p[1] != 200]
        # Capacity: the intents the node admitted (and then finished) per second while flooded. wrk's own
        # count of 202s misses the answers still in flight or timed out when it stops.
        capacity = terminal / load["seconds"] if load["seconds"] else 0
        offered = load["requests"] / load["seconds"] if load["seconds"] else 0
        figures = {
            "maxInFlight": args.max_in_flight, "latencyMs": args.latency_ms, "connections": args.connections,
            "requests": load["requests"], "accepted": accepted, "shed": shed, "statuses": load["statuses"],
            "offeredPerSecond": round(offered, 1), "admittedPerSecond": round(capacity, 1),
            "offeredOverCapacity": round(offered / capacity, 1) if capacity else None,
            "acceptedEnded": terminal, "drainSeconds": round(drained, 1),
            "peakHeapMiB": round(max(heap), 1) if heap else None, "peakRssMiB": round(max(rss), 1) if rss else None,
            "xmx": args.xmx, "liveProbes": len(live), "liveFailures": len(failed),
            "liveMaxMs": round(max(p[2] for p in live), 1) if live else None,
            "p50ms": load["p50ms"], "p99ms": load["p99ms"]}
        print(json.dumps(figures))
        with open(os.path.join(args.out, "overload.json"), "w") as f:
            json.dump(figures, f, indent=2)
        md = ["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in figures.items() if k != "statuses"]
        open(os.path.join(args.out, "overload.md"), "w").write("\n".join(md) + "\n")
        plot(samples, probes, args, os.path.join(args.out, "overload.png"))
        ok = terminal >= accepted and not failed  # wrk misses the answers still in flight when it stops
        drill.log(("OK" if ok else "FAIL") + f": heap peak {figures['peakHeapMiB']} MiB of {args.xmx}, "
                  f"{terminal}/{accepted} admitted intents ended, /health/live failed {len(failed)}/{len(live)} times")
        if not ok:
            sys.exit(1)
    finally:
        stop.set()
        node.terminate()
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            node.kill()


def plot(samples, probes, args, png):
    try:
        ensure("gnuplot", "gnuplot-nox")
    except subprocess.CalledProcessError:
        drill.log("gnuplot is not available: no plot")
        return
    data = png + ".dat"
    with open(data, "w") as f:
        for t, h, r in samples:
            f.write(f"{t:.2f} {h or 0:.1f} {r or 0:.1f}\n")
    live = png + ".live.dat"
    with open(live, "w") as f:
        for t, status, ms in probes:
            f.write(f"{t:.2f} {ms:.1f} {1 if status == 200 else 0}\n")
    script = f"""
set terminal png size 900,520
set output '{png}'
set title 'One node at 10x capacity: heap and /health/live ({args.connections} connections, max {args.max_in_flight} in flight)'
set xlabel 'seconds'
set ylabel 'MiB'
set y2label '/health/live ms'
set y2tics
set ytics nomirror
set key top left
set arrow from {args.seconds},graph 0 to {args.seconds},graph 1 nohead dt 2
plot '{data}' using 1:2 with lines lw 2 title 'heap used', '{data}' using 1:3 with lines title 'RSS', \\
     '{live}' using 1:2 axes x1y2 with points pt 7 ps 0.4 title '/health/live latency'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)
    drill.log(f"plot: {png}")


if __name__ == "__main__":
    main()
