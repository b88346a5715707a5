#!/usr/bin/env python3
"""Three Troupe node processes on one PostgreSQL: a load of intents, `kill -9` of one node, then checks.

  python3 scripts/cluster_drill.py [--intents 60] [--sessions 20] [--latency-ms 600] [--out FILE]

Every intent that got a 202 must end in a terminal state readable from the surviving nodes; no
side-effecting call (the record_effect ledger in PostgreSQL) may have run twice; the killed node
must rejoin once restarted. Prints progress, writes the figures (recovery time among them) as
JSON. Needs the node jar (modules/troupe-node/target/troupe-node.jar), java, psql; stdlib only.
"""
import argparse, json, os, signal, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request, uuid
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "modules", "troupe-node", "target", "troupe-node.jar")
TERMINAL = {"succeeded", "failed", "cancelled", "interrupted"}


def log(msg):
    print(f"drill {time.strftime('%H:%M:%S')}  {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql):
    out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-At", "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def http(method, url, body=None, timeout=10, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, OSError) as e:
        return None, str(e)


class Node:
    def __init__(self, index, http_port, cluster_port, seeds, schema, latency_ms, workdir):
        self.index, self.http_port, self.cluster_port = index, http_port, cluster_port
        self.url = f"http://127.0.0.1:{http_port}"
        self.data = os.path.join(workdir, f"node-{index}")
        self.log_path = os.path.join(workdir, f"node-{index}.log")
        self.env = dict(os.environ,
                        TROUPE_CLUSTER_HOST="127.0.0.1", TROUPE_CLUSTER_PORT=str(cluster_port),
                        TROUPE_CLUSTER_SEEDS=seeds,
                        TROUPE_DB_URL=f"jdbc:postgresql://127.0.0.1:5432/test?currentSchema={schema}",
                        TROUPE_DB_USER="postgres", TROUPE_EFFECT_LEDGER="true", TROUPE_EMBEDDER="hashing",
                        TROUPE_LOCAL_LATENCY_MS=str(latency_ms))
        self.java_opts = ["-Xmx384m", f"-Dtroupe.database.journal-schema={schema}_journal"]
        self.proc = None

    def start(self):
        os.makedirs(self.data, exist_ok=True)
        out = open(self.log_path, "a")
        self.proc = subprocess.Popen(["java", *self.java_opts, "-jar", JAR, "run", "--port", str(self.http_port),
                                      "--data-dir", self.data], env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def ready(self):
        status, _ = http("GET", self.url + "/health/ready", timeout=3)
        return status == 200

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_ready(nodes, deadline_s):
    end = time.time() + deadline_s
    while time.time() < end:
        if all(n.ready() for n in nodes):
            return
        for n in nodes:
            if not n.alive():
                raise SystemExit(f"node {n.index} exited; see {n.log_path}:\n" + open(n.log_path).read()[-3000:])
        time.sleep(0.5)
    raise SystemExit("nodes not ready in time: " + ", ".join(f"{n.index}:{n.ready()}" for n in nodes))


def wait_terminal(nodes, intent_ids, deadline_s=240):
    """Polls the intents, spread over `nodes`, until each is terminal: (status by id, ids still open)."""
    pending = set(intent_ids)
    statuses = {}
    end = time.time() + deadline_s
    while pending and time.time() < end:
        for k, intent_id in enumerate(sorted(pending)):
            status, body = http("GET", f"{nodes[k % len(nodes)].url}/v1/intents/{intent_id}")
            if status == 200 and json.loads(body)["status"] in TERMINAL:
                statuses[intent_id] = json.loads(body)["status"]
        pending -= set(statuses)
        log(f"terminal {len(statuses)}/{len(statuses) + len(pending)}")
        if pending:
            time.sleep(1)
    return statuses, pending


def events_of(url, intent_id):
    status, body = http("GET", f"{url}/v1/intents/{intent_id}/events", timeout=20)
    out = []
    for frame in body.split("\n\n"):
        for line in frame.split("\n"):
            if line.startswith("data: "):
                try:
                    out.append(json.loads(line[6:]))
                except ValueError:
                    pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intents", type=int, default=60)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--latency-ms", type=int, default=600)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if not os.path.exists(JAR):
        raise SystemExit(f"no node jar at {JAR}: build it first (./mvnw -B -DskipTests package)")

    schema = "drill_" + uuid.uuid4().hex[:10]
    psql(f"CREATE SCHEMA {schema}")
    workdir = tempfile.mkdtemp(prefix="troupe-drill-")
    cports = [free_port() for _ in range(3)]
    seeds = f"127.0.0.1:{cports[0]},127.0.0.1:{cports[1]}"
    nodes = [Node(i, free_port(), cports[i], seeds, schema, args.latency_ms, workdir) for i in range(3)]
    figures = {"intents": args.intents, "sessions": args.sessions, "latencyMs": args.latency_ms}
    try:
        log(f"starting 3 nodes (schema {schema}, logs in {workdir})")
        for n in nodes:
            n.start()
        wait_ready(nodes, 180)
        log("3 nodes ready")

        accepted, refused = {}, 0
        victim = nodes[2]
        killed_at = None
        for i in range(args.intents):
            if i == args.intents // 2 and killed_at is None:
                victim.kill9()
                killed_at = time.time()
                log(f"kill -9 node 2 (pid {victim.proc.pid}) after {len(accepted)} accepted intents")
            node = nodes[i % 3]
            session = f"drill-{i % args.sessions}"
            status, body = http("POST", node.url + "/v1/intents",
                                {"text": f"Record effect e{i} and what is {i} + 1?", "sessionId": session})
            if status == 202:
                accepted[json.loads(body)["id"]] = node.index
            else:
                refused += 1
            if i % 10 == 9:
                log(f"submitted {i + 1}/{args.intents}: {len(accepted)} accepted, {refused} refused")
        figures.update(accepted=len(accepted), refused=refused)

        survivors = nodes[:2]
        statuses, pending = wait_terminal(survivors, accepted)
        if pending:
            raise SystemExit(f"FAIL: {len(pending)} accepted intents never ended: {sorted(pending)[:10]}")
        counts = {}
        for s in statuses.values():
            counts[s] = counts.get(s, 0) + 1
        figures["statuses"] = counts
        log(f"every accepted intent ended: {counts}")

        # Readable from both survivors, and when the resumed ones resumed.
        resumed_at = []
        for intent_id in accepted:
            for n in survivors:
                status, body = http("GET", f"{n.url}/v1/intents/{intent_id}")
                assert status == 200 and json.loads(body)["status"] in TERMINAL, (n.index, intent_id, status, body)
            for e in events_of(survivors[0].url, intent_id):
                if e.get("type") == "intent.resumed":
                    resumed_at.append(datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp())
        figures["resumed"] = len(resumed_at)
        if resumed_at:
            figures["recoverySeconds"] = round(max(resumed_at) - killed_at, 2)
            log(f"{len(resumed_at)} intents resumed; the last {figures['recoverySeconds']} s after the kill")

        twice = psql(f"SELECT count(*) FROM (SELECT idempotency_key FROM {schema}_journal.effect_ledger "
                     f"GROUP BY idempotency_key HAVING count(*) > 1) t")
        runs = psql(f"SELECT count(*) FROM {schema}_journal.effect_ledger")
        figures.update(effectRows=int(runs), effectsRunTwice=int(twice))
        if int(twice) != 0:
            raise SystemExit(f"FAIL: {twice} side-effecting calls ran twice")
        log(f"ledger: {runs} effects, none twice")

        log("restarting node 2")
        victim.start()
        wait_ready([victim], 180)
        ok = 0
        for s in range(args.sessions):
            status, body = http("POST", victim.url + "/v1/intents?wait=true&timeoutMs=60000",
                                {"text": "What is 2 + 2?", "sessionId": f"drill-{s}"}, timeout=70)
            ok += status == 200 and json.loads(body)["status"] == "succeeded"
        if ok != args.sessions:
            raise SystemExit(f"FAIL: the restarted node served {ok}/{args.sessions} sessions")
        log(f"node 2 rejoined: it served all {args.sessions} sessions, wherever they live")
        figures["ok"] = True
        print(json.dumps(figures))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(figures, f, indent=2)
    finally:
        for n in nodes:
            n.stop()
        try:
            psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            psql(f"DROP SCHEMA IF EXISTS {schema}_journal CASCADE")
        except subprocess.CalledProcessError:
            pass


if __name__ == "__main__":
    main()
