# The module loads, serves /health, and answers unknown routes with JSON.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $HttpConfig = <<'_EOC_';
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
_EOC_

# a store directory whose data file is not LMDB's (TEST 6)
{
    my $dir = store_dir() . "-broken";
    mkdir $dir;
    open my $fh, '>', "$dir/data.mdb" or die "$dir/data.mdb: $!";
    print $fh "not an LMDB environment\n" x 1024;
    close $fh;
}

repeat_each(2);

run_tests();

__DATA__

=== TEST 1: health answers with the store's size
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health
--- error_code: 200
--- response_body_like: ^\{"store":\{"ok":true,"used_bytes":\d+,"max_bytes":1073741824\},"scheduler":\{"alive":false,"last_heartbeat":null,"last_error":null\},"api":\{"write":false\}\}$
--- no_error_log
[error]



=== TEST 2: health says when its location takes writes
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api write=on; }
--- request
GET /api/health
--- error_code: 200
--- response_body_like: "api":\{"write":true\}\}$
--- no_error_log
[error]



=== TEST 3: a probe that requires the scheduler fails while none beats
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health?scheduler=required
--- error_code: 503
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"store":\{"ok":true,.*"scheduler":\{"alive":false,"last_heartbeat":null,"last_error":null\}
--- no_error_log
[error]



=== TEST 4: a scheduler requirement it does not know is a 400
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health?scheduler=maybe
--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"scheduler must be \"required\"","field":"scheduler"}}
--- no_error_log
[error]



=== TEST 5: an unknown route is a JSON 404
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/nothing-here
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}
--- no_error_log
[error]



=== TEST 6: a store the workers cannot open makes health a 503
A data file that is not LMDB's passes nginx -t (the directory is fine) and
fails only when a worker opens it.
--- http_config
    campaign_store $TEST_NGINX_CAMPAIGN_STORE-broken;
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health
--- error_code: 503
--- response_body_like: ^\{"error":\{"code":"store_unavailable",



=== TEST 7: error_log at debug tells how a request was taken
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api write=on; }
--- request
POST /api/channels
{"name": "Debug", "type": "whatsapp"}
--- more_headers
Content-Type: application/json
--- error_code: 201
--- error_log
campaign api: "POST" route:found "channels" id:"" rc:0
campaign api: a write, body type:1 length:37
campaign writer: a batch of 1, none waiting
campaign writer: committed, answering 201
--- no_error_log
[error]
