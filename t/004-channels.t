# Channels (README "Channels"): defaults per type, readiness, WABA
# association, Viber account states, validation with the field named,
# write-only secrets that never appear in an answer or a log line, ids,
# and DELETE.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Config = <<'_EOC_';
    location /api/ { campaign_api write=on; }
_EOC_

# every secret value the tests send; none may be answered or logged
our @Secrets = qw(EAAG-SECRET-TOKEN-1 APP-SECRET-2 VERIFY-SECRET-3
                  VIBER-SECRET-4);
our $SecretRe = join '|', map { quotemeta } @Secrets;

CampaignTest::defaults(config => $Config);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a WhatsApp channel without a WABA: defaults, not ready
--- request
POST /api/channels
{"id":"wa1","name":"Main WhatsApp","type":"whatsapp"}

--- error_code: 201
--- response_headers
Location: /api/channels/wa1
ETag: "1"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp","type":"whatsapp","whatsapp":\{"waba_id":null,"phone_number_id":null,"api_base_url":"https://graph\.facebook\.com/v23\.0","access_token_set":false,"app_secret_set":false,"verify_token_set":false\},"rate_limit_per_second":80,"max_in_flight":64,"min_gap_seconds":6,"status":"ok","last_error":null,"ready":false,"not_ready_reason":"no WABA associated \(waba_id is not set\); phone_number_id is not set; access_token is not set","created_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","updated_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","version":1\}$



=== TEST 2: associating the WABA is a PATCH of three fields; then ready
--- request
PATCH /api/channels/wa1
{"whatsapp":{"waba_id":"102938475","phone_number_id":"113355","access_token":"EAAG-SECRET-TOKEN-1"}}

--- error_code: 200
--- response_headers
ETag: "2"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp","type":"whatsapp","whatsapp":\{"waba_id":"102938475","phone_number_id":"113355","api_base_url":"https://graph\.facebook\.com/v23\.0","access_token_set":true,"app_secret_set":false,"verify_token_set":false\},.*"ready":true,"not_ready_reason":null,.*"version":2\}$
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 3: the token never comes back: PATCH answer
--- request
PATCH /api/channels/wa1
{"whatsapp":{"app_secret":"APP-SECRET-2","verify_token":"VERIFY-SECRET-3"}}

--- error_code: 200
--- response_body_like: "access_token_set":true,"app_secret_set":true,"verify_token_set":true\}
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 4: PATCH answers have no secret value
--- request
PATCH /api/channels/wa1
{"name":"Main WhatsApp"}
--- error_code: 200
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 5: GET has no secret value
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 6: GET shows the secrets as set
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_body_like: "whatsapp":\{"waba_id":"102938475","phone_number_id":"113355","api_base_url":"[^"]+","access_token_set":true,"app_secret_set":true,"verify_token_set":true\}.*"ready":true
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 7: the list has no secret value
--- request
GET /api/channels

--- error_code: 200
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 8: a create with every secret answers none of them
--- request
POST /api/channels
{"id":"wa2","name":"Full","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"2","access_token":"EAAG-SECRET-TOKEN-1","app_secret":"APP-SECRET-2","verify_token":"VERIFY-SECRET-3","api_base_url":"http://127.0.0.1:1/graph"},"rate_limit_per_second":20,"max_in_flight":5,"min_gap_seconds":0}

--- error_code: 201
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 9: that create is ready with its own limits
--- request
GET /api/channels/wa2

--- error_code: 200
--- response_body_like: ^\{"id":"wa2","name":"Full","type":"whatsapp","whatsapp":\{"waba_id":"1","phone_number_id":"2","api_base_url":"http://127\.0\.0\.1:1/graph","access_token_set":true,"app_secret_set":true,"verify_token_set":true\},"rate_limit_per_second":20,"max_in_flight":5,"min_gap_seconds":0,"status":"ok","last_error":null,"ready":true,"not_ready_reason":null,
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 10: a refused create with a secret logs and answers no secret
--- request
POST /api/channels
{"name":"Bad","type":"whatsapp","whatsapp":{"access_token":"EAAG-SECRET-TOKEN-1","colour":"red"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"whatsapp\.colour"\}\}$
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 11: broken JSON around a secret logs and answers no part of it
--- request eval
"POST /api/channels\n{\"name\":\"Bad\",\"type\":\"whatsapp\",\"whatsapp\":{\"access_token\":\"EAAG-SECRET-TOKEN-1\x01\"}}"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json",
--- response_body_unlike: SECRET
--- no_error_log
[error]
[alert]
SECRET



=== TEST 12: a secret that is not a string is refused without echoing
--- request
PATCH /api/channels/wa1
{"whatsapp":{"access_token":12345678901}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"whatsapp.access_token must be a string","field":"whatsapp\.access_token"\}\}$

--- no_error_log
[error]
12345678901



=== TEST 13: clearing the token with null makes the channel not ready
--- request
PATCH /api/channels/wa1
{"whatsapp":{"access_token":null}}

--- error_code: 200
--- response_body_like: "access_token_set":false,"app_secret_set":true,"verify_token_set":true\}.*"ready":false,"not_ready_reason":"access_token is not set"
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 14: a PATCH of waba_id alone keeps the other fields
--- request
PATCH /api/channels/wa1
{"whatsapp":{"waba_id":"999"}}

--- error_code: 200
--- response_body_like: "whatsapp":\{"waba_id":"999","phone_number_id":"113355",



=== TEST 15: api_base_url that is not http(s) is refused
--- request
PATCH /api/channels/wa1
{"whatsapp":{"api_base_url":"ftp://graph.facebook.com"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"whatsapp.api_base_url must be an http:// or https:// URL with a host, without a query, a fragment, blanks or control characters","field":"whatsapp\.api_base_url"\}\}$



=== TEST 16: api_base_url without a scheme is refused
--- request
POST /api/channels
{"name":"X","type":"whatsapp","whatsapp":{"api_base_url":"graph.facebook.com"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"whatsapp\.api_base_url"\}\}$



=== TEST 17: api_base_url null goes back to the default
--- request
PATCH /api/channels/wa2
{"whatsapp":{"api_base_url":null}}

--- error_code: 200
--- response_body_like: "api_base_url":"https://graph\.facebook\.com/v23\.0"



=== TEST 18: an unknown field inside whatsapp is unknown_field whatsapp.foo
--- request
PATCH /api/channels/wa1
{"whatsapp":{"foo":"bar"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"unknown field \\"whatsapp\.foo\\"","field":"whatsapp\.foo"\}\}$



=== TEST 19: an unknown field with a long non-ASCII name is named, cut whole
--- request eval
"POST /api/channels\n{\"name\":\"x\",\"type\":\"viber\",\"" . ("\xe4\xb8\xad" x 50) . "\":1}"
--- error_code: 422
--- response_body_like eval
qr/^\{"error":\{"code":"unknown_field","message":"unknown field \\"(?:\xe4\xb8\xad){42}\\"","field":"(?:\xe4\xb8\xad){42}"\}\}\z/



=== TEST 20: access_token_set is output only
--- request
PATCH /api/channels/wa1
{"whatsapp":{"access_token_set":true}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"whatsapp\.access_token_set"\}\}$



=== TEST 21: a viber object on a WhatsApp channel is refused (PATCH)
--- request
PATCH /api/channels/wa1
{"viber":{"sender_name":"x"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"viber"\}\}$



=== TEST 22: a viber object on a WhatsApp channel is refused (create)
--- request
POST /api/channels
{"name":"X","type":"whatsapp","viber":{}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"viber"\}\}$



=== TEST 23: whatsapp that is not an object is refused
--- request
PATCH /api/channels/wa1
{"whatsapp":"yes"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"whatsapp must be a JSON object","field":"whatsapp"\}\}$



=== TEST 24: the type cannot change
--- request
PATCH /api/channels/wa1
{"type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"type cannot change after creation","field":"type"\}\}$



=== TEST 25: restating the same type is allowed
--- request
PATCH /api/channels/wa1
{"type":"whatsapp"}

--- error_code: 200
--- response_body_like: "type":"whatsapp"



=== TEST 26: the version before a refused PATCH
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_headers
ETag: "7"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp",.*"access_token_set":false,.*"rate_limit_per_second":80,.*"version":7\}$



=== TEST 27: a PATCH refused on its last field
--- request
PATCH /api/channels/wa1
{"name":"Renamed","whatsapp":{"access_token":"EAAG-SECRET-TOKEN-1"},"rate_limit_per_second":0}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"rate_limit_per_second must be an integer from 1 to 100000","field":"rate_limit_per_second"\}\}$
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 28: changed nothing: same version, name, limits and token state
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_headers
ETag: "7"
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp",.*"access_token_set":false,.*"rate_limit_per_second":80,.*"version":7\}$



=== TEST 29: rate_limit_per_second 0 is refused
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":0}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$



=== TEST 30: rate_limit_per_second too large is refused
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":100001}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$



=== TEST 31: rate_limit_per_second a fraction is refused
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":1.5}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$



=== TEST 32: rate_limit_per_second a string is refused
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":"80"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"rate_limit_per_second"\}\}$



=== TEST 33: max_in_flight 0 is refused
--- request
PATCH /api/channels/wa2
{"max_in_flight":0}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"max_in_flight"\}\}$



=== TEST 34: min_gap_seconds negative is refused
--- request
PATCH /api/channels/wa2
{"min_gap_seconds":-1}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"min_gap_seconds"\}\}$



=== TEST 35: min_gap_seconds over a day is refused
--- request
PATCH /api/channels/wa2
{"min_gap_seconds":86401}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"min_gap_seconds"\}\}$



=== TEST 36: every limit can change
--- request
PATCH /api/channels/wa2
{"rate_limit_per_second":1,"max_in_flight":1,"min_gap_seconds":86400}

--- error_code: 200
--- response_body_like: "rate_limit_per_second":1,"max_in_flight":1,"min_gap_seconds":86400,



=== TEST 37: status cannot be set through the API
--- request
PATCH /api/channels/wa2
{"status":"ok"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"unknown field \\"status\\"","field":"status"\}\}$



=== TEST 38: last_error is output only
--- request
PATCH /api/channels/wa2
{"last_error":null}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"last_error"\}\}$



=== TEST 39: ready is output only
--- request
PATCH /api/channels/wa2
{"ready":true}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"ready"\}\}$



=== TEST 40: not_ready_reason is output only
--- request
PATCH /api/channels/wa2
{"not_ready_reason":null}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"not_ready_reason"\}\}$



=== TEST 41: version is output only
--- request
PATCH /api/channels/wa2
{"version":3}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"version"\}\}$



=== TEST 42: created_at is output only
--- request
PATCH /api/channels/wa2
{"created_at":"2026-01-01T00:00:00Z"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"created_at"\}\}$



=== TEST 43: a PATCH answers status ok and no last_error
--- request
PATCH /api/channels/wa2
{"name":"Full again"}

--- error_code: 200
--- response_body_like: "status":"ok","last_error":null,



=== TEST 44: a Viber channel: its defaults, pending, not ready
--- request
POST /api/channels
{"id":"vb1","name":"Viber promo","type":"viber","viber":{"sender_name":"ShopCo"}}

--- error_code: 201
--- response_body_like: ^\{"id":"vb1","name":"Viber promo","type":"viber","viber":\{"sender_name":"ShopCo","service_account_status":"pending","api_base_url":"https://chatapi\.viber\.com/pa","auth_token_set":false\},"rate_limit_per_second":50,"max_in_flight":64,"min_gap_seconds":0,"status":"ok","last_error":null,"ready":false,"not_ready_reason":"service account is pending, not approved; auth_token is not set",



=== TEST 45: a token alone does not make a pending account ready
--- request
PATCH /api/channels/vb1
{"viber":{"auth_token":"VIBER-SECRET-4"}}

--- error_code: 200
--- response_body_like: "auth_token_set":true\}.*"ready":false,"not_ready_reason":"service account is pending, not approved"
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 46: approved with a token is ready
--- request
PATCH /api/channels/vb1
{"viber":{"service_account_status":"approved"}}

--- error_code: 200
--- response_body_like: "service_account_status":"approved",.*"auth_token_set":true\}.*"ready":true,"not_ready_reason":null
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 47: GET of the Viber channel has no token
--- request
GET /api/channels/vb1

--- error_code: 200
--- response_body_like: "auth_token_set":true
--- response_body_unlike eval: $::SecretRe
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 48: rejected is not ready
--- request
PATCH /api/channels/vb1
{"viber":{"service_account_status":"rejected"}}

--- error_code: 200
--- response_body_like: "service_account_status":"rejected",.*"ready":false,"not_ready_reason":"service account is rejected, not approved"



=== TEST 49: approved without a token is not ready
--- request
POST /api/channels
{"id":"vb2","name":"No token","type":"viber","viber":{"service_account_status":"approved"}}

--- error_code: 201
--- response_body_like: "ready":false,"not_ready_reason":"sender_name is not set; auth_token is not set"



=== TEST 50: an unknown service_account_status is refused
--- request
PATCH /api/channels/vb1
{"viber":{"service_account_status":"active"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"viber.service_account_status must be one of: pending, approved, rejected","field":"viber\.service_account_status"\}\}$



=== TEST 51: a sender_name over 28 characters is refused
--- request
PATCH /api/channels/vb1
{"viber":{"sender_name":"sssssssssssssssssssssssssssss"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"viber\.sender_name"\}\}$



=== TEST 52: a whatsapp object on a Viber channel is refused
--- request
PATCH /api/channels/vb1
{"whatsapp":{"waba_id":"1"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"whatsapp"\}\}$



=== TEST 53: an unknown field inside viber is refused
--- request
PATCH /api/channels/vb1
{"viber":{"access_token":"x"}}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"unknown_field","message":"(?:[^"\\]|\\.)+","field":"viber\.access_token"\}\}$



=== TEST 54: a Viber channel cannot become WhatsApp
--- request
PATCH /api/channels/vb1
{"type":"whatsapp"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"type"\}\}$



=== TEST 55: type missing
--- request
POST /api/channels
{"name":"X"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"type is required","field":"type"\}\}$



=== TEST 56: type unknown
--- request
POST /api/channels
{"name":"X","type":"sms"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"type must be one of: whatsapp, viber","field":"type"\}\}$



=== TEST 57: type not a string
--- request
POST /api/channels
{"name":"X","type":1}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"type"\}\}$



=== TEST 58: name missing
--- request
POST /api/channels
{"type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name is required","field":"name"\}\}$



=== TEST 59: name empty
--- request
POST /api/channels
{"name":"","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be 1 to 128 characters","field":"name"\}\}$



=== TEST 60: name of 129 characters
--- request
POST /api/channels
{"name":"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be 1 to 128 characters","field":"name"\}\}$



=== TEST 61: name of 128 characters is allowed
--- request
POST /api/channels
{"id":"n128","name":"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn","type":"viber"}

--- error_code: 201
--- response_body_like: ^\{"id":"n128","name":"n{128}",



=== TEST 62: name of 128 Chinese characters (384 bytes) is allowed
--- request
POST /api/channels
{"id":"zh128","name":"中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中","type":"viber"}

--- error_code: 201
--- response_body_like: ^\{"id":"zh128","name":"(?:\x{e4}\x{b8}\x{ad}){128}",



=== TEST 63: name of 129 Chinese characters is refused
--- request
POST /api/channels
{"name":"中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中中","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"(?:[^"\\]|\\.)+","field":"name"\}\}$



=== TEST 64: name of 128 emoji (512 bytes) is allowed
--- request
POST /api/channels
{"id":"emoji128","name":"😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀","type":"viber"}

--- error_code: 201
--- response_body_like: ^\{"id":"emoji128",



=== TEST 65: name given as \u escapes counts characters too
--- request
POST /api/channels
{"id":"esc128","name":"\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d\u4e2d","type":"viber"}

--- error_code: 201
--- response_body_like: ^\{"id":"esc128","name":"(?:\x{e4}\x{b8}\x{ad}){128}",



=== TEST 66: name not a string
--- request
PATCH /api/channels/vb1
{"name":7}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be a string","field":"name"\}\}$



=== TEST 67: a taken id is 409 conflict
--- request
POST /api/channels
{"id":"wa1","name":"Again","type":"viber"}

--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"channel \"wa1\" already exists","field":"id"}}



=== TEST 68: the taken id kept its channel
--- request
GET /api/channels/wa1

--- error_code: 200
--- response_body_like: ^\{"id":"wa1","name":"Main WhatsApp","type":"whatsapp",



=== TEST 69: an id with a space and ! is refused
--- request
POST /api/channels
{"id":"bad id!","name":"X","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$



=== TEST 70: an id of 65 characters is refused
--- request
POST /api/channels
{"id":"iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii","name":"X","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$



=== TEST 71: an id empty is refused
--- request
POST /api/channels
{"id":"","name":"X","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$



=== TEST 72: an id a number is refused
--- request
POST /api/channels
{"id":42,"name":"X","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$



=== TEST 73: an id with a slash is refused
--- request
POST /api/channels
{"id":"a/b","name":"X","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$



=== TEST 74: an id not ASCII is refused
--- request
POST /api/channels
{"id":"été","name":"X","type":"viber"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id must be 1 to 64 characters of \[A-Za-z0-9_-\]","field":"id"\}\}$



=== TEST 75: an id of 64 characters of every allowed kind
--- request
POST /api/channels
{"id":"aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-abcd","name":"X","type":"viber"}

--- error_code: 201
--- response_headers
Location: /api/channels/aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-aZ09_-abcd



=== TEST 76: the id cannot change by PATCH
--- request
PATCH /api/channels/wa1
{"id":"wa9"}
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"id cannot change","field":"id"\}\}$



=== TEST 77: DELETE answers 204 without a body
--- request
DELETE /api/channels/vb2

--- error_code: 204
--- response_body:



=== TEST 78: a deleted channel is gone
--- request
GET /api/channels/vb2

--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"vb2\""}}



=== TEST 79: DELETE of a deleted channel is 404
--- request
DELETE /api/channels/vb2

--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"vb2\""}}



=== TEST 80: DELETE of an unknown channel is 404
--- request
DELETE /api/channels/never

--- error_code: 404
--- response_body_like: "code":"not_found"



=== TEST 81: a deleted channel leaves the list
--- request
GET /api/channels

--- error_code: 200
--- response_body_unlike: "id":"vb2"



=== TEST 82: a deleted id stays taken: ids are never reused (api.md "Conventions"), so no new channel inherits the old one's queue or webhooks
--- request
POST /api/channels
{"id":"vb2","name":"Reborn","type":"viber"}

--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"id \"vb2\" belonged to a deleted channel; ids are never reused","field":"id"}}
--- no_error_log
[error]



=== TEST 83: deleting a channel with secrets removes them too
--- request
DELETE /api/channels/vb1

--- error_code: 204
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 84: no new channel takes the id of one deleted with its secrets (api.md: ids are never reused), and the refusal names none of them
--- request
POST /api/channels
{"id":"vb1","name":"Fresh","type":"viber","viber":{"service_account_status":"approved"}}

--- error_code: 409
--- response_body_like: ^\{"error":\{"code":"conflict","message":"id \\"vb1\\" belonged to a deleted channel; ids are never reused","field":"id"\}\}$
--- no_error_log eval
[ '[error]', '[alert]', '[crit]', @::Secrets ]



=== TEST 85: Viber requires sender.name: a channel without one is not ready
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
["POST /api/channels\n" . '{"id":"vb5","name":"No sender","type":"viber","viber":{"service_account_status":"approved","auth_token":"t"}}',
 "PATCH /api/channels/vb5\n" . '{"viber":{"sender_name":"Shop"}}',
 "PATCH /api/channels/vb5\n" . '{"viber":{"sender_name":"12345678901234567890123456789"}}']
--- error_code eval
[201, 200, 422]
--- response_body_like eval
[qr/"ready":false,"not_ready_reason":"sender_name is not set"/,
 qr/"ready":true,"not_ready_reason":null/,
 qr/"field":"viber.sender_name"/]



=== TEST 86: ids that go into the Graph API's URL are digits only
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
["POST /api/channels\n" . '{"name":"X","type":"whatsapp","whatsapp":{"phone_number_id":"../../x?a=b#"}}',
 "POST /api/channels\n" . '{"name":"X","type":"whatsapp","whatsapp":{"waba_id":"12 3"}}',
 "POST /api/channels\n" . '{"name":"X","type":"whatsapp","whatsapp":{"phone_number_id":"106540352242922","waba_id":"102290129340398"}}']
--- error_code eval
[422, 422, 201]
--- response_body_like eval
[qr/"message":"whatsapp.phone_number_id must be digits only","field":"whatsapp.phone_number_id"/,
 qr/"field":"whatsapp.waba_id"/,
 qr/"phone_number_id":"106540352242922"/]
--- no_error_log
[error]



=== TEST 87: no CR, LF or other control character in a token or a URL
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
["POST /api/channels\n" . '{"name":"X","type":"whatsapp","whatsapp":{"access_token":"t\r\nX-Injected: 1"}}',
 "POST /api/channels\n" . '{"name":"X","type":"viber","viber":{"auth_token":"a\u0007b"}}',
 "POST /api/channels\n" . '{"name":"X","type":"whatsapp","whatsapp":{"api_base_url":"https://graph.facebook.com/v23.0?x=1"}}',
 "POST /api/channels\n" . '{"name":"X","type":"whatsapp","whatsapp":{"api_base_url":"https://"}}',
 "POST /api/channels\n" . '{"name":"X","type":"viber","viber":{"sender_name":"Shop\nX"}}']
--- error_code eval
[422, 422, 422, 422, 422]
--- response_body_like eval
[qr/"message":"whatsapp.access_token must not contain control characters","field":"whatsapp.access_token"/,
 qr/"field":"viber.auth_token"/,
 qr/"field":"whatsapp.api_base_url"/,
 qr/"field":"whatsapp.api_base_url"/,
 qr/"field":"viber.sender_name"/]
--- no_error_log
[error]
