#!/bin/bash
# Signed WhatsApp status webhooks (sent, delivered, read for each message,
# each verified, parsed and durably applied) beside nginx's "return 200",
# with 10,000 channels in the store; the same figure / 3 against
# campaignd's messages/s of bench_dispatch.sh in this run; and the API's
# latency during a flood of forged webhooks.  Prints table rows.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
STORECTL=$(dirname "$CAMPAIGND")/cmp-storectl
# enough messages that no status repeats within the run (75,000/s)
N=${BENCH_WEBHOOK_MESSAGES:-$(( ${DURATION:-10} * 25000 ))}
CHANNELS=${BENCH_WEBHOOK_CHANNELS:-10000}
THREADS=2
# statuses in flight: as many as campaignd has sends in flight in
# bench_dispatch.sh (its channel's max_in_flight).  A provider posts each
# status as it comes, whoever else is waiting; 64 clients would measure
# how long a commit makes each of them wait, not how many nginx takes
IN_FLIGHT=${BENCH_WEBHOOK_IN_FLIGHT:-256}

curl -s -o /dev/null -X POST "$BASE/api/channels" \
     -H 'Content-Type: application/json' \
     -d '{"id":"bwh","name":"webhooks","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"900001","access_token":"t","app_secret":"bench-secret"}}'

# the campaign the ledger's messages are of: a message whose campaign
# does not exist is no one's, and its statuses would go to the inbox
post() {
    curl -sf -o /dev/null -X POST "$BASE$1" \
         -H 'Content-Type: application/json' -d "$2"
}
post /api/flows '{"id":"fbwh","name":"webhooks","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"bwh","message":{"type":"text","text":"Hi"},"next":"e"},{"id":"e","type":"end"}]}}'
post /api/flows/fbwh/publish ''
post /api/groups '{"id":"bwg","name":"webhooks"}'
post /api/campaigns "{\"id\":\"bwc\",\"name\":\"webhooks\",\"flow_id\":\"fbwh\",
    \"group_id\":\"bwg\",
    \"start_time\":\"$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)\",
    \"end_time\":\"$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)\",
    \"execution_plan\":{\"unit\":\"day\"}}"

# the other channels, each its own number and secret: a webhook must cost
# the same whatever their number
. "$HERE/make_channels.sh"
make_channels "$BASE" "$CHANNELS"

# the ledger as campaignd leaves it: N messages sent, by provider id
"$STORECTL" "$WORK/store" messages bwc 1 "$N" bwh > /dev/null

# three statuses a message, in the order Meta sends them, split by thread
perl -MDigest::SHA=hmac_sha256_hex -e '
    my ($dir, $n, $threads) = @ARGV;
    my @fh;
    for my $t (0 .. $threads - 1) {
        open $fh[$t], ">", "$dir/webhooks-$t.txt" or die "$!";
    }
    for my $i (0 .. $n - 1) {
        for my $s (qw(sent delivered read)) {
            my $body = qq({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"900001"},"statuses":[{"id":"wamid.b$i","status":"$s","timestamp":"1767225600","recipient_id":"86"}]}}]}]});
            print { $fh[$i % $threads] }
                hmac_sha256_hex($body, "bench-secret"), "\t", $body, "\n";
        }
    }' "$WORK" "$N" "$THREADS"

rps() { awk '/^Requests\/sec:/ { printf "%d", $2 }'; }

# the writers' commit counters (/metrics): "commits writes lock write commit"
commits() {
    curl -sf "$BASE/metrics" | awk '
        $1 == "campaign_store_commits_total" { c = $2 }
        $1 == "campaign_store_commit_writes_total" { w = $2 }
        $1 == "campaign_store_write_lock_wait_seconds_total" { l = $2 }
        $1 == "campaign_store_write_seconds_total" { x = $2 }
        $1 == "campaign_store_commit_seconds_total" { s = $2 }
        END { print c, w, l, x, s }'
}

read -r c0 w0 l0 x0 s0 < <(commits)
wrk -t"$THREADS" -c"$IN_FLIGHT" -d"${DURATION:-10}s" \
    -s "$HERE/webhook_status.lua" "$BASE" -- "$WORK" > "$WORK/signed.txt"
read -r c1 w1 l1 x1 s1 < <(commits)
wh=$(rps < "$WORK/signed.txt")
ret=$(wrk -t"$THREADS" -c"$IN_FLIGHT" -d"${DURATION:-10}s" "$BASE/return200" \
      | rps)

# a thread past the end of its file repeats its statuses, and a
# duplicate costs less than a change
repeated=$(awk '/^threads that repeated statuses:/ { print $5 }' \
           "$WORK/signed.txt")
if [ "${repeated:-1}" = 0 ]; then
    repeated=no
else
    repeated="YES: raise BENCH_WEBHOOK_MESSAGES"
fi

# every status named a known message: nothing went to the inbox
unknown=$("$STORECTL" "$WORK/store" inbox | wc -l)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
p99() {
    awk '$1 == "99%" {
        v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000;
        printf "%.2f", v }'
}

printf '%-44s %12s %14s %9s %s\n' \
    "signed status webhooks/s, $CHANNELS channels" "$wh" \
    "$ret (return 200)" "$(ratio "$wh" "$ret")" \
    "$IN_FLIGHT in flight; $N messages, $unknown unknown (expect 0), repeated $repeated"

# where the row's batches went: their size, and a commit's time beside
# LMDB alone committing one put on the same disk (run.sh's row)
lmdb=$(cat "$WORK/lmdb_commit_rate" 2>/dev/null || echo 0)
awk -v c="$((c1 - c0))" -v w="$((w1 - w0))" -v l="$l0 $l1" -v x="$x0 $x1" \
    -v s="$s0 $s1" -v d="${DURATION:-10}" -v lmdb="$lmdb" 'BEGIN {
    split(l, L, " "); split(x, X, " "); split(s, S, " ")
    if (c == 0) {
        print "  (no commits counted: /metrics did not answer)" > "/dev/stderr"
        exit
    }
    ms = (S[2] - S[1]) * 1000 / c
    bare = (lmdb > 0) ? 1000 / lmdb : 0
    printf "%-44s %12.1f %14s %9s %s\n", "  its commits: writes each", w / c, "", "",
        sprintf("%d commits/s; per commit, ms: lock wait %.2f, writes %.2f, commit %.2f",
                c / d, (L[2] - L[1]) * 1000 / c, (X[2] - X[1]) * 1000 / c, ms)
    printf "%-44s %12.2f %14s %9s %s\n", "  a commit of them, ms", ms,
        sprintf("%.2f (one put)", bare),
        (bare > 0) ? sprintf("%.2fx", ms / bare) : "",
        "LMDB alone committing one put on the same disk, run.sh"
}'

# a message brings about three statuses: callbacks keep up with sends when
# webhooks/s / 3 is at least campaignd's messages/s
if [ -f "$WORK/dispatch_rate" ]; then
    sends=$(cat "$WORK/dispatch_rate")
    printf '%-44s %12s %14s %9s %s\n' \
        "webhooks/s / 3 against campaignd messages/s" "$((wh / 3))" \
        "$sends (sends)" "$(ratio "$((wh / 3))" "$sends")" "target >= 1x"
fi

# forged webhooks cost one index lookup and at most one HMAC each: the
# API's latency is the same during a flood of them
get="$BASE/api/channels/bwh"

# the GET's p99 while wrk floods with the arguments after the first,
# which names the file the flood's own figures go to
p99_during() {
    local out=$1 flood
    shift
    wrk -t1 -c64 -d"$(( ${DURATION:-10} + 2 ))s" "$@" > "$out" &
    flood=$!
    sleep 1
    wrk -t1 -c8 -d"${DURATION:-10}s" --latency "$get" | p99
    wait "$flood"
}

alone=$(wrk -t1 -c8 -d"${DURATION:-10}s" --latency "$get" | p99)
during=$(p99_during "$WORK/forged.txt" -s "$HERE/webhook_forged.lua" "$BASE")
forged=$(rps < "$WORK/forged.txt")

# the same two cores flooded with nginx's cheapest answer: what any flood
# costs the API here, the share that is not the webhooks' own
cheap=$(p99_during "$WORK/cheap.txt" "$BASE/return200")

printf '%-44s %12s %14s %9s %s\n' \
    "GET p99 ms, forged-webhook flood, $CHANNELS ch." "$during" \
    "$alone (alone)" "$(ratio "$during" "$alone")" \
    "$forged forged webhooks/s, all 401"
printf '%-44s %12s %14s %9s %s\n' \
    "  the same against a return 200 flood" "$during" \
    "$cheap (flood)" "$(ratio "$during" "$cheap")" \
    "$(rps < "$WORK/cheap.txt") return 200/s: what any flood costs here"
