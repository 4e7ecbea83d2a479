#!/bin/bash
# Signed WhatsApp status webhooks (sent, delivered, read for each message,
# each verified, parsed and durably applied) beside nginx's "return 200".
# Prints one table row.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
STORECTL=$(dirname "$CAMPAIGND")/cmp-storectl
N=${BENCH_WEBHOOK_MESSAGES:-100000}
THREADS=2

curl -s -o /dev/null -X POST "$BASE/api/channels" \
     -H 'Content-Type: application/json' \
     -d '{"id":"bwh","name":"webhooks","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"bench-wa","access_token":"t","app_secret":"bench-secret"}}'

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
            my $body = qq({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"bench-wa"},"statuses":[{"id":"wamid.b$i","status":"$s","timestamp":"1767225600","recipient_id":"86"}]}}]}]});
            print { $fh[$i % $threads] }
                hmac_sha256_hex($body, "bench-secret"), "\t", $body, "\n";
        }
    }' "$WORK" "$N" "$THREADS"

rps() { awk '/^Requests\/sec:/ { printf "%d", $2 }'; }

wh=$(wrk -t"$THREADS" -c64 -d"${DURATION:-10}s" \
     -s "$HERE/webhook_status.lua" "$BASE" -- "$WORK" | rps)
ret=$(wrk -t"$THREADS" -c64 -d"${DURATION:-10}s" "$BASE/return200" | rps)

# every status named a known message: nothing went to the inbox
unknown=$("$STORECTL" "$WORK/store" inbox | wc -l)

printf '%-44s %12s %14s %9s %s\n' \
    "signed status webhooks/s (3 per message)" "$wh" \
    "$ret (return 200)" \
    "$(awk -v a="$wh" -v b="$ret" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }')" \
    "$N messages in the ledger; $unknown unknown (expect 0)"
