#!/usr/bin/env python3
"""Ingress headline: POST /v1/intents?wait=true on a Troupe node (local model at 0 ms, H2 journal)
against a bare Pekko HTTP endpoint that answers a constant JSON, both under wrk, at 1, 64 and
1,024 connections. Reports requests/s, their ratio, and p50 / p99 / p99.9 (wrk's HdrHistogram).

  bin/bench ingress [--seconds 15] [--warmup 15] [--connections 1,64,1024] [--accept]

--accept: POST /v1/intents without waiting (202 once the intent is journaled; its run goes on in the
background), instead of ?wait=true. The bare endpoint answers the same way in both.

(bin/bench passes --cp and --node-jar.) Prints progress; writes ingress.json and ingress.md.
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_drill as drill  # noqa: E402
from overload_bench import ensure  # noqa: E402

LUA = os.path.join(drill.ROOT, "scripts", "wrk", "post_intents.lua")
WRK_ENV = dict(os.environ, TROUPE_WRK_PATH="/v1/intents?wait=true", TROUPE_WRK_PREFIX="in", TROUPE_WRK_SESSIONS="5000")


def wrk(url, connections, seconds):
    """wrk's result; okPerSecond counts 200 and 202 answers."""
    threads = str(min(2, connections))
    out = subprocess.run(["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds}s", "--timeout", "20s",
                          "-s", LUA, url], env=WRK_ENV, capture_output=True, text=True).stdout
    line = next((l for l in out.splitlines() if l.startswith("WRK_RESULT ")), None)
    if line is None:
        raise SystemExit("wrk gave no result:\n" + out)
    r = json.loads(line[len("WRK_RESULT "):])
    ok = r["statuses"].get("200", 0) + r["statuses"].get("202", 0)
    r["okPerSecond"] = round(ok / r["seconds"], 1)
    return r


def wait_up(url, proc, log_path, path):
    end = time.time() + 120
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("a server exited:\n" + open(log_path).read()[-3000:])
        status, _ = drill.http("GET", url + path, timeout=2)
        if status is not None and status < 500:
            return
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cp", required=True)
    ap.add_argument("--node-jar", required=True)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("--connections", default="1,64,1024")
    ap.add_argument("--out", default=os.path.join(drill.ROOT, "modules", "troupe-bench", "results"))
    ap.add_argument("--accept", action="store_true", help="POST /v1/intents (202), not ?wait=true")
    args = ap.parse_args()
    mode = "accept" if args.accept else "wait"
    WRK_ENV["TROUPE_WRK_PATH"] = "/v1/intents" if args.accept else "/v1/intents?wait=true"
    ensure("wrk", "wrk")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="troupe-ingress-")
    bare_port, node_port = drill.free_port(), drill.free_port()
    bare_log, node_log = os.path.join(work, "bare.log"), os.path.join(work, "node.log")
    bare = subprocess.Popen(["java", "-Xmx512m", "-Dlogback.configurationFile=logback-bench.xml", "-cp", args.cp,
                             "io.troupe.bench.BenchMain", "bare-http", "--port", str(bare_port)],
                            stdout=open(bare_log, "w"), stderr=subprocess.STDOUT)
    env = dict(os.environ, TROUPE_LOCAL_LATENCY_MS="0", TROUPE_EMBEDDER="hashing")
    node = subprocess.Popen(["java", "-Xmx1g", "-Dtroupe.http.limits.max-intents-in-flight=0", "-jar", args.node_jar,
                             "run", "--port", str(node_port), "--data-dir", os.path.join(work, "data")],
                            env=env, stdout=open(node_log, "w"), stderr=subprocess.STDOUT)
    targets = {"bare": f"http://127.0.0.1:{bare_port}", "troupe": f"http://127.0.0.1:{node_port}"}
    rows = []
    try:
        wait_up(targets["bare"], bare, bare_log, "/v1/intents")
        wait_up(targets["troupe"], node, node_log, "/health/ready")
        for name, url in targets.items():
            drill.log(f"warming up {name} for {args.warmup} s at 64 connections")
            wrk(url, 64, args.warmup)
        for c in [int(x) for x in args.connections.split(",")]:
            row = {"connections": c}
            for name, url in targets.items():
                drill.log(f"{name}: {c} connections, {args.seconds} s")
                row[name] = wrk(url, c, args.seconds)
                drill.log(f"  {name}: {row[name]['okPerSecond']} ok/s, p50 {row[name]['p50ms']:.1f} ms, "
                          f"p99 {row[name]['p99ms']:.1f} ms, p99.9 {row[name]['p999ms']:.1f} ms, statuses {row[name]['statuses']}")
            row["ratio"] = round(row["troupe"]["okPerSecond"] / row["bare"]["okPerSecond"], 3) if row["bare"]["okPerSecond"] else None
            rows.append(row)
    finally:
        for p in (bare, node):
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
    with open(os.path.join(args.out, f"ingress-{mode}.json"), "w") as f:
        json.dump(rows, f, indent=2)
    what = "202, accepted" if args.accept else "`wait=true`"
    md = [f"| connections | bare Pekko HTTP req/s | Troupe intents/s ({what}) | ratio | bare p50 / p99 / p99.9 ms | Troupe p50 / p99 / p99.9 ms |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        b, t = r["bare"], r["troupe"]
        md.append(f"| {r['connections']:,} | {b['okPerSecond']:,} | {t['okPerSecond']:,} | {r['ratio']} | "
                  f"{b['p50ms']:.1f} / {b['p99ms']:.1f} / {b['p999ms']:.1f} | {t['p50ms']:.1f} / {t['p99ms']:.1f} / {t['p999ms']:.1f} |")
    open(os.path.join(args.out, f"ingress-{mode}.md"), "w").write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
