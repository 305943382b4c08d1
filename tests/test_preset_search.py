"""The preset search benchmark: its --quick path runs in-process and prints figures that parse."""

from __future__ import annotations

import dataclasses
import json
import math

from benchmarks import preset_search


def test_quick_prints_runs_summaries_and_a_table(capsys):
    # --quick is two set-ups, seed 0, at most 300 iterations; 100 here keeps the test short on a busy machine
    assert preset_search.main(["--quick", "--max-iterations", "100"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# machine: ")
    records = [json.loads(line) for line in out if line.startswith("{")]
    runs = [r for r in records if "seed" in r]
    summaries = [r for r in records if r.get("summary")]
    assert [r["hidden"] for r in runs] == [96, 64] and {r["seed"] for r in runs} == {0}
    for r in runs:
        assert r["iterations"] == 100 and r["examples"] == 100 * r["batch"]
        assert r["reached"] is False and r["stopped"] == "cap"
        for field in ("train_seconds", "cpu_seconds", "train_seconds_per_1000", "cpu_seconds_per_1000",
                      "least_cpu_seconds_per_1000", "eval_seconds_per_1000_questions"):
            assert r[field] > 0, field
        assert 0 <= r["val_accuracy_1000"] <= 1
    assert len(summaries) == 2 and all(s["seconds_per_1000"] > 0 for s in summaries)
    table = [line for line in out if line.startswith("|")]
    assert len(table) == 2 + 2 and "not reached" in table[2]


def test_summary_medians_count_a_run_not_reached_as_infinite(monkeypatch):
    setup = preset_search.default_setup()
    monkeypatch.setitem(preset_search.COST, preset_search.shape(setup), 0.1)  # s per 1,000 examples
    runs = [{"seed": s, "reached": ok, "stopped": None if ok else "cap", "iterations": it, "examples": it * 128,
             "examples_1000": it * 128, "train_seconds": it / 50, "cpu_seconds": it / 80,
             "eval_seconds_per_1000_questions": 0.05} for s, ok, it in [(0, True, 1000), (1, False, 3125),
                                                                          (2, True, 1500)]]
    s = preset_search.summarize(setup, runs)
    assert s["reached"] == 2 and s["iterations"] == [1000, "cap", 1500]
    assert s["median_examples"] == 1500 * 128
    assert math.isclose(s["median_seconds"], 1500 * 128 * 0.1 / 1000)
    assert math.isclose(s["est_2core_seconds"], s["median_seconds"] / preset_search.TWO_CORE_SPEEDUP)
    runs[2]["reached"], runs[2]["stopped"] = False, "pruned"
    s = preset_search.summarize(setup, runs)
    assert math.isinf(s["median_examples"]) and math.isinf(s["est_2core_seconds"])
    row = preset_search.table([s | {"axis": "test"}], None).splitlines()[2]
    assert "not reached" in row and "1000, cap, pruned" in row


def test_forget_bias_is_a_field_and_an_axis_of_the_search():
    setup = preset_search.default_setup()
    other = dataclasses.replace(setup, forget_bias=setup.forget_bias + 1)
    assert preset_search.setup_key(other) != preset_search.setup_key(setup)
    assert f" fb{other.forget_bias:g} " in preset_search.setup_name(other)
    assert preset_search.shape(other) == preset_search.shape(setup)  # a step costs the same
    assert [c["forget_bias"] for c in dict(preset_search.AXES)["forget_bias"]] == [0.0, 1.0, 2.0]
    r = preset_search.run(other, 0, 0.9, max_examples=10**6, max_iterations=2)
    assert r["forget_bias"] == other.forget_bias and r["iterations"] == 2 and r["setup"].count("fb") == 1
