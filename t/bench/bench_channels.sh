#!/bin/bash
# campaignd's start and channel refresh with 100,000 channels in the store:
# how long until it has read them all, and the longest its heartbeat
# waited meanwhile and while 1,000 of them are changed (target: never
# older than 2 s).  Its own nginx and store, so the other benchmarks keep theirs small.
# Prints table rows.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
N=${BENCH_CHANNELS:-100000}
CHANGED=1000
PORT=${BENCH_CHANNELS_PORT:-8197}
W=$WORK/channels
B=http://127.0.0.1:$PORT

mkdir -p "$W/store" "$W/logs"
chmod 755 "$W"

cat > "$W/nginx.conf" <<_EOC_
load_module $MODULE;
worker_processes 2;
error_log $W/logs/error.log warn;
pid $W/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $W/body;
    campaign_store $W/store max_size=4g;
    server {
        listen 127.0.0.1:$PORT backlog=1024;
        location /api/ { campaign_api write=on; }
        location = /metrics { campaign_metrics; }
    }
}
_EOC_

"$NGINX_BIN" -p "$W" -c "$W/nginx.conf"
trap '"$NGINX_BIN" -p "$W" -c "$W/nginx.conf" -s stop 2>/dev/null; \
      [ -n "${CD_PID:-}" ] && kill "$CD_PID" 2>/dev/null; true' EXIT
sleep 1

. "$HERE/make_channels.sh"
make_channels "$B" "$N"

# campaignd's heartbeat as /health shows it (one a second, at the
# second), sampled every 100 ms: the longest time it stayed the same is
# the longest the loop went without one, to 0.1 s
beat() {
    curl -s "$B/api/health" | sed -n 's/.*"last_heartbeat":"\([^"]*\)".*/\1/p'
}

now_ms() { date +%s%3N; }

# samples until $1 (ms) or until the command in $2 succeeds; keeps the
# longest gap in $W/max_gap (ms)
sample() {
    local until=$1 done_cmd=$2 b
    while [ "$(now_ms)" -lt "$until" ]; do
        b=$(beat)
        if [ -n "$b" ] && [ "$b" != "$(cat "$W/beat")" ]; then
            echo "$b" > "$W/beat"
            echo "$(now_ms)" > "$W/beat_ms"
        fi
        if [ -s "$W/beat_ms" ]; then
            gap=$(( $(now_ms) - $(cat "$W/beat_ms") ))
            [ "$gap" -gt "$(cat "$W/max_gap")" ] && echo "$gap" > "$W/max_gap"
        fi
        eval "$done_cmd" && return 0
        sleep 0.1
    done
    return 1
}

echo 0 > "$W/max_gap"
: > "$W/beat"
: > "$W/beat_ms"
start=$(now_ms)
"$CAMPAIGND" --store "$W/store" --log-file "$W/campaignd.log" &
CD_PID=$!

# every channel read: campaignd says so once, in its summary line
sample $((start + 120000)) \
    "grep -q 'channels: [0-9]* read' '$W/campaignd.log'" || true
loaded=$(( $(now_ms) - start ))
sample $(( $(now_ms) + 3000 )) false || true

# 1,000 channels changed while it runs: each is read again, alone
curl -s "$B/api/channels?limit=$CHANGED" |
    perl -MJSON::PP -0 -ne 'print "$_->{id}\n" for @{decode_json($_)->{items}}' \
    > "$W/changed.txt"
while read -r id; do
    curl -s -o /dev/null -X PATCH "$B/api/channels/$id" \
         -H 'Content-Type: application/json' -d '{"max_in_flight":32}'
done < "$W/changed.txt" &
patches=$!
sample $(( $(now_ms) + 60000 )) "! kill -0 $patches 2>/dev/null" || true
wait "$patches"
sample $(( $(now_ms) + 3000 )) false || true

kill "$CD_PID"
wait "$CD_PID" || true
CD_PID=

read_all=$(awk -v ms="$loaded" 'BEGIN { printf "%.2f", ms / 1000 }')
printf '%-44s %12s %14s %9s %s\n' \
    "campaignd start: $N channels read, s" "$read_all" "" "" \
    "in chunks of 1,000 a read txn"
printf '%-44s %12s %14s %9s %s\n' \
    "longest heartbeat gap, s (start, $CHANGED PATCHes)" \
    "$(awk -v ms="$(cat "$W/max_gap")" 'BEGIN { printf "%.1f", ms / 1000 }')" \
    "1 (the period)" "" "target <= 2 s"
