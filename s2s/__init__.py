"""s2s: a pure-NumPy Seq2seq engine following chapters 7-8 of 『ゼロから作るDeep Learning ❷』.

Modules: ``layers`` (time layers and attention), ``models`` (Seq2seq, PeekySeq2seq,
AttentionSeq2seq, greedy decoding with traces), ``optim``, ``trainer``, ``tasks`` (data
generators), ``data`` (vocabulary, codec, the book's file format), ``checkpoint``,
``inference``, ``analysis``, ``presets``, and the commands ``train``, ``eval`` and ``decode``.
No UI code here.
"""

import os

# Speed: the matrices here are small (128 x 512). On the 2-core machines this project runs on, one BLAS
# thread per product trained faster than two (9,400 vs 8,500 examples/s, interleaved runs of the
# addition preset; two threads were sometimes faster, more often slower), and it leaves the other core
# to the app's server, a browser or a second session. Only takes effect if numpy is not loaded yet, and
# never overrides a setting the user made (OPENBLAS_NUM_THREADS=2 python -m s2s.train ... uses two).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
