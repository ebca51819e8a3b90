#!/bin/bash
# Benchmark (label bench): engine throughput against PyTorch; prints a Markdown table.
set -eu
exec "$CS_PYTHON" "$CS_SOURCE_DIR/tests/bench/bench_nn.py" "$CS_BUILD_DIR/tests/bench_nn" "${BENCH_SECONDS:-3}"
