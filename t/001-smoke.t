# The module loads, serves /health, and answers unknown routes with JSON.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $HttpConfig = <<'_EOC_';
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
_EOC_

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
--- response_body_like: ^\{"store":\{"ok":true,"used_bytes":\d+,"max_bytes":1073741824\},"scheduler":\{"alive":false,"last_heartbeat":null\}\}$
--- no_error_log
[error]



=== TEST 2: an unknown route is a JSON 404
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
