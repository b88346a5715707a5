#!/usr/bin/env python3
"""Connection storm: N clients connect to one node at the same moment and each sends one
POST /v1/intents. Every client must get an HTTP answer: 2xx, or 429/503 with Retry-After. None may
be refused, reset, closed without an answer, or left hanging; /health/live, probed every 100 ms on
connections of its own meanwhile, must answer 200 within 2 s every time (--probe management: Pekko
Management's /alive on its own port instead, which the storm's connections do not queue in).

  python3 scripts/connect_storm.py [--clients 1500] [--rounds 1] [--warmup 0] [--probe api|management]
                                   [--max-in-flight 10000] [--live-max-ms 2000] [--url URL]
  bin/bench storm [same options]

Without --url it starts the node jar (modules/troupe-node/target/troupe-node.jar: H2 journal, local
model with --latency-ms) on a free port and a fresh data directory, and stops it at the end. With
--max-in-flight lower than --clients the node must shed the rest with 503 and Retry-After. Exits
non-zero when any client got no answer, or an answer outside 2xx/429/503-with-Retry-After, or a
live probe failed or took longer than --live-max-ms. Writes the figures as JSON with --out.
Stdlib only (asyncio sockets, one thread for the probes).
"""
import argparse, asyncio, json, os, resource, shutil, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_drill as drill  # noqa: E402  (node process helpers)


def log(msg):
    print(f"storm {time.strftime('%H:%M:%S')}  {msg}", flush=True)


async def one_client(host, port, index, start, timeout, prefix):
    """Connects when `start` fires, sends one POST, reads the response head. Returns (outcome, retryAfter, ms)."""
    await start.wait()
    t0 = time.monotonic()
    body = json.dumps({"text": f"What is {index} + 1?", "sessionId": f"{prefix}-{index}"}).encode()
    head = (f"POST /v1/intents HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        writer.write(head + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        return str(status), headers.get("retry-after"), (time.monotonic() - t0) * 1000
    except ConnectionRefusedError:
        return "refused", None, (time.monotonic() - t0) * 1000
    except ConnectionResetError:
        return "reset", None, (time.monotonic() - t0) * 1000
    except asyncio.IncompleteReadError:
        return "closed-without-answer", None, (time.monotonic() - t0) * 1000
    except asyncio.TimeoutError:
        return "timeout", None, (time.monotonic() - t0) * 1000
    except OSError as e:
        return f"oserror-{e.errno}", None, (time.monotonic() - t0) * 1000
    finally:
        if writer is not None:
            writer.close()


async def storm(host, port, clients, timeout, prefix):
    start = asyncio.Event()
    tasks = [asyncio.create_task(one_client(host, port, i, start, timeout, prefix)) for i in range(clients)]
    await asyncio.sleep(0.2)  # every task waits at the gate: they all connect at once
    t0 = time.monotonic()
    start.set()
    results = await asyncio.gather(*tasks)
    return results, time.monotonic() - t0


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc), or None."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def answered(status, retry_after):
    """2xx, or 429/503 with a Retry-After."""
    if status.isdigit() and 200 <= int(status) < 300:
        return True
    return status in ("429", "503") and retry_after is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=1, help="storms one after the other, on the same node")
    ap.add_argument("--warmup", type=int, default=0,
                    help="clients of an unchecked storm first (JIT warm-up), as a node that has served traffic is")
    ap.add_argument("--url", help="an already running node; otherwise the script starts one")
    ap.add_argument("--max-in-flight", type=int, default=10000, help="the started node's max-intents-in-flight")
    ap.add_argument("--latency-ms", type=int, default=300, help="the started node's local model latency")
    ap.add_argument("--timeout-s", type=float, default=30, help="a client without an answer by then counts as hung")
    ap.add_argument("--live-max-ms", type=float, default=2000)
    ap.add_argument("--probe", choices=["api", "management"], default="api",
                    help="probe /health/live on the API port, or Pekko Management's /alive on a port of its own "
                         "(the started node turns management on)")
    ap.add_argument("--xmx", default="512m")
    ap.add_argument("--java-opt", action="append", default=[], help="extra JVM option of the started node")
    ap.add_argument("--out", help="write the figures here (JSON)")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.clients + 256
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
        if min(want, hard) < want:
            raise SystemExit(f"open files limit {hard} is below the {want} this storm needs (ulimit -n)")

    node, workdir = None, None
    if args.url:
        url = args.url.rstrip("/")
    else:
        if not os.path.exists(drill.JAR):
            raise SystemExit(f"no node jar at {drill.JAR}: ./mvnw -q -B -pl modules/troupe-node -am package -DskipTests")
        workdir = tempfile.mkdtemp(prefix="troupe-storm-")
        port = drill.free_port()
        url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, TROUPE_LOCAL_LATENCY_MS=str(args.latency_ms), TROUPE_EMBEDDER="hashing")
        if args.probe == "management":
            management_port = drill.free_port()
            env.update(TROUPE_MANAGEMENT_ENABLED="true", TROUPE_MANAGEMENT_HOST="127.0.0.1",
                       TROUPE_MANAGEMENT_PORT=str(management_port))
        cmd = ["java", f"-Xmx{args.xmx}", f"-Dtroupe.http.limits.max-intents-in-flight={args.max_in_flight}",
               *args.java_opt, "-jar", drill.JAR, "run", "--port", str(port), "--data-dir", os.path.join(workdir, "data")]
        node = subprocess.Popen(cmd, env=env, stdout=open(os.path.join(workdir, "node.log"), "w"), stderr=subprocess.STDOUT)
    host, port = url.split("//", 1)[1].split(":")[0], int(url.rsplit(":", 1)[1])
    if args.probe == "management" and node is None:
        raise SystemExit("--probe management needs the node this script starts (no --url)")
    live_url = f"http://127.0.0.1:{management_port}/alive" if args.probe == "management" else url + "/health/live"
    probe_name = "management /alive" if args.probe == "management" else "/health/live"
    probes, stop = [], threading.Event()
    passed = False
    try:
        end = time.time() + 120
        while drill.http("GET", url + "/health/ready", timeout=2)[0] != 200:
            if node is not None and node.poll() is not None:
                raise SystemExit("the node exited:\n" + open(os.path.join(workdir, "node.log")).read()[-3000:])
            if time.time() > end:
                raise SystemExit(f"{url} did not become ready")
            time.sleep(0.5)
        log(f"node ready on {url}; {args.clients} clients connect at once, {args.rounds} round(s)")

        def probe():
            while not stop.is_set():
                started = time.monotonic()
                status, _ = drill.http("GET", live_url, timeout=max(5.0, args.live_max_ms / 1000 * 2.5))
                probes.append((status, (time.monotonic() - started) * 1000, started))
                stop.wait(0.1)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        outcomes, rounds = {}, []
        bad = 0
        if args.warmup > 0:
            results, wall = asyncio.run(storm(host, port, args.warmup, args.timeout_s, f"warm{int(time.time())}"))
            log(f"warm-up: {args.warmup} clients in {wall:.1f} s (not checked)")
            time.sleep(1)
        probes.clear()
        for r in range(args.rounds):
            round_start = time.monotonic()
            cpu0 = cpu_seconds(node.pid) if node is not None else None
            results, wall = asyncio.run(storm(host, port, args.clients, args.timeout_s, f"storm{int(time.time())}-{r}"))
            cpu1 = cpu_seconds(node.pid) if node is not None else None
            counts = {}
            for status, retry_after, _ in results:
                key = status if status not in ("429", "503") or retry_after is not None else status + "-no-retry-after"
                counts[key] = counts.get(key, 0) + 1
            unanswered = sum(1 for s, ra, _ in results if not answered(s, ra))
            bad += unanswered
            ms = sorted(m for _, _, m in results)
            # The node's CPU time for the round: on a shared machine the wall time says how busy the
            # machine was; CPU seconds per round say what the storm cost the node.
            node_cpu = round(cpu1 - cpu0, 2) if cpu0 is not None and cpu1 is not None else None
            in_round = [p[1] for p in list(probes) if round_start <= p[2] <= round_start + wall]
            live_max = round(max(in_round), 1) if in_round else None
            rounds.append({"counts": counts, "unanswered": unanswered, "wallS": round(wall, 2),
                           "p50Ms": round(ms[len(ms) // 2]), "maxMs": round(ms[-1]), "nodeCpuS": node_cpu,
                           "loadAvg1": round(os.getloadavg()[0], 1), "liveProbes": len(in_round),
                           "liveMaxMs": live_max})
            for k, v in counts.items():
                outcomes[k] = outcomes.get(k, 0) + v
            log(f"round {r + 1}: {counts} in {wall:.1f} s (node CPU {node_cpu} s, load average {os.getloadavg()[0]:.1f}); "
                f"without an HTTP answer: {unanswered}; {probe_name} max {live_max} ms of {len(in_round)} probes")
        time.sleep(0.5)
        stop.set()
        prober.join(timeout=5)
        live_failed = [p for p in probes if p[0] != 200 or p[1] > args.live_max_ms]
        lat = sorted(p[1] for p in probes)
        figures = {"clients": args.clients, "rounds": rounds, "outcomes": outcomes, "unanswered": bad,
                   "liveProbes": len(probes), "liveFailures": len(live_failed),
                   "liveP50Ms": round(lat[len(lat) // 2], 1) if lat else None,
                   "liveMaxMs": round(max((p[1] for p in probes), default=0), 1)}
        print(json.dumps(figures))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(figures, f, indent=2)
        ok = bad == 0 and not live_failed and probes
        log(("OK" if ok else "FAIL") + f": {bad} of {args.clients * args.rounds} clients without a 2xx or a 429/503 "
            f"with Retry-After; {probe_name} {len(live_failed)} of {len(probes)} probes failed or slower than "
            f"{args.live_max_ms:.0f} ms (max {figures['liveMaxMs']} ms)")
        if not ok:
            log(f"the node's log and data stay in {workdir}" if workdir else "")
            sys.exit(1)
        passed = True
    finally:
        stop.set()
        if node is not None:
            node.terminate()
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.kill()
        if workdir and passed:
            shutil.rmtree(workdir, ignore_errors=True)  # kept after a failure, for its log


if __name__ == "__main__":
    main()
