"""Checkpoints (s2s.checkpoint): round trips, atomic writes, and every kind of bad file refused clearly."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

import s2s.checkpoint as checkpoint_module
from s2s.checkpoint import CheckpointError, checkpoint_bytes, load_checkpoint, save_checkpoint
from s2s.data import task_codec
from s2s.models import MODEL_KINDS, ModelConfig, build_model

META = "__meta__"


def make_model(kind="peeky", seed=0):
    codec = task_codec("sort")
    rng = np.random.default_rng(seed)
    model = build_model(ModelConfig(kind=kind, vocab_size=len(codec.vocab), wordvec_size=4, hidden_size=6,
                                    reverse=True), rng)
    for _, p, _ in model.named_parameters():
        p[...] = rng.standard_normal(p.shape) * 0.8
    return model, codec


def questions(codec, n=20, seed=1):
    rng = np.random.default_rng(seed)
    return rng.integers(0, len(codec.vocab), size=(n, codec.question_width))


@pytest.fixture
def good(tmp_path):
    model, codec = make_model()
    path = tmp_path / "model.npz"
    save_checkpoint(path, model, codec, task="sort", seed=3, note="日本語 ok")
    return path


def read_arrays(path):
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def rewrite(tmp_path, arrays, name="bad.npz"):
    out = tmp_path / name
    np.savez(out, **arrays)
    return out


def with_meta(arrays, meta):
    return {**arrays, META: np.frombuffer(json.dumps(meta).encode(), np.uint8)}


def refused(source, match, **kw):
    with pytest.raises(CheckpointError, match=match) as e:
        load_checkpoint(source, **kw)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


# ------------------------------------------------------------------------------------------------
# round trips


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_round_trip_same_parameters_meta_and_answers(tmp_path, kind):
    model, codec = make_model(kind)
    path = tmp_path / f"{kind}.npz"
    info = {"task": "sort", "seed": 3, "training": {"epochs": 2.0, "val_accuracy": 0.5}, "note": "日本語"}
    save_checkpoint(path, model, codec, **info)
    ck = load_checkpoint(path)
    assert ck.model.config == model.config
    assert type(ck.model) is type(model)
    assert ck.codec == codec and ck.codec.to_dict() == codec.to_dict()
    for k, v in info.items():
        assert ck.meta[k] == v
    assert ck.meta["model"] == model.config.to_dict()
    loaded = dict((n, p) for n, p, _ in ck.model.named_parameters())
    for name, p, _ in model.named_parameters():
        assert loaded[name].dtype == np.float32
        assert np.array_equal(loaded[name], p), name
    xs = questions(codec)
    assert np.array_equal(ck.model.generate(xs, codec.vocab.start_id, 5), model.generate(xs, codec.vocab.start_id, 5))


def test_checkpoint_bytes_round_trip(good):
    model, codec = make_model()
    data = checkpoint_bytes(model, codec, task="sort")
    for source in (data, io.BytesIO(data)):
        ck = load_checkpoint(source)
        assert ck.meta["task"] == "sort"
        for (n1, p1, _), (n2, p2, _) in zip(ck.model.named_parameters(), model.named_parameters(), strict=True):
            assert n1 == n2 and np.array_equal(p1, p2)
    assert load_checkpoint(good.read_bytes()).meta == load_checkpoint(good).meta


def test_float64_model_is_saved_as_float32(tmp_path):
    codec = task_codec("sort")
    model = build_model(ModelConfig(kind="seq2seq", vocab_size=len(codec.vocab), wordvec_size=3, hidden_size=4),
                        np.random.default_rng(0), np.float64)
    save_checkpoint(tmp_path / "m.npz", model, codec)
    arrays = read_arrays(tmp_path / "m.npz")
    assert all(a.dtype == np.float32 for k, a in arrays.items() if k != META)
    ck = load_checkpoint(tmp_path / "m.npz")
    for (_, p1, _), (_, p2, _) in zip(ck.model.named_parameters(), model.named_parameters(), strict=True):
        assert np.allclose(p1, p2, rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# atomic writes


def test_save_leaves_no_temporary_files_and_an_ordinary_file(good):
    model, codec = make_model(seed=5)
    save_checkpoint(good, model, codec)  # overwrite
    assert sorted(p.name for p in good.parent.iterdir()) == ["model.npz"]
    assert stat.S_IMODE(os.stat(good).st_mode) & 0o044 == 0o044  # readable like any file, not private


@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()])
def test_failing_save_keeps_the_previous_file(good, monkeypatch, error):
    before = good.read_bytes()
    real = np.savez_compressed

    def half_then_fail(f, **arrays):
        buf = io.BytesIO()
        real(buf, **arrays)
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])  # a partial archive is on disk...
        raise error  # ...when the write fails

    monkeypatch.setattr(checkpoint_module.np, "savez_compressed", half_then_fail)
    model, codec = make_model(seed=9)
    with pytest.raises(type(error)):
        save_checkpoint(good, model, codec)
    monkeypatch.undo()
    assert good.read_bytes() == before
    assert sorted(p.name for p in good.parent.iterdir()) == ["model.npz"]
    assert load_checkpoint(good).meta["task"] == "sort"


# ------------------------------------------------------------------------------------------------
# refusals


def test_empty_file(tmp_path):
    p = tmp_path / "empty.npz"
    p.write_bytes(b"")
    msg = refused(p, "empty")
    assert msg.startswith(str(p))
    refused(b"", "empty")


def test_random_bytes(tmp_path):
    p = tmp_path / "random.npz"
    p.write_bytes(np.random.default_rng(0).bytes(5000))
    refused(p, "not an .npz")


def test_truncated_file(tmp_path, good):
    p = tmp_path / "half.npz"
    data = good.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    refused(p, "truncated")


def test_pickled_object_array(tmp_path):
    p = tmp_path / "obj.npz"
    np.savez(p, a=np.array([{"x": 1}], dtype=object))
    refused(p, "pickle")


def test_missing_metadata(tmp_path, good):
    arrays = read_arrays(good)
    del arrays[META]
    refused(rewrite(tmp_path, arrays), "no metadata")


def test_bad_json_metadata(tmp_path, good):
    arrays = read_arrays(good)
    arrays[META] = np.frombuffer(b'{"format": "s2s-checkpoint", ', np.uint8)
    refused(rewrite(tmp_path, arrays), "not valid JSON")
    arrays[META] = np.frombuffer(b"\xff\xfe\x00", np.uint8)
    refused(rewrite(tmp_path, arrays), "not valid JSON")
    arrays[META] = np.zeros(3, np.float32)
    refused(rewrite(tmp_path, arrays), "not UTF-8 bytes")


def test_wrong_format_or_version(tmp_path, good):
    arrays = read_arrays(good)
    meta = json.loads(arrays[META].tobytes())
    refused(rewrite(tmp_path, with_meta(arrays, {**meta, "format": "keras"})), "format")
    refused(rewrite(tmp_path, with_meta(arrays, [1, 2])), "format")
    refused(rewrite(tmp_path, with_meta(arrays, {**meta, "version": 99})), "version 99")


def test_metadata_without_model_or_codec(tmp_path, good):
    arrays = read_arrays(good)
    meta = json.loads(arrays[META].tobytes())
    no_model = {k: v for k, v in meta.items() if k != "model"}
    refused(rewrite(tmp_path, with_meta(arrays, no_model)), "does not describe")
    refused(rewrite(tmp_path, with_meta(arrays, {**meta, "model": {**meta["model"], "kind": "gpt"}})), "does not")
    refused(rewrite(tmp_path, with_meta(arrays, {**meta, "codec": {"chars": "ab"}})), "does not describe")
    refused(rewrite(tmp_path, with_meta(arrays, {**meta, "model": {**meta["model"], "vocab_size": 40}})), "symbols")


@pytest.mark.parametrize("value", [100_000, 5.5, "6", None, True])
def test_impossible_sizes_in_metadata(tmp_path, good, value):
    arrays = read_arrays(good)
    meta = json.loads(arrays[META].tobytes())
    meta["model"]["hidden_size"] = value  # the arrays are for hidden size 6
    refused(rewrite(tmp_path, with_meta(arrays, meta)), "hidden_size|hidden size|shape|expected")


def test_wrong_shape(tmp_path, good):
    arrays = read_arrays(good)
    arrays["decoder.lstm.Wh"] = np.zeros((6, 20), np.float32)
    msg = refused(rewrite(tmp_path, arrays), "shape")
    assert "decoder.lstm.Wh" in msg and "(6, 20)" in msg and "(6, 24)" in msg


def test_missing_and_extra_arrays(tmp_path, good):
    arrays = read_arrays(good)
    missing = {k: v for k, v in arrays.items() if k != "decoder.Wpeek"}
    refused(rewrite(tmp_path, missing), "missing: decoder.Wpeek")
    refused(rewrite(tmp_path, {**arrays, "decoder.attention.W": np.zeros(3, np.float32)}),
            "unexpected: decoder.attention.W")


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.complex64])
def test_non_float_dtype(tmp_path, good, dtype):
    arrays = read_arrays(good)
    arrays["encoder.lstm.b"] = np.zeros(arrays["encoder.lstm.b"].shape, dtype)
    msg = refused(rewrite(tmp_path, arrays), "dtype")
    assert "encoder.lstm.b" in msg


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(tmp_path, good, bad):
    arrays = read_arrays(good)
    arrays["decoder.affine.W"] = arrays["decoder.affine.W"].copy()
    arrays["decoder.affine.W"][2, 3] = bad
    refused(rewrite(tmp_path, arrays), "decoder.affine.W holds inf or NaN")


def test_float64_values_beyond_float32_range(tmp_path, good):
    arrays = read_arrays(good)
    arrays["decoder.affine.b"] = np.full(arrays["decoder.affine.b"].shape, 1e300)  # finite, but inf in float32
    refused(rewrite(tmp_path, arrays), "decoder.affine.b")
    arrays["decoder.affine.b"] = np.full(arrays["decoder.affine.b"].shape, 1e30)  # float64 that fits is fine
    ck = load_checkpoint(rewrite(tmp_path, arrays, "ok.npz"))
    assert np.all(ck.model.decoder.affine.params["b"] == np.float32(1e30))


def test_too_large(tmp_path, good):
    size = good.stat().st_size
    refused(good, "too large", max_bytes=size - 1)
    refused(good.read_bytes(), "too large", max_bytes=size - 1)
    refused(io.BytesIO(good.read_bytes()), "too large", max_bytes=size - 1)
    assert load_checkpoint(good, max_bytes=size).meta["task"] == "sort"


def test_highly_compressed_arrays_are_refused(tmp_path, good):
    arrays = read_arrays(good)
    arrays["padding"] = np.zeros(4_000_000, np.float32)  # 16 MB that compresses to a few kB
    p = tmp_path / "bomb.npz"
    np.savez_compressed(p, **arrays)
    assert p.stat().st_size < 200_000
    refused(p, "too large|uncompressed", max_bytes=1_000_000)


def test_array_header_claiming_an_impossible_size(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**13,)})
    p = tmp_path / "header.npz"
    with zipfile.ZipFile(p, "w") as z:  # 40 TB promised, 64 bytes given
        z.writestr("encoder.embed.W.npy", header.getvalue() + bytes(64))
    refused(p, "damaged|truncated|cannot be read|impossible")


def test_unreadable_path(tmp_path):
    refused(tmp_path / "nope.npz", "cannot read")
    refused(tmp_path, "cannot read")


def test_every_message_names_the_source(tmp_path):
    p = Path(tmp_path) / "x.npz"
    p.write_bytes(b"PK junk")
    assert refused(p, "not an .npz").startswith(f"{p}: ")
    assert refused(b"PK junk", "not an .npz").startswith("upload: ")


def test_errors_name_their_kind_for_the_app(tmp_path):
    from s2s.checkpoint import CheckpointError, load_checkpoint

    cases = {"empty": b"", "not_npz": b"random bytes, not a zip"}
    for kind, data in cases.items():
        with pytest.raises(CheckpointError) as e:
            load_checkpoint(data)
        assert e.value.kind == kind
    pickled = tmp_path / "p.npz"
    np.savez(pickled, a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(pickled)
    assert e.value.kind == "pickle"


def test_killing_the_process_while_saving_never_leaves_a_broken_checkpoint(tmp_path):
    """A child process saves the same checkpoint over and over; we kill it at random moments. The file
    at the target path is always a complete checkpoint (os.replace is atomic)."""
    import signal
    import subprocess
    import sys
    import time

    from s2s.checkpoint import load_checkpoint

    target = tmp_path / "model.npz"
    script = (
        "import numpy as np, sys\n"
        "from s2s.data import task_codec\n"
        "from s2s.models import ModelConfig, build_model\n"
        "from s2s.checkpoint import save_checkpoint\n"
        "codec = task_codec('date')\n"
        "m = build_model(ModelConfig(kind='attention', vocab_size=len(codec.vocab), hidden_size=256, reverse=True),"
        " np.random.default_rng(0))\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    save_checkpoint(sys.argv[1], m, codec, task='date')\n"
    )
    root = Path(__file__).resolve().parents[1]
    rng = np.random.default_rng(0)
    kills = 0
    for attempt in range(6):
        child = subprocess.Popen([sys.executable, "-c", script, str(target)], cwd=root, stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(1.0 if attempt == 0 else float(rng.uniform(0.05, 0.6)))  # the first run completes a save
        child.send_signal(signal.SIGKILL)
        child.wait()
        kills += 1
        if target.exists():
            ck = load_checkpoint(target)  # raises if the file were half-written
            assert ck.model.config.hidden_size == 256
    assert kills == 6 and target.exists()
