#!/bin/bash
# campaignd's hardest part on PostgreSQL 15 (README, "Scaling out"): two
# campaignd-like workers (pg_claim.c) claim one channel's messages with
# SELECT ... FOR UPDATE SKIP LOCKED and share its token bucket, sending to
# an nginx "return 200" mock whose access log counts the receipts per
# message id.  A throwaway cluster in a temp dir, on a free local port:
# the messages/s with no limit beside the same sends with no PostgreSQL,
# the rate held at a shared limit, and a kill -9 of one worker mid-run.
# Prints table rows; run by run.sh when BENCH_PG=1 (.ci/install-deps then
# installs postgresql-15 and libpq-dev).  Alone:
#   BENCH_PG=1 bash t/bench/bench_pg_claim.sh

set -eu

row() { printf '%-44s %12s %14s %9s %s\n' "$@"; }

if [ "${BENCH_PG:-}" != 1 ]; then
    row "PostgreSQL claims (pg_claim)" "-" "" "" "skipped: BENCH_PG=1 runs it"
    exit 0
fi

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
N=${BENCH_PG_ROWS:-100000}
RATE=${BENCH_PG_RATE:-1000}
RATE_SECONDS=${BENCH_PG_RATE_SECONDS:-10}
BATCH=${BENCH_PG_BATCH:-100}
LEASE_MS=${BENCH_PG_LEASE_MS:-2000}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d /tmp/campaign-bench.XXXXXX)
    chmod 755 "$WORK"
    OWN_WORK=1
fi
DIR=$WORK/pg
PIDS=()
MOCK_PID=
PG_STARTED=

# postgres refuses to run as root; the cluster's files are its user's
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
    [ -n "$PG_STARTED" ] && as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m fast \
        -w stop > /dev/null 2>&1
    if [ -n "${OWN_WORK:-}" ] && [ -z "${BENCH_KEEP:-}" ]; then
        rm -rf "$WORK"
    fi
    return 0
}
trap cleanup EXIT

free_port() {
    local p=$1
    while (echo > "/dev/tcp/127.0.0.1/$p") 2> /dev/null; do
        p=$((p + 1))
    done
    echo "$p"
}

mkdir -p "$DIR/mock/logs"
cc -O2 -I/usr/include/postgresql -o "$DIR/pg_claim" "$HERE/pg_claim.c" \
   -lpq -lcurl
CLAIM=$DIR/pg_claim

# the cluster: durable as a site's would be (fsync and synchronous_commit
# stay on), small, reachable only on 127.0.0.1
PGPORT=$(free_port "${BENCH_PG_PORT:-19432}")
mkdir -p "$DIR/data" "$DIR/sock"
[ "$(id -u)" = 0 ] && chown postgres "$DIR/data" "$DIR/sock"
as_pg "$PGBIN/initdb" -D "$DIR/data" -A trust -U bench -E UTF8 \
    --no-locale > "$DIR/initdb.log"
# (one line: pg_ctl hands -o to a shell)
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/sock/postgres.log" -w \
    -o "-p $PGPORT -k $DIR/sock -c listen_addresses=127.0.0.1 \
-c max_connections=20 -c shared_buffers=128MB" start > /dev/null
PG_STARTED=1
DB="host=127.0.0.1 port=$PGPORT user=bench dbname=postgres"
DB="$DB options=-cclient_min_messages=warning"

# the provider: WhatsApp's answer, and one log line per receipt
MPORT=$(free_port $((PGPORT + 1)))
cat > "$DIR/mock/nginx.conf" <<EOF
worker_processes 1;
error_log $DIR/mock/logs/error.log warn;
pid $DIR/mock/nginx.pid;
events { worker_connections 1024; }
http {
    log_format receipt '\$msec \$arg_id \$arg_w';
    client_body_temp_path $DIR/mock/body;
    server {
        listen 127.0.0.1:$MPORT backlog=1024;
        access_log $DIR/mock/receipts.log receipt buffer=256k flush=1s;
        location /mockwa/ {
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
    }
}
EOF
"$NGINX_BIN" -p "$DIR/mock" -e "$DIR/mock/logs/error.log" \
    -c "$DIR/mock/nginx.conf"
sleep 0.5
MOCK_PID=$(cat "$DIR/mock/nginx.pid")
URL=http://127.0.0.1:$MPORT/mockwa/ch/messages

# runs workers $@ (ids) to the end; their report lines go to $DIR/out.$id
work() {
    local w
    PIDS=()
    for w in "$@"; do
        "$CLAIM" work "$DB" "$URL" "$w" "$BATCH" "$LEASE_MS" \
            > "$DIR/out.$w" &
        PIDS+=($!)
    done
}

wait_all() {
    local p
    for p in "${PIDS[@]}"; do
        wait "$p" || true
    done
    PIDS=()
    sleep 1.5   # the mock's log buffer is flushed every second
}

# receipts of workers $@: "distinct twice total first last"
receipts() {
    awk -v ws=" $* " 'index(ws, " " $3 " ") {
        n[$2]++; total++
        if (first == "" || $1 < first) first = $1
        if ($1 > last) last = $1
    } END {
        for (id in n) { d++; if (n[id] > 1) t++ }
        printf "%d %d %d %s %s\n", d, t, total, first, last
    }' "$DIR/mock/receipts.log"
}

# the sum of field $1 of the workers' report lines in files $2...
field() {
    local k=$1
    shift
    awk -v k="$k" '{ for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1) }
                   END { print s + 0 }' "$@"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'
}

# 1. the same two workers' sends with ids dealt out in memory: HTTP alone
"$CLAIM" mem "$URL" 1 2 "$N" "$BATCH" > "$DIR/out.1" &
PIDS=($!)
"$CLAIM" mem "$URL" 2 2 "$N" "$BATCH" > "$DIR/out.2" &
PIDS+=($!)
wait_all
read -r _ _ total first last < <(receipts 1 2)
mem=$(awk -v n="$total" -v a="$first" -v b="$last" \
      'BEGIN { printf "%d", (b > a ? n / (b - a) : 0) }')

# 2. no limit: N messages, two workers, to the end
"$CLAIM" load "$DB" "$N" 0
work 3 4
wait_all
read -r q s sent _ _ < <("$CLAIM" check "$DB")
read -r distinct twice _ first last < <(receipts 3 4)
fast=$(awk -v n="$sent" -v a="$first" -v b="$last" \
       'BEGIN { printf "%d", (b > a ? n / (b - a) : 0) }')
lost=$((N - distinct))
claims=$(field claims "$DIR/out.3" "$DIR/out.4")
ok="$sent sent, $twice twice, $lost lost"
[ "$twice" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$sent" -eq "$N" ] \
    || ok="FAILED: $ok, $q queued, $s sending"
row "pg 2 workers messages/s, no limit" "$fast" "$mem (no pg)" \
    "$(ratio "$fast" "$mem")" "$ok; batch $BATCH, $claims claims"

# 3. the shared limit: long enough for RATE_SECONDS away from both ends
n=$((RATE * (RATE_SECONDS + 2)))
"$CLAIM" load "$DB" "$n" "$RATE"
work 5 6
wait_all
read -r _ _ sent _ _ < <("$CLAIM" check "$DB")
read -r distinct twice _ first last < <(receipts 5 6)
measured=$(awk -v ws=" 5 6 " -v a="$first" -v b="$last" '
    index(ws, " " $3 " ") && $1 >= a + 1 && $1 < b - 1 { c++ }
    END { printf "%d", (b - a > 2 ? c / (b - a - 2) : 0) }' \
    "$DIR/mock/receipts.log")
share=$(awk -v a="$(field sent "$DIR/out.5")" -v b="$sent" \
        'BEGIN { printf "%d", (b > 0 ? 100 * a / b : 0) }')
ok="$sent sent, $twice twice, $((n - distinct)) lost; worker 1: $share%"
[ "$twice" -eq 0 ] && [ "$distinct" -eq "$n" ] || ok="FAILED: $ok"
row "pg send rate at a shared limit of $RATE/s" "$measured" \
    "$RATE (setting)" "$(ratio "$measured" "$RATE")" \
    "target within +-5%; $ok"

# 4. kill -9 of one of two workers mid-run, no limit: its claims are
#    re-claimed once their lease is over; what it had sent but not yet
#    recorded is sent twice, and nothing else is.  Once from outside at a
#    moment of no choosing, once at the worst moment (the worker kills
#    itself with its 20th batch answered and not recorded)
kill_run() {
    local label=$1 how=$2 a=$3 b=$4 victim held q s sent distinct twice
    local requeued lost ok
    "$CLAIM" load "$DB" "$N" 0
    if [ "$how" = outside ]; then
        work "$a" "$b"
        victim=${PIDS[0]}
        sleep "${BENCH_PG_KILL_AFTER:-2}"
        kill -9 "$victim"
    else
        PG_CLAIM_DIE_AFTER=20 work "$a"
        victim=${PIDS[0]}
        work "$b"
        PIDS=("$victim" "${PIDS[0]}")
    fi
    wait "${PIDS[0]}" 2> /dev/null || true
    PIDS=("${PIDS[1]}")
    # what it held: claimed, not recorded; the lease keeps it from the
    # other worker for a while yet
    held=$("$PGBIN/psql" -XAtq "$DB" -c \
           "SELECT count(*) FROM message WHERE status = 1 AND owner = $a")
    wait_all
    read -r q s sent _ _ < <("$CLAIM" check "$DB")
    read -r distinct twice _ _ _ < <(receipts "$a" "$b")
    requeued=$(field requeued "$DIR/out.$b")
    lost=$((N - distinct))
    ok="$held held by it, $requeued re-claimed after the ${LEASE_MS} ms"
    ok="$ok lease, $twice sent twice"
    [ "$lost" -eq 0 ] && [ "$sent" -eq "$N" ] && [ "$twice" -le "$held" ] \
        || ok="FAILED: $ok, $sent sent, $q queued, $s sending"
    row "$label" "$lost" "0 (target)" "" "$ok"
}

kill_run "pg kill -9 of 1 of 2 workers, lost" outside 7 8
kill_run "  the same at the worst moment, lost" itself 9 10
