"""The layers of the code: the book's engine (s2s/) imports no machinery, and nothing in s2s/ imports the UI.

Read from the source (the import statements anywhere in a module, also inside functions), so a lazy
import counts too.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = sorted(p for p in (ROOT / "s2s").glob("*.py"))
FAST = sorted((ROOT / "s2s" / "fast").glob("*.py"))
COMMANDS = {"train.py", "eval.py", "decode.py"}  # entry points: they choose the machinery (a backend, BLAS)
SYSTEM = {"subprocess", "socket", "mmap", "ctypes", "select", "threading", "multiprocessing", "concurrent",
          "signal"}


def imported(path: Path) -> set[str]:
    """Every module named by an import statement of the file (relative imports resolved in s2s)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-node.level]) if node.level else ""
            base = ".".join(p for p in (package, node.module or "") if p)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def test_the_files_are_there():
    assert {p.name for p in ENGINE} >= {"layers.py", "models.py", "optim.py", "trainer.py", *COMMANDS}
    assert {p.name for p in FAST} >= {"blas.py", "parallel.py", "pool.py", "shared.py", "worker.py", "libc.py"}


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.name)
def test_the_engine_starts_no_process_and_maps_no_memory(path):
    assert not {top(n) for n in imported(path)} & SYSTEM, f"{path.name} imports process or system code"


@pytest.mark.parametrize("path", [p for p in ENGINE if p.name not in COMMANDS], ids=lambda p: p.name)
def test_the_books_modules_never_import_the_machinery(path):
    fast = sorted(n for n in imported(path) if n == "s2s.fast" or n.startswith("s2s.fast."))
    assert not fast, f"{path.name} imports {fast}: the trainer takes a backend instead (s2s.trainer.Backend)"


@pytest.mark.parametrize("path", ENGINE + FAST, ids=lambda p: str(p.relative_to(ROOT / "s2s")))
def test_nothing_in_s2s_imports_streamlit_or_the_ui(path):
    assert not {top(n) for n in imported(path)} & {"streamlit", "ui", "altair"}


def test_the_blas_setting_can_come_before_numpy_and_importing_s2s_changes_nothing():
    """Entry points import s2s.fast.blas before numpy, so neither it nor the packages it sits in load
    numpy; and importing s2s sets no environment variable (the BLAS setting is explicit)."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    code = ("import os, sys; before = dict(os.environ); import s2s, s2s.fast, s2s.fast.blas; "
            "print('numpy' in sys.modules, dict(os.environ) == before)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


LONGEST = 60  # lines a function of s2s/ or ui/ may take; longer ones are split into named steps


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in sorted((ROOT / "s2s").rglob("*.py")) + sorted((ROOT / "ui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= LONGEST:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})")
    assert not long, long
