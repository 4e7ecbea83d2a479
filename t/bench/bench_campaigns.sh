#!/bin/bash
# Filtered campaign lists with 10k campaigns in the store (a quarter of
# them running), beside nginx's "return 200".  Prints table rows.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
STORECTL=$(dirname "$CAMPAIGND")/cmp-storectl
N=${BENCH_CAMPAIGNS:-10000}

post() {
    curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE$1" \
         -H 'Content-Type: application/json' -d "$2"
}

post /api/channels '{"id":"bc","name":"b","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"2","access_token":"t"}}' >/dev/null
post /api/groups '{"id":"bg","name":"bench group"}' >/dev/null
post /api/flows '{"id":"bf","name":"bench","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"bc","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}' >/dev/null
post /api/flows/bf/publish '' >/dev/null

start=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
end=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)

sed -e "s/^counter = 0/counter = 0\nstart_time = \"$start\"\nend_time = \"$end\"/" \
    "$HERE/create_campaign.lua" > "$WORK/create_campaign.lua"

# ids of every campaign, from the API's own paging
ids() {
    local cursor="" page
    while :; do
        page=$(curl -s "$BASE/api/campaigns?limit=1000${1:+&status=$1}${cursor:+&cursor=$cursor}")
        echo "$page" | grep -o '{"id":"[^"]*"' | cut -d'"' -f4
        cursor=$(echo "$page" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')
        [ -n "$cursor" ] || break
    done
}

# wrk stops on time, not on a count: create until N exist
while [ "$(ids | wc -l)" -lt "$N" ]; do
    wrk -t1 -c16 -d1s -s "$WORK/create_campaign.lua" "$BASE" > /dev/null
done

ids | awk 'NR % 4 == 0' | "$STORECTL" "$WORK/store" set-status - running

url="$BASE/api/campaigns?status=running&name=x"
list=$(wrk -t2 -c32 -d"${DURATION:-10}s" "$url" \
       | awk '/^Requests\/sec:/ { printf "%d", $2 }')
ret=$(wrk -t2 -c32 -d"${DURATION:-10}s" "$BASE/return200" \
      | awk '/^Requests\/sec:/ { printf "%d", $2 }')

printf '%-44s %12s %14s %9s %s\n' \
    "GET /campaigns?status=running&name=x req/s" "$list" \
    "$ret (return 200)" \
    "$(awk -v a="$list" -v b="$ret" 'BEGIN { printf "%.2fx", a / b }')" \
    "$(ids | wc -l) campaigns, $(ids running | wc -l) running"
