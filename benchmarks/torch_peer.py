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
