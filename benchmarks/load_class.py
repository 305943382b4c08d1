"""A class on one server, measured as a class loads it (issue 18): simulated students and a few browsers.

    python -m benchmarks.load_class [--students 40] [--browsers 5] [--server-cores 1] [--watch 0]
    python -m benchmarks.load_class --sweep [10,40,100]       # one class per size, a table of each
    python -m benchmarks.load_class --limit [FROM] [--server-cores 2]  # step the class size until p95 >= 1 s

Starts a `streamlit run` server (as benchmarks/load.py does) pinned to its own CPU set: the server's
process and its training workers (they inherit it) on the first `--server-cores` cores, the clients
(this driver, the simulated students' process, Chromium) on the others, where `os.sched_setaffinity`
allows; on a machine with no core left over the clients share the server's cores at a lower priority
(autogroup nice 10, as benchmarks/load.py runs Chromium). Then, at the same time:

- `--students N` simulated students (benchmarks/students.py: Streamlit's WebSocket protocol, one
  process for all of them) open /train, press Start with a seed of their own, and once all train go to
  Try and ask six questions each, 3-8 s apart, timed from the widget update sent to the answer's
  element received; back on Train they watch the held-out accuracy for `--watch` seconds from their
  first question (0: not at all), then every other one pauses and all counters are checked;
- `--browsers B` real Chromium pages (benchmarks/load.py's Session) do the same lesson, their answers
  timed in the page from the Enter key to the answer shown.

Meanwhile `/_stcore/health` is polled twice a second, memory (PSS of the server and its workers) and
threads are sampled, and the CPU time of every part is counted, with what the rest of the machine
used (other work on a shared machine). After everyone left, threads and memory are watched for the
session TTL + 10 s. A warm-up of two students, released before the baseline is taken, comes first.
Prints a Markdown table; `check` lists what misses the issue's limits (tests/test_load_class.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import load, students
from s2s.presets import PRESETS

ROOT = Path(__file__).resolve().parents[1]
BATCH = PRESETS["addition"]["default"].batch
# Examples the default preset needs to reach 90 % held-out: the median of seeds 0-2 (benchmarks/README.md,
# "The default preset's forget-gate bias"); a student who did not get there within the run is projected
# from its own training speed with it.
EXAMPLES_TO_90 = 118_400
LIMITS = {"answer_p95_s": 1.0, "health_p95_s": 0.5, "mb_per_session": 40.0, "memory_back_ratio": 1.2}
SWEEP = (10, 40, 100)
LIMIT_STEPS = (10, 20, 40, 60, 80, 100, 130, 160, 200, 250, 300)


def cpu_sets(server_cores: int) -> tuple[set[int] | None, set[int] | None]:
    """(the server's CPU set, the clients') from the CPUs this process may use: the server the first
    `server_cores`, the clients the rest, or all of them when none is left. (None, None) where the
    system does not let a process choose its CPUs."""
    if not hasattr(os, "sched_setaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    server = set(cpus[:max(1, min(server_cores, len(cpus)))])
    clients = set(cpus) - server or set(cpus)
    return server, clients


def _pinned_launcher(cpus: set[int] | None) -> list[str]:
    """What stands for `python -m streamlit`: the same, on `cpus` (its children inherit the set)."""
    if cpus is None:
        return [sys.executable, "-m", "streamlit"]
    code = (f"import os, runpy, sys; os.sched_setaffinity(0, {sorted(cpus)}); sys.argv[0] = 'streamlit'; "
            "runpy.run_module('streamlit', run_name='__main__', alter_sys=True)")
    return [sys.executable, "-c", code]


def _niced(cmd: list[str]) -> list[str]:
    """`cmd` at autogroup nice 10 (see benchmarks/load.py _niced_browser: nice alone does nothing across
    autogroups)."""
    return ["/bin/sh", "-c", '{ echo 10 > /proc/self/autogroup; } 2>/dev/null; exec nice -n 10 "$@"', "sh", *cmd]


def _machine_busy() -> tuple[float, float]:
    """(busy CPU seconds of the whole machine so far, wall clock) from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK"), time.perf_counter()


def _cpu_parts(server: int) -> dict[str, float]:
    """CPU seconds so far of the server, its training workers and this driver."""
    return {"server": load.cpu_seconds([server]), "training workers": load.cpu_seconds(load.family(server)[1:]),
            "driver": load.cpu_seconds([os.getpid()])}


def _chromium_seconds() -> float:
    return load.cpu_seconds([p for p in load.family(os.getpid()) if "chrom" in load._comm(p)])


async def _browsers(n: int, url: str, shared: bool, training: asyncio.Event, ask: asyncio.Event) -> dict:
    """`n` Chromium pages through benchmarks/load.py's lesson (no pause check: the students do it); at autogroup
    nice 10 when they share the server's CPUs, else at normal priority (other work on a shared machine would
    otherwise starve them). Sets `training` once every page trains (or failed), then waits for `ask`."""
    from playwright.async_api import async_playwright

    out: dict = {"latencies": [], "errors": [], "stalls": [], "rates": [], "cpu_s": 0.0}
    if n == 0:
        training.set()
        return out
    async with async_playwright() as pw:
        folder = Path(tempfile.mkdtemp(prefix="s2s-class-"))
        chromium = load._niced_browser(folder) if shared else load.CHROMIUM
        browsers = [await pw.chromium.launch(executable_path=chromium, args=load.CHROMIUM_ARGS)
                    for _ in range(math.ceil(n / load.PAGES_PER_BROWSER))]
        sessions = [load.Session(k, await browsers[k // load.PAGES_PER_BROWSER].new_page(
            viewport={"width": 1280, "height": 720}), url, load.THINK_SECONDS) for k in range(n)]
        gate = asyncio.Semaphore(load.OPENING_AT_ONCE)
        arrived = 0

        async def lesson(s: load.Session) -> None:
            nonlocal arrived
            try:
                try:
                    await s.start_training(gate)
                finally:
                    arrived += 1
                    if arrived == n:
                        training.set()
                await ask.wait()
                a, t0 = await s.iteration(), time.perf_counter()
                await s.go("try")
                await s.ask()
                await s.collect_errors()
                await s.go("train")
                out["rates"].append((await s.iteration() - a) / (time.perf_counter() - t0))
                await s.collect_errors()
            except Exception as e:  # a browser that fails is reported, the class goes on
                s.errors.append(f"browser {s.k}: {type(e).__name__}: {str(e)[:200]}")

        await asyncio.gather(*(lesson(s) for s in sessions))
        for s in sessions:
            out["latencies"] += s.latencies
            out["errors"] += s.errors
            out["stalls"] += s.stalls
        out["cpu_s"] = _chromium_seconds()  # before they close: an ended process's time is not in /proc
        for b in browsers:
            await b.close()
    return out


async def _sample(url: str, pid: int, stop: asyncio.Event, out: dict) -> None:
    while not stop.is_set():
        out["health"].append(await asyncio.to_thread(load._health_seconds, url))
        status = load.proc_status(pid)
        out["mem_kb"].append(status["Memory"])
        out["threads"].append(status["Threads"])
        out["training"].append(status["Training"])
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def _warm_up(url: str, n: int) -> None:
    """A first class of the same size through a short lesson (one question each, no pause check): imports,
    shipped checkpoints, caches, the allocator's arenas and Streamlit's pools are then what a class leaves."""
    await students.run_class(url, n, think=(0.2, 0.5), questions=1, pause_check=False)


async def _class(url: str, pid: int, n: int, browsers: int, watch: float, ttl: float, shared: bool) -> dict:
    figures: dict = {"students": n, "browsers": browsers, "ttl_s": ttl}
    await _warm_up(url, n + browsers)
    await asyncio.sleep(ttl + 5)  # the warm-up's sessions released
    base = load.proc_status(pid)
    figures.update(mem_base_mb=base["Memory"] / 1024, threads_base=base["Threads"])
    samples: dict = {"health": [], "mem_kb": [], "threads": [], "training": []}
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample(url, pid, stop, samples))
    out = Path(tempfile.mkdtemp(prefix="s2s-students-")) / "students.json"
    cmd = [sys.executable, "-m", "benchmarks.students", "--url", url, "--students", str(n), "--watch", str(watch),
           "--out", str(out)]
    busy0, wall0 = _machine_busy()
    cpu0 = _cpu_parts(pid)
    # on CPUs of their own the students run at normal priority (niced, other work on the machine would delay
    # their clocks); sharing the server's, at autogroup nice 10 like the browsers
    log = out.with_suffix(".log").open("w")
    proc = await asyncio.create_subprocess_exec(*(_niced(cmd + ["--barrier"]) if shared else cmd + ["--barrier"]),
                                                cwd=ROOT, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE, stderr=log)
    training, ask = asyncio.Event(), asyncio.Event()
    browsing = asyncio.create_task(_browsers(browsers, url, shared, training, ask))

    async def everyone_trains() -> None:
        """Students and browsers all train: then all may ask (the students' process waits for a line)."""
        while (line := await proc.stdout.readline()) and line.strip() != b"TRAINING":
            pass
        await training.wait()
        proc.stdin.write(b"ask\n")
        await proc.stdin.drain()
        ask.set()

    await asyncio.wait([asyncio.create_task(everyone_trains()), asyncio.create_task(proc.wait())],
                       return_when=asyncio.FIRST_COMPLETED)
    ask.set()  # also when the students' process ended early: the browsers go on
    await proc.wait()
    log.close()
    err = out.with_suffix(".log").read_bytes()
    browsed = await browsing
    busy1, wall1 = _machine_busy()
    cpu1 = _cpu_parts(pid)
    stop.set()
    await sampler
    window = wall1 - wall0
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"the simulated students failed ({proc.returncode}): {err.decode()[-2000:]}")
    result = json.loads(out.read_text())
    figures["client_cpu_s"] = {"simulated students": result["cpu_s"], "browsers": browsed["cpu_s"]}
    parts = {k: (cpu1[k] - cpu0[k]) / window for k in cpu1}
    parts["simulated students"] = result["cpu_s"] / window
    parts["browsers"] = browsed["cpu_s"] / window
    parts["other work on the machine"] = max(0.0, (busy1 - busy0) / window - sum(parts.values()))
    figures["cores"] = parts
    figures["window_s"] = window
    figures.update(_student_figures(result, n))
    lat_b = browsed["latencies"]
    figures.update(
        browser_answers=len(lat_b), browser_p50_s=statistics.median(lat_b) if lat_b else math.nan,
        browser_p95_s=load._percentile(lat_b, 0.95), browser_max_s=max(lat_b, default=math.nan),
        browser_errors=browsed["errors"] + browsed["stalls"],
        browser_examples_per_s=sum(browsed["rates"]) * BATCH,
    )
    figures.update(
        health=samples["health"], health_checks=len(samples["health"]),
        health_p95_s=load._percentile(samples["health"], 0.95),
        health_max_s=max(samples["health"]), mem_peak_mb=max(samples["mem_kb"]) / 1024,
        threads_peak=max(samples["threads"]), training_threads_peak=max(samples["training"]),
    )
    # the CPUs the server and its training workers may run on, as the system says (workers inherit the server's)
    figures["server_affinity"] = set().union(*(os.sched_getaffinity(p) for p in load.family(pid)))
    figures["mb_per_session"] = (figures["mem_peak_mb"] - figures["mem_base_mb"]) / max(1, n + browsers)
    closed = time.perf_counter()
    threads_done = None
    while time.perf_counter() < closed + ttl + 10:
        if threads_done is None and load.proc_status(pid)["Training"] == 0:
            threads_done = time.perf_counter() - closed
        await asyncio.sleep(0.5)
    end = load.proc_status(pid)
    figures.update(threads_after=end["Threads"], training_threads_after=end["Training"],
                   mem_after_mb=end["Memory"] / 1024, threads_back_after_s=threads_done)
    return figures


def _student_figures(result: dict, n: int) -> dict:
    fs = result["figures"]
    lat = [x for f in fs for x in f["latencies"]]
    ph = result["phases"]
    # each student's speed between its counters read once all trained and read again after asking, on its clock
    rates = [(f["iterations"][1][1] - f["iterations"][0][1]) / (f["iterations"][1][0] - f["iterations"][0][0])
             for f in fs if len(f["iterations"]) >= 2 and f["iterations"][1][0] > f["iterations"][0][0]]
    reached = [f["to_target_s"] for f in fs if f["to_target_s"] is not None]
    projected = [EXAMPLES_TO_90 / (r * BATCH) for r in rates if r > 0]
    return {
        "latencies": lat, "answered": [a for f in fs for a in f["answers"]], "answers": len(lat),
        "questions": sum(len(f["asked_at"]) for f in fs),
        "answer_p50_s": statistics.median(lat) if lat else math.nan, "answer_p95_s": load._percentile(lat, 0.95),
        "answer_max_s": max(lat, default=math.nan),
        "wrong_answers": sum(1 for f in fs for _, want, got in f["answers"] if want != got),
        "errors": [e for f in fs for e in f["errors"]], "crosstalk": [c for f in fs for c in f["crosstalk"]],
        "unanswered": [u for f in fs for u in f["unanswered"]],
        "all_training_after_s": ph["all_training"] - result["t_begin"],
        "asking_s": ph["asked"] - ph["asking"],
        "examples_per_second": sum(rates) * BATCH,
        "student_examples_per_s": [r * BATCH for r in rates],
        "to_90_reached": reached, "to_90_projected": projected,
        "loop_lag_p95_s": result.get("loop_lag_p95_s", math.nan),
        "messages_per_student": statistics.mean(f["messages"] for f in fs),
        "mb_received_per_student": statistics.mean(f["bytes"] for f in fs) / 2**20,
    }


def run(n: int, browsers: int = 5, server_cores: int | None = None, watch: float = 0.0, ttl: float = 10.0) -> dict:
    """One class of `n` simulated students and `browsers` Chromium pages on a fresh server; the figures."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    server_cores = server_cores or max(1, cpus - 1)
    server_set, client_set = cpu_sets(server_cores)
    before = os.sched_getaffinity(0) if client_set is not None else None
    try:
        if client_set is not None:
            os.sched_setaffinity(0, client_set)  # this driver, the students' process and Chromium inherit it
        with load.streamlit_server(ttl, launcher=_pinned_launcher(server_set)) as (url, proc):
            shared = bool(server_set and client_set and server_set & client_set)
            figures = asyncio.run(_class(url, proc.pid, n, browsers, watch, ttl, shared))
            figures["server_cpus"] = sorted(figures.pop("server_affinity")) if server_set is not None else None
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)
    figures["client_cpus"] = sorted(client_set) if client_set is not None else None
    figures["shared_cpus"] = shared
    figures["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    figures["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    return figures


def check(f: dict) -> list[str]:
    """The issue's limits, as failures (empty when all hold)."""
    problems = list(f["errors"]) + list(f["crosstalk"]) + list(f["unanswered"]) + list(f["browser_errors"])
    asked = f["students"] * students.QUESTIONS  # a student whose lesson stopped early asked fewer
    if f["answers"] < asked:
        problems.append(f"{asked - f['answers']} of {asked} questions not answered (or never asked)")
    if f["answer_p95_s"] > LIMITS["answer_p95_s"]:
        problems.append(f"simulated answers took {f['answer_p95_s']:.2f} s at the 95th percentile (limit 1 s)")
    if f["browsers"] and f["browser_p95_s"] > LIMITS["answer_p95_s"]:
        problems.append(f"browser answers took {f['browser_p95_s']:.2f} s at the 95th percentile (limit 1 s)")
    if f["health_p95_s"] > LIMITS["health_p95_s"]:
        problems.append(f"/_stcore/health took {f['health_p95_s']:.2f} s at the 95th percentile (limit 0.5 s)")
    if f["mb_per_session"] > LIMITS["mb_per_session"]:
        problems.append(f"memory grew by {f['mb_per_session']:.1f} MB per session (limit 40 MB)")
    if f["training_threads_after"] > 0:
        problems.append(f"{f['training_threads_after']} training threads {f['ttl_s'] + 10:.0f} s after all left")
    if f["mem_after_mb"] > LIMITS["memory_back_ratio"] * f["mem_base_mb"]:
        problems.append(f"memory {f['mem_after_mb']:.0f} MB after all left, {f['mem_base_mb']:.0f} MB before")
    return problems


def _ms(seconds: float) -> str:
    return "inf" if seconds == math.inf else f"{seconds * 1000:.0f} ms"


def _spread(xs: list[float]) -> str:
    if not xs:
        return "–"
    return f"{statistics.median(xs):.0f} s (min {min(xs):.0f}, max {max(xs):.0f}; {len(xs)} students)"


def table(f: dict) -> str:
    per_student = f["client_cpu_s"]["simulated students"] / max(1, f["students"])
    per_browser = f["client_cpu_s"]["browsers"] / f["browsers"] if f["browsers"] else math.nan
    rows = [
        ("class", f"{f['students']} simulated students + {f['browsers']} Chromium pages, all training while they ask"),
        ("CPU sets", f"server and its training workers {f['server_cpus']}, clients {f['client_cpus']}"
                     + (" (shared: the clients at autogroup nice 10)" if f["shared_cpus"] else "")),
        ("all students training after", f"{f['all_training_after_s']:.1f} s"),
        ("answers, simulated students (p50 / p95 / max; sent → answer's element received)",
         f"{f['answer_p50_s']:.2f} / **{f['answer_p95_s']:.2f}** / {f['answer_max_s']:.2f} s "
         f"({f['answers']} of {f['questions']} questions)"),
        ("answers, browsers (p50 / p95 / max; in the page, Enter → answer shown)",
         f"{f['browser_p50_s']:.2f} / {f['browser_p95_s']:.2f} / {f['browser_max_s']:.2f} s "
         f"({f['browser_answers']} answers)"),
        ("/_stcore/health (p95 / max; a check unanswered in 10 s counts as inf)",
         f"{_ms(f['health_p95_s'])} / {_ms(f['health_max_s'])} ({f['health_checks']} checks, "
         f"{sum(1 for h in f.get('health', []) if h == math.inf)} unanswered)"),
        ("errors / cross-talk / unanswered / wrong answers (students); browser errors",
         f"{len(f['errors'])} / {len(f['crosstalk'])} / {len(f['unanswered'])} / {f['wrong_answers']}; "
         f"{len(f['browser_errors'])}"),
        ("aggregate training while the class asks", f"{f['examples_per_second']:,.0f} examples/s (students) + "
                                                    f"{f['browser_examples_per_s']:,.0f} (browsers)"),
        ("a student's training speed (median, min-max)",
         f"{statistics.median(f['student_examples_per_s']):,.0f} examples/s "
         f"({min(f['student_examples_per_s']):,.0f}-{max(f['student_examples_per_s']):,.0f})"
         if f["student_examples_per_s"] else "–"),
        ("time from Start to 90 % held-out, default preset: seen on the page", _spread(f["to_90_reached"])),
        (f"the same, projected from each student's speed ({EXAMPLES_TO_90:,} examples)", _spread(f["to_90_projected"])),
        ("cores used during the class: " + " / ".join(f["cores"]),
         " / ".join(f"{v:.2f}" for v in f["cores"].values())),
        ("server CPU per session while the class runs (the server's cores / sessions; training not included)",
         f"{f['cores']['server'] / max(1, f['students'] + f['browsers']) * 1000:.1f} ms per second"),
        ("client CPU per simulated student / per browser page (whole run)",
         f"{per_student:.2f} / {per_browser:.2f} s"),
        ("the simulated students' event loop: lag p95 (included in their answer times)",
         f"{f['loop_lag_p95_s'] * 1000:.0f} ms"),
        ("received per simulated student", f"{f['messages_per_student']:,.0f} messages, "
                                           f"{f['mb_received_per_student']:.1f} MB"),
        ("server memory with its workers (PSS): warmed up / peak / after all left",
         f"{f['mem_base_mb']:.0f} / {f['mem_peak_mb']:.0f} / {f['mem_after_mb']:.0f} MB"),
        ("memory per session", f"{f['mb_per_session']:.1f} MB"),
        ("training threads: peak / after all left", f"{f['training_threads_peak']} / {f['training_threads_after']}"
         + ("" if f["threads_back_after_s"] is None else f" (all ended {f['threads_back_after_s']:.0f} s after)")),
        ("server threads: warmed up / peak / after all left",
         f"{f['threads_base']} / {f['threads_peak']} / {f['threads_after']} (session TTL {f['ttl_s']:.0f} s)"),
        ("taken", f"{f['when']}, load average {' '.join(f['loadavg'])} at the end"),
    ]
    return "\n".join(["| measure | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


def sweep_table(runs: list[dict]) -> str:
    head = ("| students (+ browsers) | answers p50 / p95 / max | browsers p95 | health p95 | aggregate examples/s "
            "| a student's examples/s | to 90 %, projected (median) | MB per session | errors / cross-talk |")
    lines = [head, "|" + "---|" * 9]
    for f in runs:
        proj = statistics.median(f["to_90_projected"]) if f["to_90_projected"] else math.nan
        lines.append(
            f"| {f['students']} (+{f['browsers']}) | {f['answer_p50_s']:.2f} / {f['answer_p95_s']:.2f} / "
            f"{f['answer_max_s']:.2f} s | {f['browser_p95_s']:.2f} s | {f['health_p95_s'] * 1000:.0f} ms | "
            f"{f['examples_per_second']:,.0f} | "
            f"{statistics.median(f['student_examples_per_s']) if f['student_examples_per_s'] else math.nan:,.0f} | "
            f"{proj:.0f} s | {f['mb_per_session']:.1f} | {len(f['errors'])} / {len(f['crosstalk'])} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--browsers", type=int, default=5)
    ap.add_argument("--server-cores", type=int, default=None,
                    help="cores for the server and its workers (default: all but one)")
    ap.add_argument("--watch", type=float, default=0.0,
                    help="seconds from the first question during which students watch Train for 90 %% held-out")
    ap.add_argument("--ttl", type=float, default=10.0, help="the server's session time-to-live (s)")
    ap.add_argument("--sweep", nargs="?", const=",".join(map(str, SWEEP)), default=None,
                    help="class sizes, one run each (default 10,40,100)")
    ap.add_argument("--limit", nargs="?", type=int, const=LIMIT_STEPS[0], default=None, metavar="FROM",
                    help="step the class size (from FROM students, default 10) until answers p95 >= 1 s")
    ap.add_argument("--json", default=None, help="also write every run's figures to this file")
    args = ap.parse_args()
    print(f"# {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    runs: list[dict] = []
    sizes = ([int(x) for x in args.sweep.split(",")] if args.sweep
             else [n for n in LIMIT_STEPS if n >= args.limit] if args.limit is not None else [args.students])
    problems: list[str] = []
    for n in sizes:
        f = run(n, args.browsers, args.server_cores, args.watch, args.ttl)
        runs.append(f)
        print(f"\n## {n} students\n\n" + table(f), flush=True)
        problems = check(f)
        for p in problems:
            print(f"FAIL: {p}")
        if args.json:
            Path(args.json).write_text(json.dumps(runs, indent=1))
        if args.limit is not None and f["answer_p95_s"] >= LIMITS["answer_p95_s"]:
            fit = [r["students"] for r in runs if r["answer_p95_s"] < LIMITS["answer_p95_s"]]
            print(f"\nlargest class with answers p95 < 1 s: {max(fit) if fit else 'none'} "
                  f"(server CPUs {f['server_cpus']})")
            break
    if len(runs) > 1:
        print("\n" + sweep_table(runs))
    return 1 if problems and args.limit is None else 0


if __name__ == "__main__":
    sys.exit(main())
