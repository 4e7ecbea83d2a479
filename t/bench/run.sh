#!/bin/bash
# make bench: every figure beside its baseline, measured in this run on
# this machine, printed as one table.  Usage: run.sh NGINX MODULE CAMPAIGND
# BENCH_PG=1 adds the rows of the PostgreSQL prototype (bench_pg_claim.sh:
# a cluster of its own, about 40 s); without it they read "skipped".

set -eu

NGINX=$1
MODULE=$2
CAMPAIGND=$3
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/campaign-bench.XXXXXX)
chmod 755 "$WORK"   # the workers run as nginx's unprivileged user
PORT=${BENCH_PORT:-8199}
DURATION=${BENCH_DURATION:-10}
BASE=http://127.0.0.1:$PORT
ROWS=()

cleanup() {
    [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
    [ -f "$WORK/one/nginx.pid" ] && kill "$(cat "$WORK/one/nginx.pid")" \
        2>/dev/null
    sleep 0.5
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/store" "$WORK/logs" "$WORK/baseline" \
         "$WORK/one/store" "$WORK/one/logs"
ROOT=$(cd "$HERE/../.." && pwd)
cc -O2 -std=gnu99 -D_GNU_SOURCE -I"$ROOT/shared" -I"$ROOT/shared/store" \
    -o "$WORK/fsync_baseline" "$HERE/fsync_baseline.c" "$ROOT"/shared/*.c \
    "$ROOT"/shared/store/*.c -llmdb -ljansson -lpcre2-8

sed -e "s|@MODULE@|$MODULE|g" -e "s|@WORK@|$WORK|g" -e "s|@PORT@|$PORT|g" \
    "$HERE/nginx.conf.in" > "$WORK/nginx.conf"

# the same server with one write per transaction: the fsync-per-write
# baseline of group commit
sed -e "s|@MODULE@|$MODULE|g" -e "s|@WORK@|$WORK/one|g" \
    -e "s|@PORT@|$((PORT + 1))|g" -e "s|max_size=4g;|max_size=4g batch=1;|" \
    "$HERE/nginx.conf.in" > "$WORK/one/nginx.conf"

"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
"$NGINX" -p "$WORK/one" -c "$WORK/one/nginx.conf"
sleep 1

# wrk's "Requests/sec:" line, and the 99th percentile in milliseconds
rps() { awk '/^Requests\/sec:/ { printf "%d", $2 }'; }
p99() {
    awk '$1 == "99%" {
        v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000;
        printf "%.2f", v }'
}
row() { ROWS+=("$(printf '%-44s %12s %14s %9s %s' "$1" "$2" "$3" "$4" "$5")"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }

id=$(curl -s -X POST "$BASE/api/channels" -H 'Content-Type: application/json' \
     -d '{"name":"bench","type":"whatsapp"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')

# 1. GET one channel against nginx's own "return 200", same server
get=$(wrk -t2 -c64 -d"${DURATION}s" "$BASE/api/channels/$id" | rps)
ret=$(wrk -t2 -c64 -d"${DURATION}s" "$BASE/return200" | rps)
row "GET /api/channels/{id} req/s" "$get" "$ret (return 200)" \
    "$(ratio "$get" "$ret")" "target >= 0.6x"

# 2. durable creates: group commit against one fsync per write, both the
#    same server, and the disk's own rate of single-put LMDB commits
post=$(wrk -t2 -c256 -d"${DURATION}s" -s "$HERE/post_channel.lua" \
       "$BASE/api/channels" | rps)
one=$(wrk -t2 -c256 -d"${DURATION}s" -s "$HERE/post_channel.lua" \
      "http://127.0.0.1:$((PORT + 1))/api/channels" | rps)
raw=$("$WORK/fsync_baseline" "$WORK/baseline" 2000)
# for bench_webhooks.sh: a commit of its batches beside one of a single put
echo "$raw" > "$WORK/lmdb_commit_rate"
row "durable POST /api/channels req/s" "$post" "$one (batch=1)" \
    "$(ratio "$post" "$one")" "target >= 10x"
row "  (LMDB alone, one commit per put, /s)" "$raw" "" "" \
    "the disk's fsync rate, no HTTP"

# 3. GET latency while writes flood the same workers
alone=$(wrk -t1 -c16 -d"${DURATION}s" --latency "$BASE/api/channels/$id" | p99)
wrk -t1 -c64 -d"$((DURATION + 2))s" -s "$HERE/post_channel.lua" \
    "$BASE/api/channels" > /dev/null &
flood=$!
sleep 1
busy=$(wrk -t1 -c16 -d"${DURATION}s" --latency "$BASE/api/channels/$id" | p99)
wait "$flood"
row "GET p99 ms during a write flood" "$busy" "$alone (alone)" \
    "$(ratio "$busy" "$alone")" "target <= 2x"

# the write benchmarks left hundreds of thousands of channels behind;
# the other benchmarks start from an empty store, as a site would
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -s stop
while [ -f "$WORK/nginx.pid" ]; do sleep 0.2; done
rm -rf "$WORK/store"/*
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf"
sleep 1

# nginx reads a variable NGINX in its environment as sockets inherited
# from an old binary: the scripts get the binary's path as NGINX_BIN
for extra in "$HERE"/bench_*.sh; do
    [ -f "$extra" ] || continue
    # BENCH_ONLY="dispatch webhooks": only the benchmarks whose file name
    # holds one of its words (dispatch runs first, webhooks compare to it)
    if [ -n "${BENCH_ONLY:-}" ]; then
        wanted=
        for word in $BENCH_ONLY; do
            case $(basename "$extra") in *"$word"*) wanted=1 ;; esac
        done
        [ -n "$wanted" ] || continue
    fi
    echo "running $(basename "$extra") ..." >&2
    while IFS= read -r line; do
        ROWS+=("$line")
    done < <(BASE=$BASE WORK=$WORK NGINX_BIN=$NGINX MODULE=$MODULE CAMPAIGND=$CAMPAIGND \
             DURATION=$DURATION BENCH_PG=${BENCH_PG:-} \
             bash "$extra")
done

echo
printf '%-44s %12s %14s %9s %s\n' "benchmark" "figure" "baseline" "ratio" ""
printf '%s\n' "${ROWS[@]}"
