"""Our NumPy Transformer against PyTorch's nn.Transformer on the same weights: equal loss and gradients, and
the time of a training epoch. PyTorch is optional (`pip install torch==2.13.0`): without it this says so.

    python -m benchmarks.transformer_peer [--repeats 3]

1. Equality, in float64: a model of width 32, 4 heads, 2 layers per stack (s2s.transformer) and an
   nn.Transformer with the same sizes, post-norm, ReLU, no dropout, batch_first, given our weights (its
   in_proj_weight is our Wq, Wk, Wv transposed and stacked; its embeddings and positions are ours), on a batch
   of dates: the largest relative difference of the loss and of every parameter's gradient (goal: 1e-5).
2. Speed, in float32 with default flags: seconds per epoch (45,000 examples, batch 128) of the date task
   (questions of 29 characters, answers of 10) for width 64, 4 heads, 2 layers, Adam, ours on 2 processes
   (the command line's default) and PyTorch with its default threads, interleaved; the ratio (goal: at most
   1.0).
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread(names=["OPENBLAS_NUM_THREADS"]))  # ours one BLAS thread; PyTorch its defaults

import argparse
import math
import statistics
import sys
import time

import numpy as np

from s2s.data import make_split
from s2s.fast.parallel import data_parallel
from s2s.models import ModelConfig, build_model
from s2s.trainer import TrainConfig, Trainer
from s2s.transformer import positional_encoding

try:
    import torch
    from torch import nn
except ImportError:
    torch = nn = None

BATCHES_PER_EPOCH = 45000 // 128
CORES = 2  # ours: worker processes, one BLAS thread each (s2s.fast.parallel); PyTorch: its default threads


def torch_twin(model, dtype):
    """An nn.Transformer (and embeddings, output layer) holding `model`'s weights."""
    cfg = model.config
    d, V = cfg.hidden_size, cfg.vocab_size
    t = nn.Transformer(d_model=d, nhead=cfg.heads, num_encoder_layers=cfg.layers, num_decoder_layers=cfg.layers,
                       dim_feedforward=4 * d, dropout=0.0, batch_first=True).to(dtype)
    parts = {"src": nn.Embedding(V, d), "tgt": nn.Embedding(V, d), "out": nn.Linear(d, V)}
    ours = dict((name, p) for name, p, _ in model.named_parameters())

    def put(param, name, transpose=False):
        value = ours[name].T if transpose else ours[name]
        param.data = torch.from_numpy(np.ascontiguousarray(value)).to(dtype)

    def attention(mha, prefix):
        W = np.concatenate([ours[f"{prefix}.{k}.W"].T for k in "qkv"])
        b = np.concatenate([ours[f"{prefix}.{k}.b"] for k in "qkv"])
        mha.in_proj_weight.data, mha.in_proj_bias.data = (torch.from_numpy(a).to(dtype) for a in (W, b))
        put(mha.out_proj.weight, f"{prefix}.o.W", True)
        put(mha.out_proj.bias, f"{prefix}.o.b")

    def norm(ln, prefix):
        put(ln.weight, f"{prefix}.gamma")
        put(ln.bias, f"{prefix}.beta")

    def ffn(layer, prefix):
        put(layer.linear1.weight, f"{prefix}.ffn.w1.W", True)
        put(layer.linear1.bias, f"{prefix}.ffn.w1.b")
        put(layer.linear2.weight, f"{prefix}.ffn.w2.W", True)
        put(layer.linear2.bias, f"{prefix}.ffn.w2.b")

    for k, layer in enumerate(t.encoder.layers):
        p = f"encoder.layers.{k}"
        attention(layer.self_attn, f"{p}.attn")
        norm(layer.norm1, f"{p}.norm1")
        norm(layer.norm2, f"{p}.norm2")
        ffn(layer, p)
    for k, layer in enumerate(t.decoder.layers):
        p = f"decoder.layers.{k}"
        attention(layer.self_attn, f"{p}.self_attn")
        attention(layer.multihead_attn, f"{p}.cross_attn")
        for n in (1, 2, 3):
            norm(getattr(layer, f"norm{n}"), f"{p}.norm{n}")
        ffn(layer, p)
    norm(t.encoder.norm, "encoder.norm")
    norm(t.decoder.norm, "decoder.norm")
    put(parts["src"].weight, "encoder.embed.W")
    put(parts["tgt"].weight, "decoder.embed.W")
    put(parts["out"].weight, "decoder.out.W", True)
    put(parts["out"].bias, "decoder.out.b")
    return t, {k: v.to(dtype) for k, v in parts.items()}


def torch_loss(t, parts, xs, ts, dtype):
    """nn.Transformer's loss on the batch, with our embedding scale and positions and the causal mask."""
    d = t.d_model
    src, tgt_in, tgt_out = (torch.from_numpy(np.ascontiguousarray(a, np.int64)) for a in (xs, ts[:, :-1], ts[:, 1:]))

    def embed(e, ids):
        return e(ids) * math.sqrt(d) + torch.from_numpy(positional_encoding(ids.shape[1], d)).to(dtype)

    mask = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1], dtype=dtype)
    y = t(embed(parts["src"], src), embed(parts["tgt"], tgt_in), tgt_mask=mask, tgt_is_causal=True)
    score = parts["out"](y)
    return nn.functional.cross_entropy(score.reshape(-1, score.shape[-1]), tgt_out.reshape(-1))


def equality(seed: int = 0) -> tuple[float, float, str]:
    """(relative difference of the loss, the largest of the gradients', the parameter where it is)."""
    train, _ = make_split("date", 64, 10, seed)
    config = ModelConfig(kind="transformer", vocab_size=len(train.codec.vocab), hidden_size=32, heads=4, layers=2)
    model = build_model(config, np.random.default_rng(seed), np.float64)
    xs, ts = train.xs[:16], train.ts[:16]
    loss = model.forward(xs, ts)
    model.backward()
    t, parts = torch_twin(model, torch.float64)
    their = torch_loss(t, parts, xs, ts, torch.float64)
    their.backward()
    grads = {name: g for name, _, g in model.named_parameters()}
    twins = _torch_grads(t, parts, grads)
    # relative to each gradient's size, but no finer than a millionth of the largest: the keys' biases have a
    # gradient of zero in theory (softmax ignores what they add to all of a query's scores), ~1e-17 in practice
    floor = 1e-6 * max(np.abs(g).max() for g in twins.values())
    worst, where = 0.0, ""
    for name, theirs in twins.items():
        rel = float(np.abs(grads[name] - theirs).max() / max(np.abs(theirs).max(), floor))
        if rel > worst:
            worst, where = rel, name
    return abs(loss - their.item()) / abs(their.item()), worst, where


def _torch_grads(t, parts, ours: dict) -> dict[str, np.ndarray]:
    """PyTorch's gradients under our parameter names (transposed and split back)."""
    out = {}

    def grab(name, tensor, transpose=False):
        g = tensor.grad.detach().numpy()
        out[name] = g.T if transpose else g

    for stack, layers in (("encoder", t.encoder.layers), ("decoder", t.decoder.layers)):
        for k, layer in enumerate(layers):
            p = f"{stack}.layers.{k}"
            attns = [("attn", layer.self_attn)] if stack == "encoder" else [("self_attn", layer.self_attn),
                                                                            ("cross_attn", layer.multihead_attn)]
            for name, mha in attns:
                W, b = mha.in_proj_weight.grad.numpy(), mha.in_proj_bias.grad.numpy()
                d = W.shape[1]
                for j, key in enumerate("qkv"):
                    out[f"{p}.{name}.{key}.W"] = W[j * d:(j + 1) * d].T
                    out[f"{p}.{name}.{key}.b"] = b[j * d:(j + 1) * d]
                grab(f"{p}.{name}.o.W", mha.out_proj.weight, True)
                grab(f"{p}.{name}.o.b", mha.out_proj.bias)
            for n in (1, 2, 3) if stack == "decoder" else (1, 2):
                grab(f"{p}.norm{n}.gamma", getattr(layer, f"norm{n}").weight)
                grab(f"{p}.norm{n}.beta", getattr(layer, f"norm{n}").bias)
            for w in (1, 2):
                grab(f"{p}.ffn.w{w}.W", getattr(layer, f"linear{w}").weight, True)
                grab(f"{p}.ffn.w{w}.b", getattr(layer, f"linear{w}").bias)
        grab(f"{stack}.norm.gamma", getattr(t, stack).norm.weight)
        grab(f"{stack}.norm.beta", getattr(t, stack).norm.bias)
    grab("encoder.embed.W", parts["src"].weight)
    grab("decoder.embed.W", parts["tgt"].weight)
    grab("decoder.out.W", parts["out"].weight, True)
    grab("decoder.out.b", parts["out"].bias)
    missing = set(ours) - set(out)
    if missing:
        raise RuntimeError(f"no PyTorch twin for {sorted(missing)[:3]}")
    return out


def epoch_seconds(batches: int, d: int = 64, heads: int = 4, layers: int = 2) -> tuple[float, float]:
    """(ours, PyTorch's) seconds per epoch of the date task, from `batches` steps each (after 3 to warm up)."""
    train, _ = make_split("date", 128 * (batches + 3), 10, 0)
    V = len(train.codec.vocab)
    config = ModelConfig(kind="transformer", vocab_size=V, hidden_size=d, heads=heads, layers=layers)
    model = build_model(config, np.random.default_rng(0))
    training = TrainConfig(batch_size=128, epochs=1, workers=CORES)  # both cores, as the command line's default
    trainer = Trainer(model, train, training, backend=data_parallel(model, train, training))
    for _ in range(3):
        trainer.step()
    t0 = time.perf_counter()
    for _ in range(batches):
        trainer.step()
    ours = (time.perf_counter() - t0) / batches * BATCHES_PER_EPOCH
    trainer.close()
    t, parts = torch_twin(trainer.model, torch.float32)
    params = list(t.parameters()) + [p for m in parts.values() for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=0.001)

    def step(k):
        rows = slice(128 * k, 128 * (k + 1))
        opt.zero_grad()
        torch_loss(t, parts, train.xs[rows], train.ts[rows], torch.float32).backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    for k in range(3):
        step(k)
    t0 = time.perf_counter()
    for k in range(batches):
        step(k + 3)
    return ours, (time.perf_counter() - t0) / batches * BATCHES_PER_EPOCH


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batches", type=int, default=20)
    args = ap.parse_args()
    if torch is None:
        print("PyTorch is not installed (pip install torch==2.13.0): nothing to compare")
        return 0
    print(f"# numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    loss_rel, grad_rel, where = equality()
    print(f"\nfloat64, width 32, 4 heads, 2 layers: loss differs by {loss_rel:.1e} (relative), the gradients by at "
          f"most {grad_rel:.1e} ({where}); goal 1e-5")
    runs = [epoch_seconds(args.batches) for _ in range(args.repeats)]  # each run times ours, then PyTorch
    ours, theirs = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(f"float32, dates, width 64, 4 heads, 2 layers, batch 128: {ours:.1f} s per epoch ours ({CORES} processes), "
          f"{theirs:.1f} s PyTorch; ratio {ours / theirs:.2f} (each run: "
          + ", ".join(f"{a / b:.2f}" for a, b in runs) + "); goal at most 1.0")
    return 0 if loss_rel < 1e-5 and grad_rel < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
