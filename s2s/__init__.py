"""s2s: a pure-NumPy Seq2seq engine following chapters 7-8 of 『ゼロから作るDeep Learning ❷』.

Modules: ``layers`` (time layers and attention), ``models`` (Seq2seq, PeekySeq2seq,
AttentionSeq2seq, greedy decoding with traces), ``optim``, ``trainer``, ``tasks`` (data
generators), ``data`` (vocabulary, codec, the book's file format), ``checkpoint``,
``inference``, and the commands ``train``, ``eval`` and ``decode``. No UI code here.
"""
