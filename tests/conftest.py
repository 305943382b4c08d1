"""Shared by every test module: the test process trains with one BLAS thread, as the app and the commands do."""

import os

from s2s.fast.blas import one_blas_thread

os.environ.update(one_blas_thread())  # first: OpenBLAS reads its thread count once, when numpy loads it

# Runs saved by the app under test go to a folder of this test run, never the user's cache (ui.persist); a test
# that needs its own store sets S2S_STATE_DIR itself, before the app's store is first made.
if "S2S_STATE_DIR" not in os.environ:
    import tempfile

    os.environ["S2S_STATE_DIR"] = tempfile.mkdtemp(prefix="s2s-test-runs-")
