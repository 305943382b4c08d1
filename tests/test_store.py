"""Saved runs on disk (s2s.store): tokens, atomic saves, damaged files, expiry, the quota and the size limit."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from s2s.store import (
    LOW_WATER,
    TIDY_EVERY,
    TOKEN_BYTES,
    VERSION,
    RunStore,
    StoreError,
    check_token,
    new_token,
    store_from_environment,
)

MB = 2**20


def make_store(root: Path, quota=64 * MB, run_limit=16 * MB, ttl=3600.0, clock=time.time) -> RunStore:
    return RunStore(root, quota, run_limit, ttl, clock)


def arrays(mb: float = 0.1, seed: int = 0) -> dict[str, np.ndarray]:
    return {"w": np.random.default_rng(seed).standard_normal(int(mb * MB / 8))}


def test_tokens_are_long_random_and_url_safe():
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert check_token(token) == token
        assert len(token) == 32 and TOKEN_BYTES * 8 >= 128


@pytest.mark.parametrize("bad", ["", "short", "../../etc/passwd" + "a" * 16, "a" * 31, "a" * 33, "a/" * 16,
                                 "a" * 31 + ".", "ａ" * 32, None, 12345, "a" * 31 + "\n"])
def test_a_malformed_token_is_refused_before_any_path_is_made(tmp_path, bad):
    runs = make_store(tmp_path)
    with pytest.raises(StoreError) as e:
        runs.path(bad)
    assert e.value.kind == "malformed"
    with pytest.raises(StoreError):
        runs.load(bad)


def test_files_are_named_by_a_hash_inside_the_folder(tmp_path):
    runs = make_store(tmp_path)
    token = new_token()
    runs.save(token, {"n": 1}, arrays())
    (only,) = [p for p in tmp_path.iterdir()]
    assert only.parent == tmp_path and token not in only.name
    assert only.name.endswith(".run.npz")


def test_save_and_load_round_trip(tmp_path):
    runs = make_store(tmp_path)
    token, a = new_token(), arrays()
    runs.save(token, {"status": "running", "nested": {"x": [1, 2]}}, a)
    saved = runs.load(token)
    assert saved.meta["status"] == "running" and saved.meta["nested"] == {"x": [1, 2]}
    assert saved.meta["version"] == VERSION
    np.testing.assert_array_equal(saved.arrays["w"], a["w"])
    assert abs(saved.saved_at - time.time()) < 60


def test_another_token_reads_nothing(tmp_path):
    runs = make_store(tmp_path)
    token = new_token()
    runs.save(token, {}, arrays())
    other = token[:-1] + ("A" if token[-1] != "A" else "B")  # one character changed
    with pytest.raises(StoreError) as e:
        runs.load(other)
    assert e.value.kind == "unknown"


def corrupt_variants(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    return {"truncated": data[: len(data) // 2], "empty": b"", "flipped": bytes(flipped), "text": b"hello"}


def test_a_damaged_save_is_reported_not_raised(tmp_path):
    runs = make_store(tmp_path)
    token = new_token()
    runs.save(token, {}, arrays())
    path = runs.path(token)
    for name, data in corrupt_variants(path).items():
        path.write_bytes(data)
        with pytest.raises(StoreError) as e:
            runs.load(token)
        assert e.value.kind == "corrupt", name


def test_a_save_of_another_format_version_is_named(tmp_path):
    runs = make_store(tmp_path)
    token = new_token()
    meta = np.frombuffer(json.dumps({"format": "s2s-run", "version": VERSION + 1}).encode(), np.uint8)
    np.savez(runs.path(token), __meta__=meta, w=np.zeros(3))
    with pytest.raises(StoreError) as e:
        runs.load(token)
    assert e.value.kind == "old_format" and str(VERSION + 1) in str(e.value)


def test_a_file_with_pickled_objects_is_refused(tmp_path):
    runs = make_store(tmp_path)
    token = new_token()
    np.savez(runs.path(token), __meta__=np.array([{"format": "s2s-run"}], dtype=object))
    with pytest.raises(StoreError) as e:
        runs.load(token)
    assert e.value.kind == "corrupt"


def test_an_expired_run_is_removed_and_named(tmp_path):
    now = [time.time()]
    runs = make_store(tmp_path, ttl=3600, clock=lambda: now[0])
    token = new_token()
    runs.save(token, {}, arrays())
    runs.load(token)
    now[0] += 3601
    with pytest.raises(StoreError) as e:
        runs.load(token)
    assert e.value.kind == "expired"
    assert not runs.path(token).exists()


def test_over_the_quota_the_oldest_runs_go_first_and_the_saving_run_stays(tmp_path):
    runs = make_store(tmp_path, quota=int(1.05 * MB), run_limit=MB)
    tokens = [new_token() for _ in range(5)]
    for k, token in enumerate(tokens):
        runs.save(token, {"k": k}, arrays(0.3, k))
        os.utime(runs.path(token), (1000 + k, time.time() - 100 + k))  # saved in this order
    # 5 x 0.3 MB > 1.05 MB: the newest three fit, the two oldest went when the later ones were saved
    assert [runs.has(t, "run") for t in tokens] == [False, False, True, True, True]
    assert runs.usage() <= 1.05 * MB
    runs.save(tokens[2], {"k": 2}, arrays(0.3, 2))  # saving the oldest left makes it the newest
    runs.save(new_token(), {}, arrays(0.3, 9))
    assert runs.has(tokens[2], "run") and not runs.has(tokens[3], "run")


def test_while_the_runs_fit_the_quota_the_folder_is_scanned_at_most_every_tidy_every_seconds(tmp_path):
    now = [10_000.0]
    runs = make_store(tmp_path, ttl=100.0, clock=lambda: now[0])
    old, ours = new_token(), new_token()
    runs.save(old, {}, arrays(0.1, 1))  # the first save scans the folder
    os.utime(runs.path(old), (now[0] - 500, now[0] - 500))  # expired long ago
    now[0] += TIDY_EVERY / 2
    runs.save(ours, {}, arrays(0.1, 2))  # a new run, soon after: no scan yet
    runs.save(ours, {}, arrays(0.2, 3))  # larger, still within the quota: no scan either
    assert runs.has(old, "run")
    now[0] += TIDY_EVERY / 2
    runs.save(ours, {}, arrays(0.2, 4))  # TIDY_EVERY after the last scan: the expired run goes
    assert not runs.has(old, "run") and runs.has(ours, "run")


def test_a_save_past_the_quota_tidies_at_once_down_to_the_low_water_mark(tmp_path):
    runs = make_store(tmp_path, quota=int(1.95 * MB), run_limit=MB)
    scans = []
    tidy = runs.tidy
    runs.tidy = lambda keep=None: scans.append(keep) or tidy(keep)
    tokens = [new_token() for _ in range(10)]
    for k, token in enumerate(tokens[:6]):
        runs.save(token, {"k": k}, arrays(0.3, k))
        os.utime(runs.path(token), (1000 + k, time.time() - 100 + k))  # saved in this order
    assert len(scans) == 1  # the first save only: 6 x 0.3 MB fit in 1.95 MB
    runs.save(tokens[6], {}, arrays(0.3, 6))  # 2.1 MB: over, so the oldest go until at most 90 % of the quota is taken
    assert len(scans) == 2 and runs.usage() <= LOW_WATER * 1.95 * MB
    assert [runs.has(t, "run") for t in tokens[:7]] == [False] * 2 + [True] * 5
    runs.save(tokens[7], {}, arrays(0.3, 7))  # back under the quota without a scan
    assert len(scans) == 2 and runs.has(tokens[2], "run")


def test_a_run_over_the_size_limit_is_not_saved_and_the_previous_save_stays(tmp_path):
    runs = make_store(tmp_path, run_limit=MB)
    token = new_token()
    runs.save(token, {"n": 1}, arrays(0.2))
    with pytest.raises(StoreError) as e:
        runs.save(token, {"n": 2}, arrays(2.0))
    assert e.value.kind == "too_large" and "MB" in str(e.value)
    assert runs.load(token).meta["n"] == 1


def test_the_data_part_counts_towards_the_size_limit_and_goes_with_its_run(tmp_path):
    runs = make_store(tmp_path, run_limit=MB)
    token = new_token()
    runs.save(token, {}, arrays(0.6), part="data")
    with pytest.raises(StoreError):
        runs.save(token, {}, arrays(0.6))
    runs.save(token, {}, arrays(0.2))
    runs.delete(token)
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_folder_says_so(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere: a folder that cannot be made stands for one that cannot be written
        runs = make_store(Path("/proc/no-such-folder"))
    else:
        tmp_path.chmod(0o500)
        runs = make_store(tmp_path / "runs")
    with pytest.raises(StoreError) as e:
        runs.check_writable()
    assert e.value.kind == "unwritable"
    with pytest.raises(StoreError) as e:
        runs.save(new_token(), {}, arrays())
    assert e.value.kind == "unwritable"


def test_left_over_temporary_files_are_cleared(tmp_path):
    runs = make_store(tmp_path)
    stale = tmp_path / ".abc.run.npz.123.tmp"
    stale.write_bytes(b"x" * 100)
    os.utime(stale, (0, time.time() - 3600))
    fresh = tmp_path / ".def.run.npz.456.tmp"  # a save going on in another server
    fresh.write_bytes(b"x")
    runs.tidy()
    assert not stale.exists() and fresh.exists()


KILLED_SAVE = """
import sys, numpy as np
from s2s.store import RunStore
runs = RunStore(sys.argv[1], 2**40, 2**40, 3600)
print("saving", flush=True)
runs.save(sys.argv[2], {"n": 2}, {"w": np.ones(400 * 2**20 // 8)})
"""


def test_a_server_killed_during_a_save_leaves_the_previous_save_whole(tmp_path):
    runs = make_store(tmp_path, quota=2**40, run_limit=2**40)
    token = new_token()
    runs.save(token, {"n": 1}, arrays(0.5))
    before = runs.path(token).read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(tmp_path), token], stdout=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parents[1], text=True)
    assert proc.stdout.readline().strip() == "saving"
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") and p.stat().st_size > 10 * MB for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, "the save never started writing"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert runs.path(token).read_bytes() == before
    assert runs.load(token).meta["n"] == 1


def test_settings_come_from_the_environment(tmp_path):
    runs = store_from_environment({"S2S_STATE_DIR": str(tmp_path), "S2S_STATE_QUOTA_MB": "10",
                                   "S2S_RUN_LIMIT_MB": "2", "S2S_STATE_TTL_HOURS": "0.5"})
    assert (runs.root, runs.quota, runs.run_limit, runs.ttl) == (tmp_path, 10 * MB, 2 * MB, 1800)
    default = store_from_environment({"HOME": str(tmp_path)})
    assert default.root == tmp_path / ".cache" / "seq2seq-classroom" / "runs" and default.ttl == 24 * 3600
    for bad in ("-1", "0", "lots", "inf", "nan"):
        with pytest.raises(ValueError, match="S2S_STATE_QUOTA_MB"):
            store_from_environment({"S2S_STATE_DIR": str(tmp_path), "S2S_STATE_QUOTA_MB": bad})
