"""Speed and serving machinery: processes, shared memory, the app's step pool, the C library's heap.

None of this is in the book, and the book's modules never import it. The trainer takes a *backend*
(``forward_backward(xs, ts) -> loss``, see ``s2s.trainer.Backend``); the entry points (the command
line, the app, the benchmarks) choose one from here and pass it in.

- ``blas``: one BLAS thread per process, set by each entry point before numpy loads.
- ``parallel``: data parallelism, one mini-batch split across processes (or threads).
- ``pool``: the app's step pool: worker processes that run the passes of many sessions' trainers.
- ``shared``: named arrays in anonymous shared memory, and how the processes wait for each other.
- ``worker``: the worker processes (``python -m s2s.fast.worker``).
- ``libc``: glibc's heap reserve and trim, and thread names (Linux; elsewhere they do nothing).

Importing the package loads nothing else: ``s2s.fast.blas`` must be importable before numpy.
"""
