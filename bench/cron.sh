#!/bin/sh
# Builds cron-bench in release mode and prints nanoseconds per CronSchedule.next(after:) call.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product cron-bench >&2
exec "$(swift build -c release --show-bin-path)/cron-bench"
