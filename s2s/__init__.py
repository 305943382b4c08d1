"""s2s: a pure-NumPy Seq2seq engine following chapters 7-8 of 『ゼロから作るDeep Learning ❷』.

Modules: ``layers`` (time layers and attention), ``models`` (Seq2seq, PeekySeq2seq,
AttentionSeq2seq, greedy decoding with traces), ``optim``, ``trainer``, ``tasks`` (data
generators), ``data`` (vocabulary, codec, the book's file format), ``checkpoint``,
``inference``, ``analysis``, ``history``, ``presets``, and the commands ``train``, ``eval`` and
``decode``. The speed and serving machinery (processes, shared memory, the app's step pool) is
the subpackage ``fast``, which none of the book's modules imports. No UI code here.
"""
