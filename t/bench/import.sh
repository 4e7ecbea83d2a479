#!/bin/sh
# Imports 1M generated NDJSON contacts into a group through a running nginx
# and prints rows/s and the workers' peak RSS (VmHWM) before and after.
#
#   sh t/bench/import.sh http://127.0.0.1:8080/api [rows]
#
# The location must have campaign_api write=on and a client_max_body_size
# of at least ~120m for 1M rows.

set -eu

API=${1:?usage: import.sh http://host:port/api-prefix [rows]}
ROWS=${2:-1000000}
TMP=${TMPDIR:-/tmp}/campaign-bench-import.$$
GROUP=bench_$$

trap 'rm -f "$TMP.ndjson" "$TMP.out"' EXIT

# the workers serving the API: whoever listens on its port
PORT=$(echo "$API" | sed -E 's#^[a-z]+://[^:/]+:?([0-9]*).*#\1#')
PORT=${PORT:-80}

worker_pids() {
    ss -Hltnp "sport = :$PORT" 2>/dev/null \
        | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u \
        | while read -r pid; do
              # the master listens too; workers are its children
              if grep -q '^PPid:[[:space:]]*1$' /proc/"$pid"/status; then
                  pgrep -P "$pid" || true
              else
                  echo "$pid"
              fi
          done | sort -u
}

peak_rss() {
    for pid in $(worker_pids); do
        # VmHWM counts the store's mmapped pages (RssFile, page cache);
        # RssAnon is the worker's own memory, which must stay flat
        awk -v p="$pid" '/^(VmHWM|RssAnon|RssFile)/ { v = v " " $1 " " $2 " kB" }
            END { print "  worker " p ":" v }' /proc/"$pid"/status
    done
}

echo "generating $ROWS NDJSON contacts ..."
awk -v n="$ROWS" 'BEGIN {
    for (i = 0; i < n; i++) {
        printf "{\"phone\":\"+86139%08d\",\"name\":\"Bench %d\",", i, i
        printf "\"country\":\"CN\",\"attributes\":{\"city\":\"Hangzhou\","
        printf "\"tier\":%d}}\n", i % 5
    }
}' > "$TMP.ndjson"
echo "body: $(wc -c < "$TMP.ndjson") bytes"

curl -sf -o /dev/null -X POST "$API/groups" \
    -H 'Content-Type: application/json' \
    -d "{\"id\":\"$GROUP\",\"name\":\"bench $GROUP\"}"

echo "peak RSS before:"
peak_rss

START=$(date +%s.%N)
curl -sf -o "$TMP.out" -X POST "$API/contacts/import?group_id=$GROUP" \
    -H 'Content-Type: application/x-ndjson' --data-binary @"$TMP.ndjson"
END=$(date +%s.%N)

echo "answer: $(cut -c1-200 "$TMP.out")"
echo "group:  $(curl -sf "$API/groups/$GROUP" | cut -c1-200)"

awk -v s="$START" -v e="$END" -v n="$ROWS" 'BEGIN {
    printf "imported %d rows in %.2f s: %.0f rows/s (upload included)\n",
           n, e - s, n / (e - s)
}'

echo "peak RSS after:"
peak_rss
