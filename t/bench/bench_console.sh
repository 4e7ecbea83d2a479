#!/bin/bash
# The console: its total transfer with gzip beside the 150 KB target, and
# the time headless Chromium takes to render 1,000 campaigns beside the
# API's own time for the same list. A server of its own (gzip on, the
# console and the API, an empty store), on BENCH_CONSOLE_PORT (default
# BENCH_PORT + 10). Prints table rows; run by run.sh, or alone:
#   WORK=$(mktemp -d) NGINX_BIN=/usr/sbin/nginx CAMPAIGND=build/campaignd \
#       bash t/bench/bench_console.sh

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
# run.sh passes campaignd's path; the module is built beside it
MODULE=${MODULE:-$(cd "$(dirname "$CAMPAIGND")" && pwd)/ngx_http_campaign_module.so}
PORT=${BENCH_CONSOLE_PORT:-$(( ${BENCH_PORT:-8199} + 10 ))}
DIR=$WORK/console
mkdir -p "$DIR"
chmod 755 "$DIR"

# Debian's Python, which has Selenium (not the first python3 on PATH)
/usr/bin/python3 "$HERE/bench_console.py" "$NGINX_BIN" "$MODULE" "$DIR" "$PORT"
