#!/bin/bash
# Bulk import of 1M NDJSON contacts into a group (rows/s, upload included,
# and the workers' own memory), and GET /contacts/{id} beside "return 200".
# Prints table rows; run by run.sh.

set -eu

ROWS=${BENCH_IMPORT_ROWS:-1000000}
BODY=$WORK/contacts.ndjson

awk -v n="$ROWS" 'BEGIN {
    for (i = 0; i < n; i++) {
        printf "{\"phone\":\"+86139%08d\",\"name\":\"Bench %d\",", i, i
        printf "\"country\":\"CN\",\"attributes\":{\"city\":\"Hangzhou\","
        printf "\"tier\":%d}}\n", i % 5
    }
}' > "$BODY"

curl -sf -o /dev/null -X POST "$BASE/api/groups" \
     -H 'Content-Type: application/json' -d '{"id":"import","name":"import"}'

workers=$(pgrep -P "$(cat "$WORK/nginx.pid")")

# RssAnon is what a worker allocated itself; the store's mapped pages are
# page cache (RssFile) and shared with every process
anon() {
    local kb=0 pid
    for pid in $workers; do
        kb=$(( kb > $(awk '/^RssAnon/ { print $2 }' /proc/$pid/status) \
               ? kb : $(awk '/^RssAnon/ { print $2 }' /proc/$pid/status) ))
    done
    echo "$kb"
}

before=$(anon)
took=$(curl -sf -o "$WORK/import.out" -w '%{time_total}' -X POST \
       "$BASE/api/contacts/import?group_id=import" \
       -H 'Content-Type: application/x-ndjson' --data-binary @"$BODY")
after=$(anon)
count=$(curl -sf "$BASE/api/groups/import" \
        | sed 's/.*"contact_count":\([0-9]*\).*/\1/')

rate=$(awk -v n="$ROWS" -v t="$took" 'BEGIN { printf "%d", n / t }')

printf '%-44s %12s %14s %9s %s\n' "import $ROWS NDJSON contacts, rows/s" "$rate" \
    "10000 (listmonk)" \
    "$(awk -v a="$rate" 'BEGIN { printf "%.2fx", a / 10000 }')" \
    "target >= 100k/s; $count in group"
printf '%-44s %12s %14s %9s %s\n' "worker RssAnon during import, MB" \
    "$(( after / 1024 ))" "$(( before / 1024 )) (before)" "" \
    "must not grow with the body ($(( $(wc -c < "$BODY") / 1048576 )) MB)"

id=$(curl -sf "$BASE/api/contacts?phone=%2B8613900000042" \
     | sed 's/.*"id":"\([^"]*\)".*/\1/')
get=$(wrk -t2 -c64 -d"${DURATION}s" "$BASE/api/contacts/$id" \
      | awk '/^Requests\/sec:/ { printf "%d", $2 }')
ret=$(wrk -t2 -c64 -d"${DURATION}s" "$BASE/return200" \
      | awk '/^Requests\/sec:/ { printf "%d", $2 }')

printf '%-44s %12s %14s %9s %s\n' "GET /api/contacts/{id} req/s" "$get" \
    "$ret (return 200)" \
    "$(awk -v a="$get" -v b="$ret" 'BEGIN { printf "%.2fx", a / b }')" \
    "$ROWS contacts in the store"
