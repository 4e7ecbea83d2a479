#!/bin/bash
# campaignd's dispatch against nginx's "return 200" with a WhatsApp-shaped
# answer: messages/s of a whole run beside wrk's req/s on the same mock,
# campaignd's peak RSS by group size, and the send rate a channel's
# rate_limit_per_second gives.  Prints table rows; run by run.sh.

set -eu

SIZES=${BENCH_DISPATCH_ROWS:-100000}
RATE=${BENCH_DISPATCH_RATE:-1000}
RATE_SECONDS=${BENCH_DISPATCH_RATE_SECONDS:-10}
LOG=$WORK/logs/campaignd-dispatch.log
PID=

post() {
    curl -sf -o /dev/null -X "${3:-POST}" "$BASE$1" \
         -H 'Content-Type: application/json' -d "$2"
}

stop() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
        PID=
    fi
}
trap stop EXIT

start() {
    "$CAMPAIGND" --store "$WORK/store" --log-file "$LOG" &
    PID=$!
}

# contacts +8613[5-8]... in group $1: phones no other bench uses
group() {
    local id=$1 n=$2 prefix=$3
    post /api/groups "{\"id\":\"$id\",\"name\":\"$id\"}"
    awk -v n="$n" -v p="$prefix" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "{\"phone\":\"+86%s%08d\",\"name\":\"D %d\"}\n", p, i, i
    }' > "$WORK/dispatch.ndjson"
    curl -sf -o /dev/null -X POST "$BASE/api/contacts/import?group_id=$id" \
         -H 'Content-Type: application/x-ndjson' \
         --data-binary @"$WORK/dispatch.ndjson"
    rm -f "$WORK/dispatch.ndjson"
}

channel() {
    post /api/channels "{\"id\":\"$1\",\"name\":\"$1\",\"type\":\"whatsapp\",
        \"rate_limit_per_second\":$2,\"max_in_flight\":256,
        \"min_gap_seconds\":0,\"whatsapp\":{\"waba_id\":\"1\",
        \"phone_number_id\":\"1\",\"access_token\":\"bench-token\",
        \"api_base_url\":\"$BASE/mockwa/$1\"}}"
    post /api/flows "{\"id\":\"f$1\",\"name\":\"$1\",\"trigger\":\"manual\",
        \"definition\":{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",
        \"type\":\"send_whatsapp\",\"channel_id\":\"$1\",\"message\":
        {\"type\":\"text\",\"text\":\"Hi {{contact.name}}\"},\"next\":\"e\"},
        {\"id\":\"e\",\"type\":\"end\"}]}}"
    post "/api/flows/f$1/publish" ''
}

# a campaign of flow f$2 over group $3, starting in 2 s
campaign() {
    local start end
    start=$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)
    end=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
    post /api/campaigns "{\"id\":\"$1\",\"name\":\"$1\",\"flow_id\":\"f$2\",
        \"group_id\":\"$3\",\"start_time\":\"$start\",\"end_time\":\"$end\",
        \"execution_plan\":{\"unit\":\"day\"}}"
}

sent() {
    curl -sf "$BASE/api/campaigns/$1/stats" \
        | sed -n 's/.*"sent":\([0-9]*\).*/\1/p' | head -1
}

now() { date +%s.%N; }

# polls until $2 are sent (or 30 s without progress); prints "t_first
# t_last t_at_lo t_at_hi sent_lo sent_hi sent anon_kb": the rate between
# the first and last sent, for a window away from both ends ($3..$4),
# and the peak of campaignd's own memory (RssAnon, sampled: VmHWM also
# counts the store's pages that the map made resident, which are cache)
watch_run() {
    local id=$1 n=$2 lo=$3 hi=$4 s t first="" last="" tlo="" thi="" slo=0 shi=0
    local prev=-1 idle=0 anon=0 a
    while :; do
        s=$(sent "$id"); s=${s:-0}; t=$(now)
        a=$(awk '/^RssAnon/ { print $2 }' "/proc/$PID/status")
        [ "${a:-0}" -gt "$anon" ] && anon=$a
        [ -z "$first" ] && [ "$s" -ge 1 ] && first=$t
        [ -z "$tlo" ] && [ "$s" -ge "$lo" ] && { tlo=$t; slo=$s; }
        [ -z "$thi" ] && [ "$s" -ge "$hi" ] && { thi=$t; shi=$s; }
        if [ "$s" -ge "$n" ]; then last=$t; break; fi
        if [ "$s" -eq "$prev" ]; then
            idle=$((idle + 1))
            [ "$idle" -ge 300 ] && break       # 30 s without progress
        else
            idle=0
        fi
        prev=$s
        sleep 0.1
    done
    echo "${first:-0} ${last:-0} ${tlo:-0} ${thi:-0} $slo $shi $s $anon"
}

# CPU microseconds per message $1, of campaignd's main thread and of
# all its threads: "main all"
cpu_us() {
    local hz
    hz=$(getconf CLK_TCK)
    awk -v n="$1" -v hz="$hz" '
        FNR == 1 && NR == 1 { main = $14 + $15 }
        FNR == 1 && NR > 1 { all = $14 + $15 }
        END { if (n > 0) printf "%.1f %.1f", main * 1e6 / hz / n,
                                              all * 1e6 / hz / n }' \
        "/proc/$PID/task/$PID/stat" "/proc/$PID/stat"
}

peak_rss_mb() {
    awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$PID/status"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }

# the same mock, the same request shape, as fast as wrk goes
BODY='{"messaging_product":"whatsapp","recipient_type":"individual",'
BODY+='"to":"8613500000042","type":"text","text":{"body":"Hi D 42"},'
BODY+='"biz_opaque_callback_data":"0062640001000000002a0073000064"}'

cat > "$WORK/post_wa.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-token"
wrk.body = '$BODY'
EOF

channel bd 100000
wrk=$(wrk -t2 -c64 -d"${DURATION:-10}s" -s "$WORK/post_wa.lua" \
      "$BASE/mockwa/bd/1/messages" | awk '/^Requests\/sec:/ { printf "%d", $2 }')

# libcurl alone, one thread, as campaignd uses it (the same request, 256 in
# flight, handles reused), with no store and no flow: dispatch's ceiling
cc -O2 -o "$WORK/curl_ceiling" "$(dirname "$0")/curl_ceiling.c" -lcurl
read -r curl_alone curl_cpu < <("$WORK/curl_ceiling" \
    "$BASE/mockwa/bd/1/messages" "$BODY" 256 "${DURATION:-10}")

prefix=135
first_rate=
for n in $SIZES; do
    group "gd$n" "$n" "$prefix"
    prefix=$((prefix + 1))
    campaign "cd$n" bd "gd$n"
    start
    read -r t0 t1 _ _ _ _ got anon < <(watch_run "cd$n" "$n" 1 "$n")
    rss=$(peak_rss_mb)
    cpu=$(cpu_us "$got")
    stop
    rate=$(awk -v n="$got" -v a="$t0" -v b="$t1" \
           'BEGIN { printf "%d", (b > a ? (n - 1) / (b - a) : 0) }')
    if [ -z "$first_rate" ]; then
        first_rate=$rate
        # for bench_webhooks.sh: callbacks must keep up with this
        echo "$rate" > "$WORK/dispatch_rate"
        printf '%-44s %12s %14s %9s %s\n' "campaignd messages/s, $n contacts" \
            "$rate" "$wrk (wrk)" "$(ratio "$rate" "$wrk")" \
            "target >= 0.5x; $got sent"
        printf '%-44s %12s %14s %9s %s\n' "  the same against libcurl alone" \
            "$rate" "$curl_alone (curl)" "$(ratio "$rate" "$curl_alone")" \
            "libcurl alone is $(ratio "$curl_alone" "$wrk") of wrk"
        # what a message costs campaignd whatever else the machine runs
        printf '%-44s %12s %14s %9s %s\n' "  campaignd CPU us/message (main, all)" \
            "${cpu% *}, ${cpu#* }" "$curl_cpu (curl)" \
            "$(ratio "$curl_cpu" "${cpu% *}")" \
            "libcurl's us/request over the main thread's us/message"
    else
        printf '%-44s %12s %14s %9s %s\n' "campaignd messages/s, $n contacts" \
            "$rate" "" "" "$got sent"
    fi
    printf '%-44s %12s %14s %9s %s\n' "campaignd peak RssAnon MB, $n contacts" \
        "$((anon / 1024))" "64 (target)" "$(ratio "$((anon / 1024))" 64)" \
        "target <= 64, flat; VmHWM $rss MB with the store's mapped pages"
done

# rate_limit_per_second: a run long enough for RATE_SECONDS, measured
# away from the burst at its start and the tail at its end
n=$((RATE * (RATE_SECONDS + 2)))
channel br "$RATE"
group gdr "$n" "$prefix"
campaign cdr br gdr
start
read -r _ _ tlo thi slo shi got _ < <(watch_run cdr "$n" "$RATE" $((n - RATE)))
stop
measured=$(awk -v a="$tlo" -v b="$thi" -v x="$slo" -v y="$shi" \
           'BEGIN { printf "%d", (b > a ? (y - x) / (b - a) : 0) }')
printf '%-44s %12s %14s %9s %s\n' "send rate at rate_limit_per_second=$RATE" \
    "$measured" "$RATE (setting)" "$(ratio "$measured" "$RATE")" \
    "target within +-5%; $got sent"
