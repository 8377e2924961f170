#!/bin/sh
# Measures scheduler ticks with JOBS jobs (default 10,000).
# Usage: bench/scheduler.sh [JOBS]
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product scheduler-bench >&2
exec .build/release/scheduler-bench "${1:-10000}"
