#!/bin/sh
# Fills a history database with ROWS runs (default 1,000,000) and prints query latencies.
# Usage: bench/history.sh [ROWS]   (KEEP=1 keeps the database and prints its path)
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product history-bench >&2
exec .build/release/history-bench "${1:-1000000}"
