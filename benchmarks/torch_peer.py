"""The same models in PyTorch (CPU), for speed comparisons only. Optional: needs `pip install torch==2.13.0`.

Peeky seq2seq (chapter 7) and attention seq2seq (chapter 8) with `nn.LSTM`, the same sizes, Adam and
global-norm clipping as the NumPy engine. Never imported by the app or the tests.
"""

from __future__ import annotations

import time

import numpy as np

try:
    import torch
    from torch import nn
except ImportError:  # the benchmark says so and carries on without the peer
    torch = None
    nn = None


def available() -> bool:
    """Whether PyTorch is installed."""
    return torch is not None


if torch is not None:

    class PeekySeq2seq(nn.Module):
        """Encoder LSTM; decoder LSTM whose input and affine layer both see the encoder's last h."""

        def __init__(self, V: int, D: int, H: int):
            super().__init__()
            self.enc_embed, self.dec_embed = nn.Embedding(V, D), nn.Embedding(V, D)
            self.encoder = nn.LSTM(D, H, batch_first=True)
            self.decoder = nn.LSTM(D + H, H, batch_first=True)
            self.affine = nn.Linear(2 * H, V)

        def forward(self, xs, dec_in):
            _, (h, _) = self.encoder(self.enc_embed(xs))
            h = h[0]  # (N, H)
            T = dec_in.shape[1]
            peek = h[:, None, :].expand(-1, T, -1)
            out, _ = self.decoder(torch.cat([self.dec_embed(dec_in), peek], dim=2),
                                  (h[None], torch.zeros_like(h)[None]))
            return self.affine(torch.cat([out, peek], dim=2))

    class AttentionSeq2seq(nn.Module):
        """Encoder LSTM returning all states; decoder LSTM; dot-product attention; affine on [c, h]."""

        def __init__(self, V: int, D: int, H: int):
            super().__init__()
            self.enc_embed, self.dec_embed = nn.Embedding(V, D), nn.Embedding(V, D)
            self.encoder = nn.LSTM(D, H, batch_first=True)
            self.decoder = nn.LSTM(D, H, batch_first=True)
            self.affine = nn.Linear(2 * H, V)

        def forward(self, xs, dec_in):
            enc, (h, _) = self.encoder(self.enc_embed(xs))
            dec, _ = self.decoder(self.dec_embed(dec_in), (h, torch.zeros_like(h)))
            a = torch.softmax(dec @ enc.transpose(1, 2), dim=-1)  # (N, Td, Te)
            return self.affine(torch.cat([a @ enc, dec], dim=2))


def seconds_per_epoch(kind: str, V: int, Te: int, Td: int, H: int, batches: int, D: int = 16, N: int = 128,
                      repeats: int = 3, seed: int = 0) -> float:
    """Median over repeats of the time for `batches` training steps on random data (Adam, clip 5)."""
    torch.manual_seed(seed)
    model = (PeekySeq2seq if kind == "peeky" else AttentionSeq2seq)(V, D, H)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    xs = torch.from_numpy(rng.integers(0, V, (N, Te)))
    ts = torch.from_numpy(rng.integers(0, V, (N, Td + 1)))

    def step():
        opt.zero_grad()
        score = model(xs, ts[:, :-1])
        loss = loss_fn(score.reshape(-1, V), ts[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()

    for _ in range(10):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batches):
            step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _greedy_peeky(model, xs, start_id: int, steps: int):
    """Greedy decoding of the PyTorch Peeky model (no gradients)."""
    with torch.no_grad():
        _, (h, c) = model.encoder(model.enc_embed(xs))
        peek = h[0]
        state = (h, torch.zeros_like(c))
        x = torch.full((xs.shape[0], 1), start_id, dtype=torch.long)
        out = []
        for _ in range(steps):
            y, state = model.decoder(torch.cat([model.dec_embed(x), peek[:, None, :]], dim=2), state)
            x = model.affine(torch.cat([y, peek[:, None, :]], dim=2)).argmax(dim=2)
            out.append(x)
        return torch.cat(out, dim=1)


def time_to_accuracy(target: float = 0.9, eval_every: int = 50, limit_seconds: float = 300,
                     seed: int = 0) -> tuple[float | None, float]:
    """Training seconds (evaluation excluded) until the book's Peeky + reversed setup in PyTorch reaches
    `target` held-out exact match on our addition data: wordvec 16, hidden 128, batch 128, Adam 0.001,
    clip 5, 45,000 examples. Returns (seconds or None, epochs)."""
    from s2s.data import make_split

    torch.manual_seed(seed)
    train, val = make_split("addition", 45000, 1000, seed)
    V = len(train.codec.vocab)
    start = train.codec.vocab.start_id
    def ids(a: np.ndarray) -> torch.Tensor:  # our datasets keep ids in int8; PyTorch indexes with int64
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))

    xs, ts, vx, vt = ids(train.xs[:, ::-1]), ids(train.ts), ids(val.xs[:, ::-1]), ids(val.ts[:, 1:])
    model = PeekySeq2seq(V, 16, 128)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    per_epoch = len(xs) // 128
    seconds, it = 0.0, 0
    while seconds < limit_seconds:
        order = torch.from_numpy(rng.permutation(len(xs)))
        for b in range(per_epoch):
            idx = order[b * 128:(b + 1) * 128]
            t0 = time.perf_counter()
            opt.zero_grad()
            score = model(xs[idx], ts[idx, :-1])
            loss_fn(score.reshape(-1, V), ts[idx, 1:].reshape(-1)).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            seconds += time.perf_counter() - t0
            it += 1
            if it % eval_every == 0:
                guess = _greedy_peeky(model, vx, start, vt.shape[1])
                if (guess == vt).all(dim=1).float().mean().item() >= target:
                    return seconds, it / per_epoch
    return None, it / per_epoch
