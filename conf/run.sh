#!/bin/sh
# make run: nginx (conf/nginx.conf, prefix ./var/) and campaignd on the same
# store, both in the foreground; Ctrl-C stops both.

set -eu

NGINX=$1
MODULE=$2
CAMPAIGND=$3
TOP=$(cd "$(dirname "$0")/.." && pwd)
VAR=$TOP/var

mkdir -p "$VAR/logs" "$VAR/store" "$VAR/body"
chmod 755 "$VAR"

# nginx's workers run as "nobody" when started by root; a clone under a
# private home directory is out of their reach, so they run as root then
USER_DIRECTIVE=""

if [ "$(id -u)" = 0 ] \
   && ! su -s /bin/sh nobody -c "test -x '$VAR'" 2>/dev/null
then
    echo "note: $VAR is not reachable by nobody; workers run as root"
    USER_DIRECTIVE="user root;"
fi

"$NGINX" -p "$VAR/" -c "$TOP/conf/nginx.conf" -t -q \
    -g "daemon off; load_module $MODULE; $USER_DIRECTIVE"

"$NGINX" -p "$VAR/" -c "$TOP/conf/nginx.conf" \
    -g "daemon off; load_module $MODULE; $USER_DIRECTIVE" &
nginx_pid=$!

# nginx hands the store to its worker user first; campaignd opens it then
sleep 1

"$CAMPAIGND" --store "$VAR/store" --log-level info &
campaignd_pid=$!

stop() {
    trap - INT TERM
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    kill -TERM "$campaignd_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    wait "$campaignd_pid" 2>/dev/null || true
    echo "stopped"
}
trap stop INT TERM

echo "console:  http://127.0.0.1:8080/console/"
echo "API:      http://127.0.0.1:8080/api/health"
echo "logs:     $VAR/logs/error.log"
echo "Ctrl-C stops nginx and campaignd"

wait "$nginx_pid" "$campaignd_pid"
