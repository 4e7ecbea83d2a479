# sourced by the benchmarks: make_channels BASE N posts WhatsApp channels,
# each its own number and secret (post_wa_channels.lua), until the newest
# is the N-th made.  wrk's clock runs its whole -d even after its threads made
# their share, so it is stopped once the newest channel's id (the
# creation sequence, in hex) says so.

newest_channel() {
    curl -s "$1/api/channels?limit=1" |
        sed -n 's/.*"id":"ch_\([0-9a-f]*\)".*/\1/p'
}

make_channels() {
    local base=$1 n=$2 wrk_pid last first

    first=$(newest_channel "$base")
    first=$((16#${first:-0}))

    wrk -t2 -c32 -d300s -s "$(dirname "${BASH_SOURCE[0]}")/post_wa_channels.lua" \
        "$base" -- "$n" > /dev/null &
    wrk_pid=$!

    while kill -0 "$wrk_pid" 2>/dev/null; do
        last=$(newest_channel "$base")
        [ -n "$last" ] && [ $((16#$last - first)) -ge "$n" ] \
            && kill "$wrk_pid"
        sleep 0.5
    done

    wait "$wrk_pid" 2>/dev/null || true
}
