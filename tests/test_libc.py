"""The heap reserve of training processes (s2s.fast.libc)."""

from __future__ import annotations

import platform
import sys

import pytest

from s2s.fast.libc import keep_heap_reserve


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                    reason="mallopt is glibc's")
def test_glibc_accepts_the_reserve():
    assert keep_heap_reserve(1 << 20) is True
    assert keep_heap_reserve() is True
