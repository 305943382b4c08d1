"""Command line: greedy answers of a checkpoint for typed questions.

    python -m s2s.decode --weights weights/addition_peeky.npz 16+75 "１６＋７５"
    91
    91

Questions come from the arguments, or one per line on standard input when there are none.
Input is NFKC-normalised, so full-width characters typed with a Japanese input method work.
With ``--trace`` each answer is one JSON line with the top candidates per step and every state.
Invalid input exits with status 2 and one line saying what is wrong and what is allowed. Spaces are
ignored where the task's questions have none (``12 + 34`` is ``12+34``). A question the model can read but
was not trained on (``16+``, ``1234+5``, a year outside 1900-2099) is answered as any other, with a one-line
note on standard error saying why it is outside training; the exit status stays 0.
"""

from __future__ import annotations

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

import argparse
import json
import sys

from s2s.checkpoint import CheckpointError, load_checkpoint
from s2s.data import QueryError
from s2s.inference import answer, answer_to_json, read_question
from s2s.tasks import TASKS, check_question


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m s2s.decode", description="Answer questions with a checkpoint.")
    p.add_argument("--weights", required=True, metavar="FILE")
    p.add_argument("--trace", action="store_true", help="print JSON with candidates and internal states")
    p.add_argument("text", nargs="*", metavar="TEXT", help="questions (default: lines of standard input)")
    args = p.parse_args(argv)
    try:
        ck = load_checkpoint(args.weights)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    texts = args.text if args.text else sys.stdin.read().splitlines()
    if not texts:
        print(f"error: no question given: {ck.codec.allowed()}", file=sys.stderr)
        return 2
    questions = []
    for n, text in enumerate(texts, 1):
        try:
            questions.append(read_question(ck.codec, text))
        except QueryError as e:
            where = f"question {n}" if len(texts) > 1 else "the question"
            print(f"error: {where} {text[:40]!r}: {e}", file=sys.stderr)
            return 2
    task = ck.meta.get("task")
    for n, a in enumerate(answer(ck.model, ck.codec, questions), 1):
        check = check_question(task, a.question) if task in TASKS else None
        if check is not None and not check.ordinary:
            where = f"question {n}" if len(questions) > 1 else "the question"
            truth = "" if check.truth is None else f" (true answer: {check.truth})"
            print(f"note: {where} {a.question!r} is outside training: {'; '.join(map(str, check.reasons))}{truth}",
                  file=sys.stderr)
        print(json.dumps(answer_to_json(a, ck.codec), ensure_ascii=False) if args.trace else a.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
