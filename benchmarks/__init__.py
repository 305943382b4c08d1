"""Speed and accuracy measurements (run from the repository root with python -m benchmarks.NAME)."""
