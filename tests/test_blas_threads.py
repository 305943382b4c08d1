"""One BLAS thread per process: the commands, the benchmarks, the worker processes and the running app.

Each entry point sets it before numpy loads (s2s.fast.blas); the processes here start with no
``*_NUM_THREADS`` variable, so nothing but the project's own setting can give them one thread.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from s2s.data import make_split
from s2s.fast.blas import BLAS_THREAD_VARIABLES
from s2s.fast.parallel import ProcessDataParallel
from s2s.fast.pool import StepPool
from s2s.models import ModelConfig, build_model

ROOT = Path(__file__).resolve().parents[1]
LINUX = Path("/proc/self/task").exists()


def clean_environment() -> dict[str, str]:
    """This process's environment without any BLAS thread setting."""
    return {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}


def blas_threads_of_this_process() -> list[int]:
    """Threads of every BLAS library loaded here (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def test_the_test_process_itself_has_one_blas_thread():
    pytest.importorskip("threadpoolctl")
    assert blas_threads_of_this_process() and set(blas_threads_of_this_process()) == {1}  # tests/conftest.py


@pytest.mark.parametrize("module", ["s2s.train", "s2s.eval", "s2s.decode", "benchmarks.speed",
                                    "benchmarks.preset_search", "benchmarks.race", "benchmarks.inside_latency",
                                    "benchmarks.book_comparison"])
def test_each_entry_point_loads_numpy_with_one_blas_thread(module):
    pytest.importorskip("threadpoolctl")
    code = (f"import importlib, json, threadpoolctl; importlib.import_module({module!r}); "
            "print(json.dumps([lib['num_threads'] for lib in threadpoolctl.threadpool_info() "
            "if lib['user_api'] == 'blas']))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean_environment(), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout.splitlines()[-1])
    assert counts and set(counts) == {1}, f"{module}: BLAS threads {counts}"


@pytest.mark.skipif(not LINUX or not hasattr(os, "memfd_create"), reason="worker processes need Linux")
def test_worker_processes_have_one_blas_thread_whatever_the_parent_has(monkeypatch):
    """A worker process is one core's share of the work: one BLAS thread even when the parent's
    environment asks for more, and no other thread."""
    for name in BLAS_THREAD_VARIABLES:
        monkeypatch.setenv(name, "4")
    data, _ = make_split("sort", 64, 1, seed=0)
    model = build_model(ModelConfig(kind="peeky", vocab_size=len(data.codec.vocab), wordvec_size=6, hidden_size=10,
                                    reverse=True), np.random.default_rng(3))
    pool = StepPool(1)
    steps = pool.attach(model, len(data), data.xs.shape[1], data.ts.shape[1])
    parallel = None
    try:
        steps.forward_backward(data.xs, data.ts)  # numpy and OpenBLAS are loaded and have worked
        steps.close()
        parallel = ProcessDataParallel(build_model(model.config), 2, len(data), data.xs.shape[1], data.ts.shape[1])
        parallel.forward_backward(data.xs, data.ts)
        pids = [*pool.pids(), pool.solo_pid(), *(p.pid for p in parallel.workers)]
        assert len(pids) == 3 and None not in pids
        for pid in pids:
            assert {name: environment(pid).get(name) for name in BLAS_THREAD_VARIABLES} == \
                dict.fromkeys(BLAS_THREAD_VARIABLES, "1")
            assert threads(pid) == 1, f"worker process {pid} runs {threads(pid)} threads"
    finally:
        if parallel is not None:
            parallel.close()
        pool.close()


# Stands for `python -m streamlit` (which is `streamlit.web.cli.main`), plus a thread that, once asked,
# writes the BLAS libraries' thread counts of the server process: the app itself has no diagnostic page.
PROBE = textwrap.dedent("""
    import json, os, sys, threading, time

    def probe(ask, answer):
        while not os.path.exists(ask):
            time.sleep(0.1)
        import threadpoolctl  # loads no BLAS of its own: it reads those already loaded
        counts = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
        with open(answer + ".part", "w") as f:
            json.dump({"numpy": "numpy" in sys.modules, "blas_threads": counts}, f)
        os.replace(answer + ".part", answer)

    threading.Thread(target=probe, args=(os.environ["PROBE_ASK"], os.environ["PROBE_ANSWER"]), daemon=True).start()
    from streamlit.web.cli import main
    main(prog_name="streamlit")
""")


@pytest.mark.browser
def test_the_running_app_server_and_its_pool_workers_use_one_blas_thread_each(tmp_path):
    """`streamlit run app.py` with no BLAS setting in its environment: once a session trains on the
    Train page, the server process and every worker process of its step pool use one BLAS thread."""
    pytest.importorskip("threadpoolctl")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists() and os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        pytest.skip("Chromium is not installed")
    if not LINUX:
        pytest.skip("needs /proc")
    from playwright.sync_api import expect, sync_playwright

    from benchmarks.load import CHROMIUM_ARGS, family, streamlit_server

    ask, answer = tmp_path / "ask", tmp_path / "answer.json"
    env = {**clean_environment(), "PROBE_ASK": str(ask), "PROBE_ANSWER": str(answer)}
    with streamlit_server(log_dir=tmp_path, env=env, launcher=[sys.executable, "-c", PROBE]) as (url, server), \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url + "/train")
            page.locator(".st-key-train_start button").click(timeout=30000)
            expect(page.get_by_test_id("stMetricValue").nth(1)).not_to_have_text("0", timeout=30000)
            workers = family(server.pid)[1:]
            assert len(workers) >= 2, "the step pool's worker processes did not start"  # low priority and solo
            for pid in workers:
                assert "s2s.fast.worker" in Path(f"/proc/{pid}/cmdline").read_text()
                assert environment(pid).get("OPENBLAS_NUM_THREADS") == "1"
                assert threads(pid) == 1, f"worker process {pid} runs {threads(pid)} threads"
            ask.touch()
            deadline = time.monotonic() + 10
            while not answer.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            seen = json.loads(answer.read_text())
            page.locator(".st-key-train_pause button").click()
        finally:
            browser.close()
    assert seen["numpy"] and seen["blas_threads"] and set(seen["blas_threads"]) == {1}, seen
