#!/usr/bin/env python3
"""Three Troupe node processes on PostgreSQL; `kill -9` of one during 300 submissions spread over the three.

  python3 scripts/kill_during_submissions.py [--submissions 300] [--sessions 60] [--rate 10] [--kill-at 100]
                                             [--latency-ms 600] [--out results.json] [--svg timeline.svg]

Issue 17, part 1. Clients send the submissions at a steady rate, in turn to each node, each with its
own Idempotency-Key and a session out of --sessions (so the sessions' shards are spread over the
three). A submission answered 503 or not at all is tried once more after a second, on the same node,
as a client would. Node 2 is killed after --kill-at submissions. Checked afterwards:

  - of the submissions sent to surviving nodes, the share answered 202 (target: >= 95%);
  - every accepted intent ends, read from the survivors;
  - the dead node's running intents resume, and how long after the kill the last one did
    (target: within 10 s).

Prints progress; writes the figures as JSON, and a timeline (accepted and refused per second, the
kill) as SVG. Needs the node jar (modules/troupe-node/target/troupe-node.jar), java, psql; stdlib only.
"""
import argparse, json, os, sys, tempfile, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_drill import JAR, Node, events_of, free_port, http, log, psql, wait_ready, wait_terminal  # noqa: E402


def submit(node, i, session, key):
    """One submission, tried once more after a 503 or no answer; (status, body, attempts)."""
    body = {"text": f"What is {i} + 1?", "sessionId": session}
    status, text = None, ""
    for attempt in (1, 2):
        status, text = http("POST", node.url + "/v1/intents", body, timeout=15, headers={"Idempotency-Key": key})
        if status == 202 or (status is not None and status not in (429, 503)):
            return status, text, attempt
        time.sleep(1.0)
    return status, text, 2


def svg_timeline(rows, killed_at, path):
    """Accepted and refused submissions per second of sending, survivors and the dead node apart."""
    if not rows:
        return
    t0 = min(r["sentAt"] for r in rows)
    seconds = int(max(r["sentAt"] for r in rows) - t0) + 1
    bins = [{"ok": 0, "no": 0, "dead": 0} for _ in range(seconds)]
    for r in rows:
        b = bins[int(r["sentAt"] - t0)]
        if r["toDead"]:
            b["dead"] += 1
        elif r["status"] == 202:
            b["ok"] += 1
        else:
            b["no"] += 1
    peak = max(1, max(b["ok"] + b["no"] + b["dead"] for b in bins))
    w, h, left, bottom = 720, 260, 40, 30
    bw = (w - left - 10) / seconds
    scale = (h - bottom - 20) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
             f'<text x="{left}" y="14">submissions per second: accepted by survivors (green), refused by survivors (red), '
             f'sent to the killed node (grey)</text>']
    for i, b in enumerate(bins):
        x = left + i * bw
        y = h - bottom
        for key, colour in (("ok", "#2e7d32"), ("no", "#c62828"), ("dead", "#9e9e9e")):
            hh = b[key] * scale
            if hh:
                y -= hh
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bw - 1, 1):.1f}" height="{hh:.1f}" fill="{colour}"/>')
    if killed_at is not None:
        kx = left + (killed_at - t0) * bw
        parts.append(f'<line x1="{kx:.1f}" y1="20" x2="{kx:.1f}" y2="{h - bottom}" stroke="black" stroke-dasharray="4"/>')
        parts.append(f'<text x="{kx + 3:.1f}" y="30">kill -9</text>')
    parts.append(f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="black"/>')
    for s in range(0, seconds, max(1, seconds // 10)):
        parts.append(f'<text x="{left + s * bw:.1f}" y="{h - bottom + 14}">{s}s</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--submissions", type=int, default=300)
    ap.add_argument("--sessions", type=int, default=60)
    ap.add_argument("--rate", type=float, default=10.0, help="submissions started per second")
    ap.add_argument("--kill-at", type=int, default=100)
    ap.add_argument("--latency-ms", type=int, default=600)
    ap.add_argument("--out", default=None)
    ap.add_argument("--svg", default=None)
    ap.add_argument("--java-opt", action="append", default=[], help="extra JVM option for every node")
    ap.add_argument("--min-accepted", type=float, default=0.95, help="fail below this share accepted by survivors")
    ap.add_argument("--max-resume-s", type=float, default=10.0, help="fail if the last resume came later")
    args = ap.parse_args()
    if not os.path.exists(JAR):
        raise SystemExit(f"no node jar at {JAR}: build it first (./mvnw -B -DskipTests package)")

    schema = "kill_" + uuid.uuid4().hex[:10]
    psql(f"CREATE SCHEMA {schema}")
    workdir = tempfile.mkdtemp(prefix="troupe-kill-")
    cports = [free_port() for _ in range(3)]
    seeds = f"127.0.0.1:{cports[0]},127.0.0.1:{cports[1]}"
    nodes = [Node(i, free_port(), cports[i], seeds, schema, args.latency_ms, workdir) for i in range(3)]
    for n in nodes:
        # The cluster's own settings (config/cluster.conf) are what is measured, not the drill's.
        n.java_opts = [o for o in n.java_opts if "stable-after" not in o] + args.java_opt
    victim = nodes[2]
    figures = {"submissions": args.submissions, "sessions": args.sessions, "rate": args.rate,
               "killAt": args.kill_at, "latencyMs": args.latency_ms, "javaOpts": args.java_opt}
    rows, lock = [], threading.Lock()
    killed_at = None
    try:
        log(f"starting 3 nodes (schema {schema}, logs in {workdir})")
        for n in nodes:
            n.start()
        wait_ready(nodes, 240)
        log("3 nodes ready")

        def one(i):
            node = nodes[i % 3]
            sent = time.time()
            status, text, attempts = submit(node, i, f"kd-{i % args.sessions}", f"kd-{schema}-{i}")
            row = {"i": i, "node": node.index, "sentAt": sent, "status": status, "attempts": attempts,
                   "toDead": node is victim and killed_at is not None and sent >= killed_at,
                   "id": json.loads(text)["id"] if status == 202 else None}
            with lock:
                rows.append(row)

        with ThreadPoolExecutor(max_workers=64) as pool:
            start = time.time()
            for i in range(args.submissions):
                if i == args.kill_at:
                    victim.kill9()
                    killed_at = time.time()
                    log(f"kill -9 node 2 (pid {victim.proc.pid}) after {i} submissions")
                pause = start + i / args.rate - time.time()
                if pause > 0:
                    time.sleep(pause)
                pool.submit(one, i)
                if i % 50 == 49:
                    with lock:
                        done = len(rows)
                        ok = sum(r["status"] == 202 for r in rows)
                    log(f"sent {i + 1}/{args.submissions}; answered {done}, accepted {ok}")

        to_survivors = [r for r in rows if not r["toDead"]]
        accepted = [r for r in rows if r["status"] == 202]
        survivors_ok = sum(r["status"] == 202 for r in to_survivors)
        first_try = sum(r["status"] == 202 and r["attempts"] == 1 for r in to_survivors)
        via_inbox = sum(".i" in r["id"] for r in accepted)
        share = survivors_ok / max(1, len(to_survivors))
        figures.update(sentToSurvivors=len(to_survivors), acceptedBySurvivors=survivors_ok,
                       acceptedFirstTry=first_try, acceptedShare=round(share, 4), acceptedViaInbox=via_inbox,
                       accepted=len(accepted), refusedStatuses=sorted({str(r["status"]) for r in to_survivors
                                                                      if r["status"] != 202}))
        log(f"survivors accepted {survivors_ok}/{len(to_survivors)} ({share:.1%}; {first_try} at the first try, "
            f"{via_inbox} through the inbox)")

        survivors = nodes[:2]
        statuses, pending = wait_terminal(survivors, [r["id"] for r in accepted])
        counts = {}
        for s in statuses.values():
            counts[s] = counts.get(s, 0) + 1
        figures.update(statuses=counts, neverEnded=len(pending))

        resumed_at = []
        for intent_id in statuses:
            for e in events_of(survivors[0].url, intent_id):
                if e.get("type") == "intent.resumed":
                    resumed_at.append(datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp())
        figures["resumed"] = len(resumed_at)
        if resumed_at:
            figures["lastResumeAfterKillSeconds"] = round(max(resumed_at) - killed_at, 2)
            figures["firstResumeAfterKillSeconds"] = round(min(resumed_at) - killed_at, 2)
        log(f"{len(resumed_at)} resumed; first {figures.get('firstResumeAfterKillSeconds')} s, "
            f"last {figures.get('lastResumeAfterKillSeconds')} s after the kill")

        verdicts = {"acceptedShare": share >= args.min_accepted, "everyAcceptedEnded": not pending,
                    "resumedInTime": figures.get("lastResumeAfterKillSeconds", 0) <= args.max_resume_s}
        figures["targets"] = verdicts
        print(json.dumps(figures))
        if args.out:
            with open(args.out, "w") as f:
                json.dump(figures, f, indent=2)
        if args.svg:
            svg_timeline(rows, killed_at, args.svg)
            log(f"timeline: {args.svg}")
        if pending:
            raise SystemExit(f"FAIL: {len(pending)} accepted intents never ended: {sorted(pending)[:10]}")
        if not all(verdicts.values()):
            raise SystemExit(f"FAIL: {verdicts}")
        log(f"targets met: {verdicts}")
    finally:
        for n in nodes:
            n.stop()
        try:
            psql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            psql(f"DROP SCHEMA IF EXISTS {schema}_journal CASCADE")
        except Exception:
            pass


if __name__ == "__main__":
    main()
