#!/bin/bash
# make run: nginx (conf/nginx.conf, prefix ./var/) and campaignd on the same
# store, in the foreground; Ctrl-C stops both, and so does either one dying.
#
#     run.sh nginx-binary module.so campaignd-binary

set -eu

NGINX=$1
MODULE=$2
CAMPAIGND=$3
TOP=$(cd "$(dirname "$0")/.." && pwd)
VAR=$TOP/var
PORT=8080

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
    local nginx_pid campaignd_pid status who stopping=0

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

    echo "console:  http://127.0.0.1:$PORT/console/"
    echo "API:      http://127.0.0.1:$PORT/api/health"
    echo "webhooks: http://127.0.0.1:$PORT/webhooks/whatsapp, .../viber"
    echo "metrics:  http://127.0.0.1:$PORT/metrics"
    echo "logs:     $VAR/logs/error.log"
    echo "Ctrl-C stops nginx and campaignd"

    # whichever ends first, by a signal to us or by itself, ends both
    status=0
    wait -n "$nginx_pid" "$campaignd_pid" || status=$?

    if [ "$stopping" = 0 ]; then
        who=campaignd
        kill -0 "$campaignd_pid" 2>/dev/null && who=nginx
        echo "error: $who exited (status $status); stopping the other" \
             "(see $VAR/logs/error.log)" >&2
    fi

    kill -QUIT "$nginx_pid" 2>/dev/null || true
    kill -TERM "$campaignd_pid" 2>/dev/null || true
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
