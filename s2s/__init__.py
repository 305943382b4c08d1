"""s2s: a pure-NumPy Seq2seq engine following chapters 7-8 of 『ゼロから作るDeep Learning ❷』.

Modules: ``layers`` (time layers and attention), ``models`` (Seq2seq, PeekySeq2seq,
AttentionSeq2seq, greedy decoding with traces), ``optim``, ``trainer``, ``tasks`` (data
generators), ``data`` (vocabulary, codec, the book's file format), ``checkpoint``,
``inference``, ``analysis``, ``presets``, and the commands ``train``, ``eval`` and ``decode``.
No UI code here.
"""

import os

# Speed: the matrices here are small (128 x 512), and one BLAS thread per product is faster than two
# fighting over 2 cores (9,700 vs 8,500 examples/s on the addition preset); it also leaves the other
# core to the app's server or to a second session. Only takes effect if numpy is not loaded yet,
# and never overrides a setting the user made.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
