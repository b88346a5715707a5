#!/usr/bin/env python3
"""The anchor: the fan-out workload in the seed's own pattern, Python 3 asyncio, stdlib only.

N concurrent sessions, each running S agent steps. A step is one model call (a simulated wait of
L ms, as the `local` provider's latency) followed by F parallel tool calls (asyncio.gather); after
the last step, one more model call writes the answer, as an agent loop does (Troupe's included).
Every action passes a guardrail check, and every action is traced (a span record kept per
session), as Troupe does. The ideal wall time is (S + 1) x L.

  python3 fanout.py --n 1000 10000 100000 [--steps 5] [--latency-ms 200] [--tools 3] [--json out.json]

One line of JSON per N (each N in a process of its own): wall seconds, wall/ideal, peak RSS (MiB),
and the time to create the tasks.
"""
import argparse, asyncio, gc, json, re, resource, sys, time

DENY = [re.compile(r"(?i)ignore (all )?(the )?previous instructions"), re.compile(r"(?i)\brm\s+-rf\b")]


def guardrail(text):
    """The same kind of check Troupe's guardrail makes: size and deny patterns."""
    if len(text) > 8000:
        return False
    return not any(p.search(text) for p in DENY)


async def model_call(latency):
    await asyncio.sleep(latency)
    return {"toolCalls": ["calculator", "current_time", "calculator"]}


async def tool_call(name, step, index):
    # Tools of the local workload complete at once (the calculator, the clock).
    await asyncio.sleep(0)
    return {"name": name, "step": step, "index": index, "result": 17 * 2340 / 100}


async def session(sid, steps, latency, tools, spans_out):
    spans = []
    text = f"What is 17% of 2,340? (session {sid})"
    if not guardrail(text):
        raise RuntimeError("denied")
    for step in range(steps):
        t0 = time.monotonic_ns()
        reply = await model_call(latency)
        spans.append(("model", t0, time.monotonic_ns()))
        calls = reply["toolCalls"][:tools]
        for name in calls:
            if not guardrail(name + ' {"expression":"17% of 2340"}'):
                raise RuntimeError("denied")
        t1 = time.monotonic_ns()
        results = await asyncio.gather(*(tool_call(name, step, i) for i, name in enumerate(calls)))
        spans.append(("tools", t1, time.monotonic_ns()))
        if len(results) != len(calls):
            raise RuntimeError("lost a result")
    t2 = time.monotonic_ns()
    await model_call(latency)  # the answer
    spans.append(("model", t2, time.monotonic_ns()))
    answer = f"17% of 2,340 is 397.8 (session {sid})"
    if not guardrail(answer):
        raise RuntimeError("denied")
    spans_out[sid] = len(spans)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(n, steps, latency, tools):
    spans = {}
    t0 = time.monotonic()
    tasks = [asyncio.create_task(session(i, steps, latency, tools, spans)) for i in range(n)]
    created = time.monotonic() - t0
    await asyncio.gather(*tasks)
    wall = time.monotonic() - t0
    assert len(spans) == n
    return wall, created


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--latency-ms", type=int, default=200)
    ap.add_argument("--tools", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    latency = args.latency_ms / 1000
    ideal = (args.steps + 1) * latency
    results = []
    if len(args.n) > 1:
        # One process per N, so that each peak RSS is its own.
        import subprocess
        for n in args.n:
            out = subprocess.run([sys.executable, __file__, "--n", str(n), "--steps", str(args.steps),
                                  "--latency-ms", str(args.latency_ms), "--tools", str(args.tools)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(json.dumps(r), flush=True)
            results.append(r)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=2)
        return
    for n in args.n:
        gc.collect()
        print(f"asyncio: N={n:,} ...", file=sys.stderr, flush=True)
        cpu0 = time.process_time()
        wall, created = asyncio.run(run(n, args.steps, latency, args.tools))
        cpu = time.process_time() - cpu0
        r = {"impl": "python-asyncio", "n": n, "steps": args.steps, "latencyMs": args.latency_ms, "tools": args.tools,
             "wallSeconds": round(wall, 3), "wallOverIdeal": round(wall / ideal, 3),
             "peakRssMiB": round(peak_rss_mib(), 1), "createSeconds": round(created, 3),
             "cpuMsPerIntent": round(cpu * 1000 / n, 3),
             "python": sys.version.split()[0]}
        print(json.dumps(r), flush=True)
        results.append(r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
