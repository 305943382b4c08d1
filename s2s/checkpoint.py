"""Checkpoints: one ``.npz`` of named float arrays plus JSON metadata, never pickle.

The metadata (array ``__meta__``, UTF-8 JSON bytes) says what model to build (kind, sizes,
reversal), how to read and write text (vocabulary and widths), and where the weights came
from (task, data source, seed, training summary). Loading builds that model, then checks
that the file holds exactly its arrays with the right shapes; anything else is refused with
a :class:`CheckpointError` saying what is wrong.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from s2s.data import Codec
from s2s.models import ModelConfig, Seq2seq, build_model
from s2s.store import write_atomically

FORMAT = "s2s-checkpoint"
VERSION = 1
META_KEY = "__meta__"
MAX_BYTES = 50 * 1024 * 1024  # our largest model is a few MB; refuse anything far bigger
MAX_LAYERS = 16  # a Transformer's layers per stack: far beyond what trains live here
MAX_EXPANSION = 4  # float weights barely compress: more than 4x the file size unpacked is a "zip bomb"


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint of this project; ``kind`` names the reason for the app."""

    def __init__(self, message: str, kind: str = "other"):
        super().__init__(message)
        self.kind = kind


@dataclass
class Checkpoint:
    """A loaded model with its codec and metadata."""

    model: Seq2seq
    codec: Codec
    meta: dict


def save_checkpoint(path: str | Path, model: Seq2seq, codec: Codec, **info) -> None:
    """Write atomically: a temporary file in the same folder, then one rename over ``path``.

    ``info`` goes into the metadata (task, data_source, seed, training summary, ...).
    """
    path = Path(path)
    meta = {"format": FORMAT, "version": VERSION, "model": model.config.to_dict(), "codec": codec.to_dict(), **info}
    arrays = {name: np.ascontiguousarray(p, dtype=np.float32) for name, p, _ in model.named_parameters()}
    arrays[META_KEY] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    write_atomically(path, lambda f: np.savez_compressed(f, **arrays), mode=0o644)  # an ordinary file


def checkpoint_bytes(model: Seq2seq, codec: Codec, **info) -> bytes:
    """The bytes save_checkpoint would write (for downloads)."""
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.npz"
        save_checkpoint(p, model, codec, **info)
        return p.read_bytes()


def _read_meta(raw: np.ndarray) -> dict:
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError("the metadata array is not UTF-8 bytes", "not_ours")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"the metadata is not valid JSON ({e})", "not_ours") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"the metadata does not say format {FORMAT!r}: not a checkpoint of this project",
                              "not_ours")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"checkpoint version {meta.get('version')!r} is not supported (expected {VERSION})",
                              "not_ours")
    return meta


def load_checkpoint(source: str | Path | bytes | BinaryIO, max_bytes: int = MAX_BYTES) -> Checkpoint:
    """Load and check a checkpoint from a path, bytes or a binary file object."""
    if isinstance(source, (str, Path)):
        name = str(source)
        try:
            size = os.path.getsize(source)
            if size > max_bytes:
                raise CheckpointError(
                    f"{name}: {size / 2**20:.0f} MB is too large (at most {max_bytes / 2**20:.0f} MB)", "too_large")
            data = Path(source).read_bytes()
        except OSError as e:
            raise CheckpointError(f"{name}: cannot read the file ({e.strerror or e})", "unreadable") from None
    else:
        name = "upload"
        data = source if isinstance(source, bytes) else source.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise CheckpointError(f"the file is too large (at most {max_bytes / 2**20:.0f} MB)", "too_large")
    try:
        return _load(data, max_bytes)
    except CheckpointError as e:
        raise CheckpointError(f"{name}: {e}", e.kind) from None


def _load(data: bytes, max_bytes: int = MAX_BYTES) -> Checkpoint:
    arrays = _read_arrays(data, max_bytes)
    if META_KEY not in arrays:
        raise CheckpointError(f"no metadata ({META_KEY}): not a checkpoint of this project", "not_ours")
    meta = _read_meta(arrays.pop(META_KEY))
    try:
        codec = Codec.from_dict(meta["codec"])
        config = ModelConfig(**meta["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"the metadata does not describe a model and vocabulary ({e})", "not_ours") from None
    if config.vocab_size != len(codec.vocab):
        raise CheckpointError(f"the model has {config.vocab_size} symbols but the vocabulary {len(codec.vocab)}",
                              "not_ours")
    return Checkpoint(_model_from_arrays(config, arrays), codec, meta)


def _read_arrays(data: bytes, max_bytes: int) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive, refusing what is not one, is damaged, would inflate too far or holds
    pickled objects."""
    if not data:
        raise CheckpointError("the file is empty", "empty")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CheckpointError("not an .npz checkpoint (not a zip archive, or truncated)", "not_npz")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())  # zipfile never inflates beyond these
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise CheckpointError(f"damaged or truncated archive ({e})", "damaged") from None
    if unpacked > MAX_EXPANSION * max_bytes:
        raise CheckpointError(f"the arrays are too large uncompressed ({unpacked / 2**20:.0f} MB, "
                              f"at most {MAX_EXPANSION * max_bytes / 2**20:.0f} MB)", "too_large")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as e:
        if "pickle" in str(e):
            raise CheckpointError("it holds Python objects (pickle), which are never loaded", "pickle") from None
        raise CheckpointError(f"an array cannot be read ({e})", "damaged") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise CheckpointError(f"damaged or truncated archive ({e})", "damaged") from None
    except MemoryError:  # an array header claiming a shape far beyond the data that follows it
        raise CheckpointError("damaged archive: an array header claims an impossible size", "damaged") from None
    return arrays


def _model_from_arrays(config: ModelConfig, arrays: dict[str, np.ndarray]) -> Seq2seq:
    """A model of `config` holding `arrays`, which must be exactly its parameters, finite, in float."""
    # Sizes first, from two arrays every kind has, so that the metadata cannot make us build a huge model.
    V, D, H = config.vocab_size, config.wordvec_size, config.hidden_size
    if config.kind == "transformer":  # as wide as the model; its last layer there, and no more than MAX_LAYERS
        if config.layers > MAX_LAYERS:
            raise CheckpointError(f"{config.layers} layers is more than this app builds ({MAX_LAYERS})", "mismatch")
        sizes = (("encoder.embed.W", (V, H)), (f"encoder.layers.{config.layers - 1}.attn.q.W", (H, H)))
    else:
        rnn, gates = ("encoder.lstm.Wh", 4) if config.cell == "lstm" else ("encoder.gru.Wh", 3)
        sizes = (("encoder.embed.W", (V, D)), (rnn, (H, gates * H)))
    for name, shape in sizes:
        if name not in arrays:
            raise CheckpointError(f"the arrays do not match a {config.kind} model; missing: {name}", "mismatch")
        if arrays[name].shape != shape:
            raise CheckpointError(f"array {name} has shape {arrays[name].shape}, expected {shape}", "mismatch")
    model = build_model(config, np.random.default_rng(0))
    expected = {name: p for name, p, _ in model.named_parameters()}
    missing, extra = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if missing or extra:
        raise CheckpointError(
            "the arrays do not match a " + config.kind + " model"
            + (f"; missing: {', '.join(missing[:5])}" if missing else "")
            + (f"; unexpected: {', '.join(extra[:5])}" if extra else ""), "mismatch")
    for name, p in expected.items():
        a = arrays[name]
        if a.shape != p.shape:
            raise CheckpointError(f"array {name} has shape {a.shape}, expected {p.shape}", "mismatch")
        if a.dtype.kind != "f":
            raise CheckpointError(f"array {name} has dtype {a.dtype}, expected floating point", "mismatch")
        if not np.isfinite(a).all():
            raise CheckpointError(f"array {name} holds inf or NaN", "bad_values")
        with np.errstate(over="ignore"):
            a = a.astype(p.dtype)
        if not np.isfinite(a).all():
            raise CheckpointError(f"array {name} holds values too large for {p.dtype}", "bad_values")
        p[...] = a
    return model
