#!/bin/bash
# make run: nginx (conf/nginx.conf, prefix ./var/) and campaignd on the same
# store, in the foreground; Ctrl-C stops both, and so does either one dying.
# DEMO=1 adds a stand-in for the providers and loads a demo (conf/demo.sh).
#
#     [DEMO=1] run.sh nginx-binary module.so campaignd-binary

set -eu

NGINX=$1
MODULE=$2
CAMPAIGND=$3
TOP=$(cd "$(dirname "$0")/.." && pwd)
VAR=$TOP/var
PORT=8080
DEMO=${DEMO:-}

# the demo's stand-in provider, and the secrets it signs its callbacks with
# (the demo channels hold the same; nothing here is secret)
STAND_IN_PORT=8081
DEMO_WA_SECRET=demo-app-secret
DEMO_VIBER_TOKEN=demo-viber-token

mkdir -p "$VAR/logs" "$VAR/store" "$VAR/body"
chmod 755 "$VAR"

# Workers and campaignd write the same LMDB files, so they run as one user:
# www-data, as Debian's nginx does, when root starts us; a clone under a
# private home directory is out of its reach, and then both run as root.
USER_DIRECTIVE=""
RUN_AS=()

if [ "$(id -u)" = 0 ]; then
    if su -s /bin/sh www-data -c "test -x '$VAR' -a -w '$VAR/store'" \
           2>/dev/null \
       || { chown -R www-data:www-data "$VAR/store" "$VAR/body" \
            && su -s /bin/sh www-data -c "test -x '$VAR'" 2>/dev/null; }
    then
        USER_DIRECTIVE="user www-data;"
        RUN_AS=(setpriv --reuid=www-data --regid=www-data --init-groups --)
    else
        echo "note: $VAR is not reachable by www-data; both run as root"
        USER_DIRECTIVE="user root;"
    fi
fi

NGINX_ARGS=(-p "$VAR/" -c "$TOP/conf/nginx.conf"
            -g "daemon off; load_module $MODULE; $USER_DIRECTIVE")

"$NGINX" "${NGINX_ARGS[@]}" -t -q


supervise() {
    local nginx_pid campaignd_pid stand_in_pid="" status who stopping=0

    trap 'stopping=1' INT TERM

    "$NGINX" "${NGINX_ARGS[@]}" &
    nginx_pid=$!

    # campaignd opens the store once nginx's master has handed it over
    for _ in $(seq 50); do
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/health" && break
        kill -0 "$nginx_pid" 2>/dev/null || break
        sleep 0.1
    done

    "${RUN_AS[@]}" "$CAMPAIGND" --store "$VAR/store" --log-level info &
    campaignd_pid=$!

    if [ -n "$DEMO" ]; then
        /usr/bin/python3 "$TOP/conf/demo-provider.py" "$STAND_IN_PORT" \
            "http://127.0.0.1:$PORT/webhooks" "$DEMO_WA_SECRET" \
            "$DEMO_VIBER_TOKEN" &
        stand_in_pid=$!

        bash "$TOP/conf/demo.sh" "http://127.0.0.1:$PORT/api" \
            "http://127.0.0.1:$STAND_IN_PORT" "$DEMO_WA_SECRET" \
            "$DEMO_VIBER_TOKEN" || echo "demo: not loaded" >&2
    fi

    echo "console:  http://127.0.0.1:$PORT/console/"
    echo "API:      http://127.0.0.1:$PORT/api/health"
    echo "webhooks: http://127.0.0.1:$PORT/webhooks/whatsapp, .../viber"
    echo "metrics:  http://127.0.0.1:$PORT/metrics"
    echo "logs:     $VAR/logs/error.log"
    echo "Ctrl-C stops nginx and campaignd"

    # whichever ends first, by a signal to us or by itself, ends both
    status=0
    wait -n "$nginx_pid" "$campaignd_pid" || status=$?

    # Ctrl-C reaches the three of us at once, so either may be reaped
    # before our trap has run; neither ends with status 0 unless it was
    # asked to stop (nginx on INT, QUIT or TERM, campaignd on INT or TERM)
    if [ "$status" = 0 ]; then
        stopping=1
    fi

    if [ "$stopping" = 0 ]; then
        who=campaignd
        kill -0 "$campaignd_pid" 2>/dev/null && who=nginx
        echo "error: $who exited (status $status); stopping the other" \
             "(see $VAR/logs/error.log)" >&2
    fi

    kill -QUIT "$nginx_pid" 2>/dev/null || true
    kill -TERM "$campaignd_pid" $stand_in_pid 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    wait "$campaignd_pid" 2>/dev/null || true

    echo "stopped"

    [ "$stopping" = 1 ]
}


# On a terminal the supervisor becomes the foreground job: Ctrl-C reaches
# it, nginx and campaignd, but not make, which then ends with status 0.
if [ -t 0 ]; then
    set -m
    supervise &
    fg %1 > /dev/null
else
    supervise
fi
