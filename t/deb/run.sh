#!/bin/bash
# Tries the Debian packages on this machine, as root: lintian has no error
# to report on them; apt installs both; nginx loads the module through
# /etc/nginx/modules-enabled and a second nginx on a test port answers
# /api/health; campaignd's binary, unit and store are in place; remove
# keeps the store; purge leaves the machine as it was.
#
# It never restarts or reloads the system's nginx: while the packages come
# and go, a policy-rc.d (if none is there) makes invoke-rc.d refuse, so
# the nginx-reload trigger of dh_nginx's scripts does nothing; with a
# policy-rc.d of the machine's that allows it, a running nginx stops it.
#
# usage: t/deb/run.sh DEB_DIR (make test-deb)

set -u

DEB_DIR=$(cd "${1:-build/deb}" && pwd) || exit 1
ARCH=$(dpkg --print-architecture)
VERSION=$(cd "$(dirname "$0")/../.." && dpkg-parsechangelog -S Version)
MOD_PKG=libnginx-mod-http-campaign
CMP_PKG=campaignd
MOD_DEB=$DEB_DIR/${MOD_PKG}_${VERSION}_$ARCH.deb
CMP_DEB=$DEB_DIR/${CMP_PKG}_${VERSION}_$ARCH.deb
STORE=/var/lib/nginx/campaign
LINK=/etc/nginx/modules-enabled/50-mod-http-campaign.conf
AVAILABLE=/usr/share/nginx/modules-available/mod-http-campaign.conf
SO=/usr/lib/nginx/modules/ngx_http_campaign_module.so
UNIT=/lib/systemd/system/campaignd.service
POLICY=/usr/sbin/policy-rc.d

passed=0
failed=0
started=$(date +%s)
installed=no
policy_ours=no
temp_dirs=
test_nginx_pid=
campaignd_pid=

export DEBIAN_FRONTEND=noninteractive

ok()   { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command does
check()
{
    local what=$1
    shift

    if "$@" >"$TMP/check.out" 2>&1; then
        ok "$what"
    else
        fail "$what"
        sed 's/^/#   /' "$TMP/check.out" | head -20
    fi
}

die()
{
    echo "deb: $*" >&2
    exit 1
}

# what the packages or their scripts could touch, as it is now
snapshot()
{
    local d

    for d in /etc/nginx /usr/lib/nginx /usr/share/nginx /etc/systemd/system \
             /var/lib/systemd/deb-systemd-helper-enabled \
             /var/lib/systemd/deb-systemd-helper-masked
    do
        if [ -e "$d" ]; then
            find "$d" -path /usr/share/nginx/src -prune -o \
                 -printf '%p %y %m %u:%g %l\n'
        else
            echo "$d absent"
        fi
    done | sort

    # not /var/lib/nginx: besides the store (checked apart) it holds the
    # temp dirs of nginx, which every nginx started as root with its
    # default paths gives to its "user"
    find /etc/nginx -type f -exec md5sum {} + | sort -k 2
}

cleanup()
{
    local rc=$?

    if [ -n "$campaignd_pid" ]; then
        kill -TERM "$campaignd_pid" 2>/dev/null
        wait "$campaignd_pid" 2>/dev/null
    fi

    stop_test_nginx
    restore_temp_dirs

    if [ "$installed" = yes ]; then
        echo "# cleanup: purging $MOD_PKG $CMP_PKG"
        apt-get purge -y -qq "$CMP_PKG" "$MOD_PKG" >/dev/null 2>&1
    fi

    if [ "$policy_ours" = yes ]; then
        rm -f "$POLICY"
    fi

    rm -rf "$TMP"
    exit "$rc"
}

# nginx -t, -T and a start make nginx's temp dirs in /var/lib/nginx and
# give them to its "user": put them back as they were before nginx -T
restore_temp_dirs()
{
    local d was

    [ -n "$temp_dirs" ] || return 0

    for d in $(find /var/lib/nginx -mindepth 1 -maxdepth 1 -type d \
                    ! -path "$STORE")
    do
        was=$(echo "$temp_dirs" | awk -v d="$d" '$1 == d { print $2, $3, $4 }')
        if [ -z "$was" ]; then
            rmdir "$d"
        else
            # shellcheck disable=SC2086 # "owner group mode"
            set -- $was
            chown "$1:$2" "$d"
            chmod "$3" "$d"
        fi
    done
}

stop_test_nginx()
{
    local i

    [ -n "$test_nginx_pid" ] || return 0
    kill -QUIT "$test_nginx_pid" 2>/dev/null

    for i in $(seq 50); do
        kill -0 "$test_nginx_pid" 2>/dev/null || break
        sleep 0.1
    done

    kill -KILL "$test_nginx_pid" 2>/dev/null
    test_nginx_pid=
}

free_port()
{
    local port

    for port in $(shuf -i 20000-29999 -n 20); do
        if [ -z "$(ss -Htln "sport = :$port")" ]; then
            echo "$port"
            return 0
        fi
    done

    return 1
}

# GET URL: status line into $TMP/status, body into $TMP/body
get()
{
    curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
         --max-time 5 "$1" >"$TMP/status"
}

json_is()
{
    # json_is EXPR: the body is JSON and the Perl expression on $j holds
    perl -MJSON::PP -e '
        local $/; open my $f, "<", $ARGV[0] or die "$!\n";
        my $j = decode_json(<$f>);
        exit(eval($ARGV[1]) ? 0 : 1);' "$TMP/body" "$1" \
    || { echo "body: $(head -c 500 "$TMP/body")"; return 1; }
}


[ "$(id -u)" = 0 ] || die "needs root (it installs and purges packages)"
[ -f "$MOD_DEB" ] && [ -f "$CMP_DEB" ] || die "no packages in $DEB_DIR: make deb"

for p in "$MOD_PKG" "$CMP_PKG"; do
    if dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null \
       | grep -qv '^not-installed$'
    then
        die "$p is installed already: the test would purge it; purge it first"
    fi
done

# purge deletes the store: never someone's store
[ ! -e "$STORE" ] || die "$STORE exists: the test's purge would delete it"
[ ! -e "$SO" ] || die "$SO exists, from no package (make install?): remove it"

TMP=$(mktemp -d /tmp/campaign-deb.XXXXXX) || exit 1
chmod 0755 "$TMP"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

snapshot >"$TMP/before"

if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# t/deb/run.sh: no service actions meanwhile\nexit 101\n' \
        >"$POLICY"
    chmod 0755 "$POLICY"
    policy_ours=yes
fi

# dh_nginx's scripts trigger nginx's postinst, which reloads nginx when
# "invoke-rc.d nginx status" says it runs: make sure it cannot
if invoke-rc.d --quiet nginx status >/dev/null 2>&1; then
    die "the system's nginx runs and $POLICY lets invoke-rc.d reload it"
fi


echo "# lintian"
check "lintian reports no error on both packages" \
    lintian --fail-on error "$MOD_DEB" "$CMP_DEB"
sed 's/^/#   /' "$TMP/check.out"


echo "# install"
# apt reads local packages as _apt: give it a copy it can read
cp "$MOD_DEB" "$CMP_DEB" "$TMP/"
chmod 0644 "$TMP"/*.deb
installed=yes
check "apt-get installs both packages" \
    apt-get install -y -q --no-install-recommends \
    "$TMP/$(basename "$MOD_DEB")" "$TMP/$(basename "$CMP_DEB")"


echo "# $MOD_PKG"
check "the module is in /usr/lib/nginx/modules" test -f "$SO"
check "modules-available has its load_module line" \
    grep -qx 'load_module modules/ngx_http_campaign_module.so;' "$AVAILABLE"
check "modules-enabled links it" \
    test "$(readlink "$LINK")" = "$AVAILABLE"

abi=$(sed -n 's/^nginx:abi=//p' /usr/share/nginx/src/debian/libnginx-mod.abisubstvars)
check "it depends on nginx's ABI, $abi, which nginx provides" \
    bash -c "dpkg-query -W -f '\${Depends}' $MOD_PKG | grep -qw -- '$abi' &&
             dpkg-query -W -f '\${Provides}' nginx | grep -qw -- '$abi'"

temp_dirs=$(find /var/lib/nginx -mindepth 1 -maxdepth 1 -type d \
                 ! -path "$STORE" -printf '%p %u %g %m\n')
check "nginx -T loads it through modules-enabled" \
    bash -c "nginx -T 2>&1 | grep -A1 -x '# configuration file $LINK:' |
             grep -qx 'load_module modules/ngx_http_campaign_module.so;'"
restore_temp_dirs


echo "# a second nginx, with the system's modules-enabled"
port=$(free_port) || die "no free port"
# nginx's own prefix, so that modules-enabled's "modules/..." resolves as
# for the system's nginx; everything it writes goes to $TMP
mkdir -p "$TMP/nginx/store"
chown www-data:www-data "$TMP/nginx/store"
cat >"$TMP/nginx/nginx.conf" <<EOF
include /etc/nginx/modules-enabled/*.conf;

user              www-data;
worker_processes  1;
error_log         $TMP/nginx/error.log info;
pid               $TMP/nginx/nginx.pid;

events {
    worker_connections  64;
}

http {
    access_log            $TMP/nginx/access.log;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path       $TMP/nginx/proxy;
    fastcgi_temp_path     $TMP/nginx/fastcgi;
    uwsgi_temp_path       $TMP/nginx/uwsgi;
    scgi_temp_path        $TMP/nginx/scgi;

    campaign_store        $TMP/nginx/store;

    server {
        listen            127.0.0.1:$port;

        location /api/ {
            campaign_api;
        }
    }
}
EOF

check "nginx -t accepts a config using campaign_store and campaign_api" \
    nginx -t -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf"

if nginx -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf"; then
    for i in $(seq 50); do
        [ -s "$TMP/nginx/nginx.pid" ] && break
        sleep 0.1
    done
    test_nginx_pid=$(cat "$TMP/nginx/nginx.pid" 2>/dev/null)
fi

check "it started" test -n "$test_nginx_pid"

get "http://127.0.0.1:$port/api/health"
check "GET /api/health answers 200" test "$(cat "$TMP/status")" = 200
check "as JSON" grep -qi '^content-type: application/json' "$TMP/headers"
check "with the store ok" json_is '$j->{store}{ok}'


echo "# $CMP_PKG"
check "campaignd --version" \
    bash -c "/usr/sbin/campaignd --version | grep -qx 'campaignd ${VERSION%-*} (store schema [0-9]*)'"
check "campaignd --help" \
    bash -c "/usr/sbin/campaignd --help | grep -q '^Usage: campaignd --store DIR'"
check "its man page" test -f /usr/share/man/man8/campaignd.8.gz
check "its unit runs /usr/sbin/campaignd on the store as www-data" \
    bash -c "grep -qx 'ExecStart=/usr/sbin/campaignd --store $STORE\( .*\)\?' $UNIT &&
             grep -qx 'User=www-data' $UNIT"
check "systemd-analyze verify finds nothing wrong in the unit" \
    bash -c "systemd-analyze verify $UNIT 2>&1 | tee /dev/stderr | grep -q . && exit 1 || exit 0"
# systemctl reads the unit files when systemd is not running
check "the unit is enabled" \
    bash -c "test \"\$(systemctl is-enabled campaignd.service)\" = enabled &&
             test -L /etc/systemd/system/multi-user.target.wants/campaignd.service"
check "the store is a directory of www-data's, 0750" \
    test "$(stat -c '%F %U:%G %a' "$STORE")" = "directory www-data:www-data 750"
check "www-data can write in it" runuser -u www-data -- touch "$STORE/probe"

# the packaged daemon, as the unit runs it, on the test nginx's store
# (setpriv execs it: the signals below reach campaignd itself)
setpriv --reuid=www-data --regid=www-data --init-groups \
    /usr/sbin/campaignd --store "$TMP/nginx/store" --log-level info \
    2>"$TMP/campaignd.log" &
campaignd_pid=$!

alive=no
for _ in $(seq 50); do
    get "http://127.0.0.1:$port/api/health"
    if json_is '$j->{scheduler}{alive}' >/dev/null 2>&1; then
        alive=yes
        break
    fi
    sleep 0.1
done

check "with campaignd on its store, /api/health says it is alive" \
    test "$alive" = yes
kill -TERM "$campaignd_pid"
wait "$campaignd_pid"
status=$?
check "campaignd stops on TERM with status 0 (it said: $(tail -1 "$TMP/campaignd.log"))" \
    test "$status" = 0
campaignd_pid=

stop_test_nginx


echo "# remove"
check "apt-get removes both" apt-get remove -y -q "$CMP_PKG" "$MOD_PKG"
check "the module is gone" test ! -e "$SO"
check "its modules-enabled link is set aside, as dh_nginx does" \
    bash -c "test ! -e $LINK && test -L $LINK.removed"
check "the store is kept" test -f "$STORE/probe"


echo "# purge"
check "apt-get purges both" apt-get purge -y -q "$CMP_PKG" "$MOD_PKG"
installed=no
check "dpkg knows neither" \
    bash -c "! dpkg-query -W -f '\${db:Status-Status}\n' $MOD_PKG $CMP_PKG 2>/dev/null |
             grep -qv '^not-installed\$'"
check "the store is gone" test ! -e "$STORE"
check "no modules-enabled link is left" \
    bash -c "! ls /etc/nginx/modules-enabled | grep -q campaign"

# every path the packages shipped is as it was before (absent, or there
# before them as a shared directory)
left=
for deb in "$MOD_DEB" "$CMP_DEB"; do
    for path in $(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's,^\.,,; s,/$,,'); do
        [ -n "$path" ] || continue
        if [ -e "$path" ] && ! grep -q "^$path " "$TMP/before"; then
            case "$path" in
            /etc/nginx/*|/usr/lib/nginx*|/usr/share/nginx/*) left="$left $path" ;;
            *) [ -d "$path" ] || left="$left $path" ;;
            esac
        fi
    done
done
check "no shipped file is left" test -z "$left"
[ -z "$left" ] || echo "#   left:$left"

snapshot >"$TMP/after"
check "nginx's config, modules and systemd's links are as before" \
    diff -u "$TMP/before" "$TMP/after"

echo "deb: took $(( $(date +%s) - started )) s"
echo "deb: $passed passed, $failed failed"
[ "$failed" = 0 ]
