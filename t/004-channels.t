# Channels (api.md "Channels"): defaults per type, readiness, WABA
# association, Viber account states, validation with the field named,
# write-only secrets that never appear in an answer or a log line, ids,
# and DELETE.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $HttpConfig = <<'_EOC_';
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
_EOC_

our $Config = <<'_EOC_';
    location /api/ { campaign_api write=on; }
_EOC_

# every secret value the tests send; none may be answered or logged
our @Secrets = qw(EAAG-SECRET-TOKEN-1 APP-SECRET-2 VERIFY-SECRET-3
                  VIBER-SECRET-4);
our $SecretRe = join '|', map { quotemeta } @Secrets;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a WhatsApp channel without a WABA: defaults, not ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"wa1","name":"Main WhatsApp","type":"whatsapp"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_headers
Location: /api/channels/wa1
ETag: "1"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp","type":"whatsapp","whatsapp":\{"waba_id":null,"phone_number_id":null,"api_base_url":"https://graph\.facebook\.com/v21\.0","access_token_set":false,"app_secret_set":false,"verify_token_set":false\},"rate_limit_per_second":80,"max_in_flight":64,"min_gap_seconds":6,"status":"ok","last_error":null,"ready":false,"not_ready_reason":"no WABA associated \(waba_id is not set\); phone_number_id is not set; access_token is not set","created_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","updated_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","version":1\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 2: associating the WABA is a PATCH of three fields; then ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"waba_id":"102938475","phone_number_id":"113355","access_token":"EAAG-SECRET-TOKEN-1"}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_headers
ETag: "2"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp","type":"whatsapp","whatsapp":\{"waba_id":"102938475","phone_number_id":"113355","api_base_url":"https://graph\.facebook\.com/v21\.0","access_token_set":true,"app_secret_set":false,"verify_token_set":false\},.*"ready":true,"not_ready_reason":null,.*"version":2\}$
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 3: the token never comes back: PATCH answer
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"app_secret":"APP-SECRET-2","verify_token":"VERIFY-SECRET-3"}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "access_token_set":true,"app_secret_set":true,"verify_token_set":true\}
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 4: PATCH answers have no secret value
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"name":"Main WhatsApp"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 5: GET has no secret value
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 6: GET shows the secrets as set
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_body_like: "whatsapp":\{"waba_id":"102938475","phone_number_id":"113355","api_base_url":"[^"]+","access_token_set":true,"app_secret_set":true,"verify_token_set":true\}.*"ready":true
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 7: the list has no secret value
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels

--- error_code: 200
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 8: a create with every secret answers none of them
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"wa2","name":"Full","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"2","access_token":"EAAG-SECRET-TOKEN-1","app_secret":"APP-SECRET-2","verify_token":"VERIFY-SECRET-3","api_base_url":"http://127.0.0.1:1/graph"},"rate_limit_per_second":20,"max_in_flight":5,"min_gap_seconds":0}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 9: that create is ready with its own limits
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/wa2

--- error_code: 200
--- response_body_like: ^\{"id":"wa2","name":"Full","type":"whatsapp","whatsapp":\{"waba_id":"1","phone_number_id":"2","api_base_url":"http://127\.0\.0\.1:1/graph","access_token_set":true,"app_secret_set":true,"verify_token_set":true\},"rate_limit_per_second":20,"max_in_flight":5,"min_gap_seconds":0,"status":"ok","last_error":null,"ready":true,"not_ready_reason":null,
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 10: a refused create with a secret logs and answers no secret
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"Bad","type":"whatsapp","whatsapp":{"access_token":"EAAG-SECRET-TOKEN-1","colour":"red"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"whatsapp\.colour"\}\}$
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 11: broken JSON around a secret logs and answers no part of it
--- http_config eval: $::HttpConfig
--- config eval: $::Config

--- request eval
"POST /api/channels\n{\"name\":\"Bad\",\"type\":\"whatsapp\",\"whatsapp\":{\"access_token\":\"EAAG-SECRET-TOKEN-1\x01\"}}"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json",
--- response_body_unlike: SECRET
--- no_error_log
[error]
[alert]
SECRET



=== TEST 12: a secret that is not a string is refused without echoing
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"access_token":12345678901}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"whatsapp.access_token must be a string","field":"whatsapp\.access_token"\}\}$

--- no_error_log
[error]
12345678901



=== TEST 13: clearing the token with null makes the channel not ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"access_token":null}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "access_token_set":false,"app_secret_set":true,"verify_token_set":true\}.*"ready":false,"not_ready_reason":"access_token is not set"
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 14: a PATCH of waba_id alone keeps the other fields
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"waba_id":"999"}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "whatsapp":\{"waba_id":"999","phone_number_id":"113355",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 15: api_base_url that is not http(s) is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"api_base_url":"ftp://graph.facebook.com"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"whatsapp.api_base_url must be an http:// or https:// URL","field":"whatsapp\.api_base_url"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 16: api_base_url without a scheme is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"X","type":"whatsapp","whatsapp":{"api_base_url":"graph.facebook.com"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"whatsapp\.api_base_url"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 17: api_base_url null goes back to the default
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"whatsapp":{"api_base_url":null}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "api_base_url":"https://graph\.facebook\.com/v21\.0"
--- no_error_log
[error]
[alert]
[crit]



=== TEST 18: an unknown field inside whatsapp is unknown_field whatsapp.foo
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"foo":"bar"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"unknown field \\"whatsapp\.foo\\"","field":"whatsapp\.foo"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 19: an unknown field with a long non-ASCII name is named, cut whole
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request eval
"POST /api/channels\n{\"name\":\"x\",\"type\":\"viber\",\"" . ("\xe4\xb8\xad" x 50) . "\":1}"
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like eval
qr/^\{"error":\{"code":"unknown_field","message":"unknown field \\"(?:\xe4\xb8\xad){42}\\"","field":"(?:\xe4\xb8\xad){42}"\}\}\z/
--- no_error_log
[error]
[alert]
[crit]



=== TEST 20: access_token_set is output only
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":{"access_token_set":true}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"whatsapp\.access_token_set"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 21: a viber object on a WhatsApp channel is refused (PATCH)
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"viber":{"sender_name":"x"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"viber"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 22: a viber object on a WhatsApp channel is refused (create)
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"X","type":"whatsapp","viber":{}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"viber"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 23: whatsapp that is not an object is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"whatsapp":"yes"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"whatsapp must be a JSON object","field":"whatsapp"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 24: the type cannot change
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"type cannot change after creation","field":"type"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 25: restating the same type is allowed
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"type":"whatsapp"}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "type":"whatsapp"
--- no_error_log
[error]
[alert]
[crit]



=== TEST 26: the version before a refused PATCH
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_headers
ETag: "7"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp",.*"access_token_set":false,.*"rate_limit_per_second":80,.*"version":7\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 27: a PATCH refused on its last field
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"name":"Renamed","whatsapp":{"access_token":"EAAG-SECRET-TOKEN-1"},"rate_limit_per_second":0}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"rate_limit_per_second must be an integer from 1 to 100000","field":"rate_limit_per_second"\}\}$
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 28: changed nothing: same version, name, limits and token state
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_headers
ETag: "7"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp",.*"access_token_set":false,.*"rate_limit_per_second":80,.*"version":7\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 29: rate_limit_per_second 0 is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":0}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 30: rate_limit_per_second too large is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":100001}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 31: rate_limit_per_second a fraction is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":1.5}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 32: rate_limit_per_second a string is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":"80"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 33: max_in_flight 0 is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"max_in_flight":0}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"max_in_flight"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 34: min_gap_seconds negative is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"min_gap_seconds":-1}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"min_gap_seconds"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 35: min_gap_seconds over a day is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"min_gap_seconds":86401}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"min_gap_seconds"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 36: every limit can change
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":1,"max_in_flight":1,"min_gap_seconds":86400}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "rate_limit_per_second":1,"max_in_flight":1,"min_gap_seconds":86400,
--- no_error_log
[error]
[alert]
[crit]



=== TEST 37: status cannot be set through the API
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"status":"ok"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"unknown field \\"status\\"","field":"status"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 38: last_error is output only
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"last_error":null}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"last_error"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 39: ready is output only
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"ready":true}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"ready"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 40: not_ready_reason is output only
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"not_ready_reason":null}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"not_ready_reason"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 41: version is output only
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"version":3}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"version"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 42: created_at is output only
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"created_at":"2026-01-01T00:00:00Z"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"created_at"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 43: a PATCH answers status ok and no last_error
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa2
{"name":"Full again"}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "status":"ok","last_error":null,
--- no_error_log
[error]
[alert]
[crit]



=== TEST 44: a Viber channel: its defaults, pending, not ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"vb1","name":"Viber promo","type":"viber","viber":{"sender_name":"ShopCo"}}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: ^\{"id":"vb1","name":"Viber promo","type":"viber","viber":\{"sender_name":"ShopCo","service_account_status":"pending","api_base_url":"https://chatapi\.viber\.com/pa","auth_token_set":false\},"rate_limit_per_second":50,"max_in_flight":64,"min_gap_seconds":0,"status":"ok","last_error":null,"ready":false,"not_ready_reason":"service account is pending, not approved; auth_token is not set",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 45: a token alone does not make a pending account ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"viber":{"auth_token":"VIBER-SECRET-4"}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "auth_token_set":true\}.*"ready":false,"not_ready_reason":"service account is pending, not approved"
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 46: approved with a token is ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"viber":{"service_account_status":"approved"}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "service_account_status":"approved",.*"auth_token_set":true\}.*"ready":true,"not_ready_reason":null
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 47: GET of the Viber channel has no token
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/vb1

--- error_code: 200
--- response_body_like: "auth_token_set":true
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 48: rejected is not ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"viber":{"service_account_status":"rejected"}}
--- more_headers
Content-Type: application/json

--- error_code: 200
--- response_body_like: "service_account_status":"rejected",.*"ready":false,"not_ready_reason":"service account is rejected, not approved"
--- no_error_log
[error]
[alert]
[crit]



=== TEST 49: approved without a token is not ready
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"vb2","name":"No token","type":"viber","viber":{"service_account_status":"approved"}}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: "ready":false,"not_ready_reason":"auth_token is not set"
--- no_error_log
[error]
[alert]
[crit]



=== TEST 50: an unknown service_account_status is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"viber":{"service_account_status":"active"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"viber.service_account_status must be one of: pending, approved, rejected","field":"viber\.service_account_status"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 51: a sender_name over 28 characters is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"viber":{"sender_name":"sssssssssssssssssssssssssssss"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"viber\.sender_name"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 52: a whatsapp object on a Viber channel is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"whatsapp":{"waba_id":"1"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"whatsapp"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 53: an unknown field inside viber is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"viber":{"access_token":"x"}}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"viber\.access_token"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 54: a Viber channel cannot become WhatsApp
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"type":"whatsapp"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"type"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 55: type missing
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"X"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"type is required","field":"type"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 56: type unknown
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"X","type":"sms"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"type must be one of: whatsapp, viber","field":"type"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 57: type not a string
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"X","type":1}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"type"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 58: name missing
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name is required","field":"name"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 59: name empty
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be 1 to 128 characters","field":"name"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 60: name of 129 characters
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be 1 to 128 characters","field":"name"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 61: name of 128 characters is allowed
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"n128","name":"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: ^\{"id":"n128","name":"n{128}",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 62: name of 128 Chinese characters (384 bytes) is allowed
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"zh128","name":"中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: ^\{"id":"zh128","name":"(?:\x{e4}\x{b8}\x{ad}){128}",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 63: name of 129 Chinese characters is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"name":"中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"name"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 64: name of 128 emoji (512 bytes) is allowed
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"emoji128","name":"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: ^\{"id":"emoji128",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 65: name given as \u escapes counts characters too
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"esc128","name":"\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: ^\{"id":"esc128","name":"(?:\x{e4}\x{b8}\x{ad}){128}",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 66: name not a string
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/vb1
{"name":7}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be a string","field":"name"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 67: a taken id is 409 conflict
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"wa1","name":"Again","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"channel \"wa1\" already exists","field":"id"}}
--- no_error_log
[error]
[alert]
[crit]



=== TEST 68: the taken id kept its channel
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp","type":"whatsapp",
--- no_error_log
[error]
[alert]
[crit]



=== TEST 69: an id with a space and ! is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"bad id!","name":"X","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 70: an id of 65 characters is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii","name":"X","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 71: an id empty is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"","name":"X","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 72: an id a number is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":42,"name":"X","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 73: an id with a slash is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"a/b","name":"X","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 74: an id not ASCII is refused
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"été","name":"X","type":"viber"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 75: an id of 64 characters of every allowed kind
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-abcd","name":"X","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_headers
Location: /api/channels/aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-abcd
--- no_error_log
[error]
[alert]
[crit]



=== TEST 76: the id cannot change by PATCH
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
PATCH /api/channels/wa1
{"id":"wa9"}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id cannot change","field":"id"\}\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 77: DELETE answers 204 without a body
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
DELETE /api/channels/vb2

--- error_code: 204
--- response_body:
--- no_error_log
[error]
[alert]
[crit]



=== TEST 78: a deleted channel is gone
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels/vb2

--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"vb2\""}}
--- no_error_log
[error]
[alert]
[crit]



=== TEST 79: DELETE of a deleted channel is 404
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
DELETE /api/channels/vb2

--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"vb2\""}}
--- no_error_log
[error]
[alert]
[crit]



=== TEST 80: DELETE of an unknown channel is 404
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
DELETE /api/channels/never

--- error_code: 404
--- response_body_like: "code":"not_found"
--- no_error_log
[error]
[alert]
[crit]



=== TEST 81: a deleted channel leaves the list
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
GET /api/channels

--- error_code: 200
--- response_body_unlike: "id":"vb2"
--- no_error_log
[error]
[alert]
[crit]



=== TEST 82: a deleted id is free again for a client-chosen create
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"vb2","name":"Reborn","type":"viber"}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: ^\{"id":"vb2","name":"Reborn",.*"auth_token_set":false\},.*"version":1\}$
--- no_error_log
[error]
[alert]
[crit]



=== TEST 83: deleting a channel with secrets removes them too
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
DELETE /api/channels/vb1

--- error_code: 204
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 84: a new channel under that id has no token of the old one
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- request
POST /api/channels
{"id":"vb1","name":"Fresh","type":"viber","viber":{"service_account_status":"approved"}}
--- more_headers
Content-Type: application/json

--- error_code: 201
--- response_body_like: "auth_token_set":false\}.*"ready":false
--- no_error_log
[error]
[alert]
[crit]
