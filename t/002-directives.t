# Every configuration mistake of the campaign directives is refused by
# "nginx -t" with a message that says what is wrong; a good one loads.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

use File::Path qw(make_path remove_tree);

fresh_store();

our $HttpConfig = <<'_EOC_';
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
_EOC_

# A directory the workers cannot write to.  root passes access(2) on any
# mode, so as root the directory is also made immutable (chattr +i), which
# refuses writes even to root; where that is impossible the block is skipped.
our $ReadOnly = store_dir() . '-readonly';

system("chattr -i '$ReadOnly' 2>/dev/null") if -d $ReadOnly;
rmdir $ReadOnly;
mkdir $ReadOnly or die "cannot create $ReadOnly: $!";
chmod 0500, $ReadOnly;

our $Immutable = ($> == 0
                  && system("chattr +i '$ReadOnly' 2>/dev/null") == 0);
our $ReadOnlyUntestable = ($> == 0 && !$Immutable) ? 1 : 0;

$ENV{TEST_NGINX_READONLY_STORE} = $ReadOnly;

# a store of its own for each max_size that health reports: LMDB keeps the
# largest map size a store was ever opened with, and the blocks run in any
# order
for my $size (qw(64m 2g)) {
    my $dir = store_dir() . "-$size";
    remove_tree($dir);
    make_path($dir) or die "cannot create $dir: $!";
    $ENV{"TEST_NGINX_STORE_\U$size"} = $dir;
}

# a plain file where the store directory should be
our $NotDir = store_dir() . '-file';
open my $fh, '>', $NotDir or die "cannot create $NotDir: $!";
close $fh;

$ENV{TEST_NGINX_NOTDIR_STORE} = $NotDir;

END {
    system("chattr -i '$ReadOnly' 2>/dev/null") if $Immutable;
}

# every block stands alone (the one that writes deletes what it wrote)
repeat_each(2);

run_tests();

__DATA__

=== TEST 1: campaign_api without campaign_store
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"campaign_api" directive in \S+\/nginx\.conf:\d+ requires "campaign_store" in the http block/



=== TEST 2: campaign_store on a directory that does not exist
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE/no-such-dir;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*campaign_store "[^"]*\/no-such-dir" is not a directory/



=== TEST 3: campaign_store on a plain file
--- http_config
    campaign_store $TEST_NGINX_NOTDIR_STORE;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*campaign_store "[^"]*-file" is not a directory/



=== TEST 4: campaign_store on a directory that is not writable
--- skip_eval: 2: $::ReadOnlyUntestable
--- http_config
    campaign_store $TEST_NGINX_READONLY_STORE;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*campaign_store "[^"]*-readonly" is not writable/



=== TEST 5: max_size that is not a size
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE max_size=abc;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid max_size "abc": a size of at least 1m is expected/



=== TEST 6: max_size too small for LMDB
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE max_size=10k;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid max_size "10k": a size of at least 1m is expected/



=== TEST 7: an unknown parameter of campaign_store
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE max_bytes=1g;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "max_bytes=1g"/



=== TEST 8: campaign_store twice
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_store" directive is duplicate/



=== TEST 9: campaign_store without a path
--- http_config
    campaign_store;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid number of arguments in "campaign_store" directive/



=== TEST 10: campaign_api write= takes on or off only
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api write=maybe; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "write=maybe": "write=on" or "write=off" is expected/



=== TEST 11: campaign_api twice in one location
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; campaign_api write=on; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_api" directive is duplicate/



=== TEST 12: campaign_api with two parameters
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api write=on write=off; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid number of arguments in "campaign_api" directive/



=== TEST 13: campaign_store in a location is the wrong context
--- http_config eval: $::HttpConfig
--- config
    location /api/ {
        campaign_store $TEST_NGINX_CAMPAIGN_STORE;
        campaign_api;
    }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_store" directive is not allowed here/



=== TEST 14: campaign_store in a server block is the wrong context
--- config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_store" directive is not allowed here/



=== TEST 15: campaign_api in the server block is the wrong context
--- http_config eval: $::HttpConfig
--- config
    campaign_api;
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_api" directive is not allowed here/



=== TEST 16: an empty thread_pool name
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE thread_pool=;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_store" directive has an empty thread_pool name/



=== TEST 17: max_size is the map size health reports
--- http_config
    campaign_store $TEST_NGINX_STORE_64M max_size=64m;
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health
--- error_code: 200
--- response_body_like: ^\{"store":\{"ok":true,"used_bytes":\d+,"max_bytes":67108864\},
--- no_error_log
[error]
[crit]
[emerg]



=== TEST 18: campaign_store alone (no API location) is a valid config
--- http_config eval: $::HttpConfig
--- config
    location /plain { return 200 "plain\n"; }
--- request
GET /plain
--- response_body
plain
--- no_error_log
[error]
[crit]
[emerg]



=== TEST 19: max_size takes nginx's size suffixes up to g
--- http_config
    campaign_store $TEST_NGINX_STORE_2G max_size=2g;
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health
--- error_code: 200
--- response_body_like: ^\{"store":\{"ok":true,"used_bytes":\d+,"max_bytes":2147483648\},
--- no_error_log
[error]
[crit]
[emerg]



=== TEST 20: batch must be a number from 1 to 10000
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE batch=0;
--- config
    location /api/ { campaign_api; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid batch "batch=0": a number from 1 to 10000 is expected/



=== TEST 21: batch=1 commits every write alone, and still answers it (ids the server picks: a deleted id is never free again, api.md "never reused", and the block runs twice)
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE batch=1;
--- config
    location /api/ { campaign_api write=on; }
--- pipelined_requests eval
["POST /api/channels\n{\"name\":\"one-by-one\",\"type\":\"viber\"}",
 "POST /api/channels\n{\"name\":\"two-by-two\",\"type\":\"viber\"}",
 "GET /api/channels?limit=1", "DELETE /api/channels/never-made"]
--- more_headers
Content-Type: application/json
--- error_code eval
[201, 201, 200, 404]
--- no_error_log
[error]
[crit]
