#!/usr/bin/env python3
"""Cluster benchmark: intents per second on one node and on three, the share of requests that cross
nodes, and (through cluster_drill.py) the recovery time after a kill -9.

  python3 scripts/cluster_bench.py [--seconds 20] [--warmup 20] [--clients 16] [--out DIR] [--skip-drill]

Node processes run the node jar on the PostgreSQL at 127.0.0.1:5432 with the local model at 0 ms.
Clients are threads with keep-alive connections, each with its own sessions, posting
`/v1/intents?wait=true`. Prints progress; writes cluster.json and cluster.md under --out.
"""
import argparse, http.client, json, os, subprocess, sys, tempfile, threading, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_drill as drill  # noqa: E402

TEXT = "What is 17% of 2,340?"


def java_string_hash(s):
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def shard_of(entity_id, shards=1000):
    # Pekko's default extractor: abs(entityId.hashCode % numberOfShards); Java's % keeps the sign.
    h = java_string_hash(entity_id)
    r = abs(h) % shards
    return str(r)


def load(nodes, seconds, clients, prefix):
    """Clients post intents for `seconds`; returns (completed, errors, ingress-by-session)."""
    stop = time.time() + seconds
    done, errors = [0] * clients, [0] * clients
    ingress = {}

    def client(k):
        node = nodes[k % len(nodes)]
        conn = http.client.HTTPConnection("127.0.0.1", node.http_port, timeout=30)
        n = 0
        while time.time() < stop:
            session = f"{prefix}-{k}-{n % 4}"
            ingress[session] = node.index
            body = json.dumps({"text": TEXT, "sessionId": session})
            try:
                conn.request("POST", "/v1/intents?wait=true&timeoutMs=20000", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                payload = r.read()
                if r.status == 200 and b'"succeeded"' in payload:
                    done[k] += 1
                else:
                    errors[k] += 1
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", node.http_port, timeout=30)
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    t0 = time.time()
    while any(t.is_alive() for t in threads):
        time.sleep(2)
        drill.log(f"  {prefix}: {sum(done)} intents after {time.time() - t0:.0f} s ({sum(errors)} errors)")
        if time.time() > stop + 40:
            break
    return sum(done), sum(errors), ingress


def shard_hosts(nodes):
    """Shard id -> node index, from each node's management route /cluster/shards/Session."""
    hosts = {}
    for n in nodes:
        status, body = drill.http("GET", f"http://127.0.0.1:{n.management_port}/cluster/shards/Session")
        if status != 200:
            continue
        for region in json.loads(body).get("regions", []):
            hosts[str(region["shardId"])] = n.index
    return hosts


def run_phase(count, args, workdir, label):
    schema = "bench_" + uuid.uuid4().hex[:10]
    drill.psql(f"CREATE SCHEMA {schema}")
    cports = [drill.free_port() for _ in range(count)]
    seeds = ",".join(f"127.0.0.1:{p}" for p in cports[:2])
    nodes = [drill.Node(i, drill.free_port(), cports[i], seeds, schema, 0, os.path.join(workdir, label)) for i in range(count)]
    for n in nodes:
        n.management_port = drill.free_port()
        n.env.update(TROUPE_MANAGEMENT_ENABLED="true", TROUPE_MANAGEMENT_PORT=str(n.management_port),
                     TROUPE_EFFECT_LEDGER="false")
        n.java_opts[0] = "-Xmx512m"
        if count > 1 and args.cpus_per_node:
            # Co-located nodes share the machine's cores: size each JVM's pools (GC, JIT, dispatchers) to its share.
            n.java_opts.append(f"-XX:ActiveProcessorCount={args.cpus_per_node}")
    try:
        os.makedirs(os.path.join(workdir, label), exist_ok=True)
        for n in nodes:
            n.start()
        drill.wait_ready(nodes, 180)
        drill.log(f"{label}: {count} node(s) ready; warming up for {args.warmup} s")
        load(nodes, args.warmup, args.clients, f"warm-{label}")
        drill.log(f"{label}: measuring {args.seconds} s with {args.clients} clients")
        t0 = time.time()
        done, errors, ingress = load(nodes, args.seconds, args.clients, f"run-{label}")
        elapsed = time.time() - t0
        result = {"nodes": count, "intents": done, "errors": errors, "seconds": round(elapsed, 1),
                  "intentsPerSecond": round(done / elapsed, 1)}
        if count > 1:
            hosts = shard_hosts(nodes)
            known = [s for s in ingress if shard_of(s) in hosts]
            remote = [s for s in known if hosts[shard_of(s)] != ingress[s]]
            result["sessionsLocated"] = len(known)
            result["remoteShare"] = round(len(remote) / len(known), 3) if known else None
        drill.log(f"{label}: {result}")
        return result
    finally:
        for n in nodes:
            n.stop()
        drill.psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        drill.psql(f"DROP SCHEMA IF EXISTS {schema}_journal CASCADE")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--warmup", type=int, default=20, help="seconds of load before measuring (JIT, pools)")
    ap.add_argument("--out", default=os.path.join(drill.ROOT, "modules", "troupe-bench", "results"))
    ap.add_argument("--skip-drill", action="store_true")
    ap.add_argument("--cpus-per-node", type=int, default=0,
                    help="-XX:ActiveProcessorCount for each of the three nodes (0: the JVM's own count)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="troupe-cluster-bench-")
    one = run_phase(1, args, workdir, "one-node")
    three = run_phase(3, args, workdir, "three-nodes")
    figures = {"machine": {"cores": os.cpu_count()}, "oneNode": one, "threeNodes": three,
               "ratio": round(three["intentsPerSecond"] / one["intentsPerSecond"], 2) if one["intentsPerSecond"] else None}
    if not args.skip_drill:
        drill.log("recovery: running cluster_drill.py")
        out = os.path.join(args.out, "cluster-drill.json")
        subprocess.run([sys.executable, os.path.join(drill.ROOT, "scripts", "cluster_drill.py"), "--out", out], check=True)
        figures["drill"] = json.load(open(out))
    with open(os.path.join(args.out, "cluster.json"), "w") as f:
        json.dump(figures, f, indent=2)
    md = ["| measure | one node | three nodes |", "|---|---|---|",
          f"| intents/s (`wait=true`, local model 0 ms, {args.clients} clients) | {one['intentsPerSecond']} | {three['intentsPerSecond']} |",
          f"| errors | {one['errors']} | {three['errors']} |",
          f"| requests whose session lives on another node | - | {three.get('remoteShare')} |"]
    if "drill" in figures:
        d = figures["drill"]
        md.append(f"| recovery after kill -9 (kill to last resumed intent) | - | {d.get('recoverySeconds')} s ({d.get('resumed')} resumed) |")
    open(os.path.join(args.out, "cluster.md"), "w").write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
