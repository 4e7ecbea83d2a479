# The API's plumbing: routing under the location's prefix, JSON errors for
# every refusal (404, 405, 413, 415, 400, 422, 412), bodies in memory or in
# temp files, ETag/If-Match, Idempotency-Key, paging and HEAD.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Config = <<'_EOC_';
    location /api/ { campaign_api write=on; }
    location /v1 { campaign_api write=on; }
    location /ro/ { campaign_api; }
    location /off/ { campaign_api write=off; }
    location /small/ {
        campaign_api write=on;
        client_max_body_size 1k;
    }
    location /spill/ {
        campaign_api write=on;
        client_body_buffer_size 1k;
    }
    location /outer/ {
        return 200 "outer\n";
        location /outer/inner/ { campaign_api; }
    }
_EOC_

CampaignTest::defaults(config => $Config);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: five channels to page through
--- request eval
[ map { "POST /api/channels\n{\"id\":\"p$_\",\"name\":\"Page $_\",\"type\":\"viber\"}" } 1 .. 5 ]
--- error_code eval
[ (201) x 5 ]
--- response_body_like eval
[ map { qr/^\{"id":"p$_","name":"Page $_","type":"viber",/ } 1 .. 5 ]



=== TEST 2: first page: the two newest, and a cursor
--- request
GET /api/channels?limit=2
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"items":\[\{"id":"p5",[^\]]*\},\{"id":"p4",[^\]]*\}\],"next_cursor":"0000000000000004"\}$



=== TEST 3: second page from the cursor
--- request
GET /api/channels?limit=2&cursor=0000000000000004
--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"p3",[^\]]*\},\{"id":"p2",[^\]]*\}\],"next_cursor":"0000000000000002"\}$



=== TEST 4: last page: next_cursor is null
--- request
GET /api/channels?limit=2&cursor=0000000000000002
--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"p1",[^\]]*\}\],"next_cursor":null\}$



=== TEST 5: a page that ends exactly at the last item has no cursor
--- request
GET /api/channels?limit=5
--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"p5",.*\{"id":"p1",[^\]]*\}\],"next_cursor":null\}$



=== TEST 6: the default limit returns all five
--- request
GET /api/channels
--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"p5",.*\{"id":"p1",[^\]]*\}\],"next_cursor":null\}$



=== TEST 7: limit 0 is refused
--- request
GET /api/channels?limit=0
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"limit must be an integer from 1 to 1000","field":"limit"\}\}$



=== TEST 8: limit 1001 is refused
--- request
GET /api/channels?limit=1001
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"limit must be an integer from 1 to 1000","field":"limit"\}\}$



=== TEST 9: limit not a number is refused
--- request
GET /api/channels?limit=x
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"limit must be an integer from 1 to 1000","field":"limit"\}\}$



=== TEST 10: empty limit is refused
--- request
GET /api/channels?limit=
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"limit must be an integer from 1 to 1000","field":"limit"\}\}$



=== TEST 11: negative limit is refused
--- request
GET /api/channels?limit=-1
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"limit must be an integer from 1 to 1000","field":"limit"\}\}$



=== TEST 12: limit 1000 is allowed
--- request
GET /api/channels?limit=1000
--- error_code: 200
--- response_body_like: "next_cursor":null\}$



=== TEST 13: a bad cursor (not hex) is refused
--- request
GET /api/channels?limit=2&cursor=x
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"cursor"\}\}$



=== TEST 14: a bad cursor (zero) is refused
--- request
GET /api/channels?limit=2&cursor=0000000000000000
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"cursor"\}\}$



=== TEST 15: a bad cursor (a non-hex digit) is refused
--- request
GET /api/channels?limit=2&cursor=000000000000000G
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"cursor"\}\}$



=== TEST 16: a bad cursor (upper case) is refused
--- request
GET /api/channels?limit=2&cursor=00000000000000AA
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"cursor"\}\}$



=== TEST 17: a bad cursor (too short) is refused
--- request
GET /api/channels?limit=2&cursor=00000000000004
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"cursor"\}\}$



=== TEST 18: a bad cursor (empty) is refused
--- request
GET /api/channels?limit=2&cursor=
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"cursor"\}\}$



=== TEST 19: routes live under a 'location /api/' prefix
--- request
GET /api/channels/p1
--- error_code: 200
--- response_body_like: ^\{"id":"p1","name":"Page 1","type":"viber",



=== TEST 20: a trailing slash on an item
--- request
GET /api/channels/p1/
--- error_code: 200
--- response_body_like: ^\{"id":"p1",



=== TEST 21: a trailing slash on a collection
--- request
GET /api/channels/?limit=1
--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"p5",



=== TEST 22: routes live under a 'location /v1' prefix
--- request
GET /v1/channels/p2
--- error_code: 200
--- response_body_like: ^\{"id":"p2",



=== TEST 23: health under 'location /v1'
--- request
GET /v1/health
--- error_code: 200
--- response_body_like: ^\{"store":\{"ok":true,



=== TEST 24: 'location /v1' does not answer /v1channels
--- request
GET /v1channels
--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 25: a nested API location answers under its own prefix
--- request
GET /outer/inner/channels/p3
--- error_code: 200
--- response_body_like: ^\{"id":"p3",



=== TEST 26: the outer location of a nested API is not the API
--- request
GET /outer/channels/p3
--- error_code: 200
--- response_body
outer



=== TEST 27: POST under 'location /v1' names /v1/... in Location
--- request
POST /v1/channels
{"id":"v1","name":"From v1","type":"viber"}
--- error_code: 201
--- response_headers
Location: /v1/channels/v1
ETag: "1"
Content-Type: application/json
--- response_body_like: ^\{"id":"v1",



=== TEST 28: an unknown collection is a JSON 404
--- request
GET /api/nothing-here
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 29: an unknown action is a JSON 404
--- request
GET /api/channels/p1/bogus
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 30: too many segments is a JSON 404
--- request
GET /api/channels/p1/a/b/c
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 31: repeated slashes are merged by nginx (merge_slashes on)
--- request
GET /api/channels//p1
--- error_code: 200
--- response_body_like: ^\{"id":"p1",



=== TEST 32: a collection name longer than any is a JSON 404
--- request
GET /api/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 33: an id longer than 64 is a JSON 404
--- request
GET /api/channels/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 34: the bare prefix is a JSON 404
--- request
GET /api/
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such route"}}



=== TEST 35: an unknown id is a JSON 404 naming it
--- request
GET /api/channels/nope
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no channel \"nope\""}}



=== TEST 36: PATCH of an unknown id is a 404
--- request
PATCH /api/channels/nope
{"name":"x"}
--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"nope\""}}



=== TEST 37: PUT on a collection is 405 with Allow
--- request
PUT /api/channels
--- error_code: 405
--- response_headers
Allow: GET, HEAD, POST
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"method_not_allowed","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 38: DELETE on a collection is 405 with Allow
--- request
DELETE /api/channels
--- error_code: 405
--- response_headers
Allow: GET, HEAD, POST
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"method_not_allowed","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 39: POST on an item is 405 with Allow
--- request
POST /api/channels/p1
--- error_code: 405
--- response_headers
Allow: GET, HEAD, PATCH, DELETE
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"method_not_allowed","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 40: PUT on an item is 405 with Allow
--- request
PUT /api/channels/p1
--- error_code: 405
--- response_headers
Allow: GET, HEAD, PATCH, DELETE
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"method_not_allowed","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 41: POST on health is 405 with Allow
--- request
POST /api/health
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"method_not_allowed","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 42: OPTIONS is 405 with Allow
--- request
OPTIONS /api/channels
--- error_code: 405
--- response_headers
Allow: GET, HEAD, POST
--- response_body_like: "code":"method_not_allowed"



=== TEST 43: POST on a location without write=on is 405 read_only
--- request
POST /ro/channels
{"id":"ro1","name":"RO","type":"viber"}
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"read_only","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 44: PATCH on a location without write=on is 405 read_only
--- request
PATCH /ro/channels/p1
{"name":"changed"}
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"read_only","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 45: DELETE on a location without write=on is 405 read_only
--- request
DELETE /ro/channels/p1
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"read_only","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 46: GET on a location without write=on works
--- request
GET /ro/channels/p1
--- error_code: 200
--- response_body_like: ^\{"id":"p1","name":"Page 1",



=== TEST 47: POST on a location with write=off is 405 read_only
--- request
POST /off/channels
{"id":"ro1","name":"RO","type":"viber"}
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"read_only","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 48: PATCH on a location with write=off is 405 read_only
--- request
PATCH /off/channels/p1
{"name":"changed"}
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"read_only","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 49: DELETE on a location with write=off is 405 read_only
--- request
DELETE /off/channels/p1
--- error_code: 405
--- response_headers
Allow: GET, HEAD
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"read_only","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 50: GET on a location with write=off works
--- request
GET /off/channels/p1
--- error_code: 200
--- response_body_like: ^\{"id":"p1","name":"Page 1",



=== TEST 51: nothing was written through the read-only locations
--- request
GET /api/channels/ro1
--- error_code: 404



=== TEST 52: p1 survived the read-only DELETE and PATCH
--- request
GET /api/channels/p1
--- error_code: 200
--- response_headers
ETag: "1"
--- response_body_like: ^\{"id":"p1","name":"Page 1",.*"version":1\}$



=== TEST 53: a body over client_max_body_size is a JSON 413
--- request eval
"POST /small/channels\n{\"name\":\"" . ("x" x 2048) . "\",\"type\":\"viber\"}"
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"payload_too_large","message":"HTTP 413"}}
--- error_log eval
qr/client intended to send too large (?:chunked )?body/
--- no_error_log
[crit]
[alert]



=== TEST 54: a chunked body over client_max_body_size is a JSON 413
--- more_headers
Content-Type: application/json
Transfer-Encoding: chunked
--- request eval
my $data = "{\"name\":\"" . ("x" x 2048) . "\",\"type\":\"viber\"}";
"POST /small/channels\n" . sprintf("%x\r\n%s\r\n0\r\n\r\n", length($data), $data)
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"payload_too_large","message":"HTTP 413"}}
--- error_log eval
qr/client intended to send too large (?:chunked )?body/
--- no_error_log
[crit]
[alert]



=== TEST 55: text/plain is 415
--- request
POST /api/channels
{"name":"T","type":"viber"}
--- more_headers
Content-Type: text/plain
--- error_code: 415
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"unsupported_media_type","message":"Content-Type must be application/json, in UTF-8"}}



=== TEST 56: a body without Content-Type is 415
--- more_headers
--- request
POST /api/channels
{"name":"T","type":"viber"}
--- error_code: 415
--- response_body_like: ^\{"error":\{"code":"unsupported_media_type",



=== TEST 57: text/csv is 415 where only JSON is taken
--- request
PATCH /api/channels/p1
name
x
--- more_headers
Content-Type: text/csv
--- error_code: 415
--- response_body_like: ^\{"error":\{"code":"unsupported_media_type",



=== TEST 58: application/json with a charset parameter is JSON
--- request
POST /api/channels
{"id":"cs1","name":"Charset","type":"viber"}
--- more_headers
Content-Type: application/json; charset=utf-8
--- error_code: 201
--- response_body_like: ^\{"id":"cs1",



=== TEST 59: truncated JSON is 400 invalid_json
--- request
POST /api/channels
{"name":"T","type":
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 60: a trailing comma is 400 invalid_json
--- request
POST /api/channels
{"name":"T",}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 61: single quotes is 400 invalid_json
--- request
POST /api/channels
{'name':'T'}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 62: a bare string is 400 invalid_json
--- request
POST /api/channels
"just a string"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 63: two documents is 400 invalid_json
--- request
POST /api/channels
{"name":"T"} {}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 64: a lone surrogate escape is 400 invalid_json
--- request
POST /api/channels
{"name":"\ud800","type":"viber"}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 65: an escaped NUL is 400 invalid_json
--- request
POST /api/channels
{"name":"a\u0000b","type":"viber"}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 66: invalid UTF-8 in a string (a 0xff byte) is 400 invalid_json
--- request eval
"POST /api/channels\n{\"name\":\"bad \xff\",\"type\":\"viber\"}"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 67: invalid UTF-8 in a string (a broken 2-byte sequence) is 400 invalid_json
--- request eval
"POST /api/channels\n{\"name\":\"bad \xc3\x28\",\"type\":\"viber\"}"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 68: invalid UTF-8 in a string (an overlong slash) is 400 invalid_json
--- request eval
"POST /api/channels\n{\"name\":\"bad \xc0\xaf\",\"type\":\"viber\"}"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 69: invalid UTF-8 in a string (an encoded surrogate) is 400 invalid_json
--- request eval
"POST /api/channels\n{\"name\":\"bad \xed\xa0\x80\",\"type\":\"viber\"}"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 70: invalid UTF-8 in a string (a code point past U+10FFFF) is 400 invalid_json
--- request eval
"POST /api/channels\n{\"name\":\"bad \xf4\x90\x80\x80\",\"type\":\"viber\"}"
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 71: nesting depth 32 is allowed (and then fails validation)
--- request eval
"POST /api/channels\n{\"name\":" . ("[" x 31) . ("]" x 31) . ",\"type\":\"viber\"}"
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"name must be a string","field":"name"\}\}$



=== TEST 72: nesting depth 33 is 400 invalid_json
--- request eval
"POST /api/channels\n{\"name\":" . ("[" x 32) . ("]" x 32) . ",\"type\":\"viber\"}"
--- error_code: 400
--- response_body: {"error":{"code":"invalid_json","message":"JSON nesting is deeper than 32"}}



=== TEST 73: brackets inside strings do not count as nesting
--- request eval
"POST /api/channels\n{\"id\":\"br1\",\"name\":\"" . ("[{" x 20) . "\\\\\\\"" . ("}]" x 20) . "\",\"type\":\"viber\"}"
--- error_code: 201
--- response_body_like: ^\{"id":"br1",



=== TEST 74: duplicate keys are 400 invalid_json
--- request
POST /api/channels
{"name":"a","type":"viber","name":"b"}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json","message":"invalid JSON at line 1 column \d+: duplicate object key"\}\}$



=== TEST 75: duplicate keys in a nested object are 400 too
--- request
POST /api/channels
{"name":"a","type":"viber","viber":{"sender_name":"a","sender_name":"b"}}
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json",



=== TEST 76: a JSON array body is 422: the body must be an object
--- request
POST /api/channels
[{"name":"a","type":"viber"}]
--- error_code: 422
--- response_body_like: ^\{"error":\{"code":"validation_failed","message":"the request body must be a JSON object"\}\}$



=== TEST 77: an unknown field is 422 unknown_field naming it
--- request
POST /api/channels
{"name":"a","type":"viber","colour":"red"}
--- error_code: 422
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"unknown_field","message":"unknown field \"colour\"","field":"colour"}}



=== TEST 78: a body spilled to a temp file is read whole
--- request eval
"POST /spill/channels\n{\"id\":\"big1\"," . (" " x 4096) . "\"name\":\"Spilled\",\n" . ("\t\n" x 512) . "\"type\":\"viber\"}"
--- error_code: 201
--- response_body_like: ^\{"id":"big1","name":"Spilled","type":"viber",
--- error_log
a client request body is buffered to a temporary file



=== TEST 79: the spilled create is stored
--- request
GET /api/channels/big1
--- error_code: 200
--- response_body_like: ^\{"id":"big1","name":"Spilled",



=== TEST 80: POST answers an ETag
--- request
POST /api/channels
{"id":"e1","name":"Etag","type":"viber"}
--- error_code: 201
--- response_headers
ETag: "1"
Location: /api/channels/e1
--- response_body_like: ^\{"id":"e1",.*"version":1\}$



=== TEST 81: GET answers the ETag
--- request
GET /api/channels/e1
--- error_code: 200
--- response_headers
ETag: "1"



=== TEST 82: PATCH with a matching If-Match applies and answers the new ETag
--- request
PATCH /api/channels/e1
{"name":"Etag two"}
--- more_headers
Content-Type: application/json
If-Match: "1"
--- error_code: 200
--- response_headers
ETag: "2"
--- response_body_like: ^\{"id":"e1","name":"Etag two",.*"version":2\}$



=== TEST 83: PATCH with a stale If-Match is 412 version_mismatch
--- request
PATCH /api/channels/e1
{"name":"lost update"}
--- more_headers
Content-Type: application/json
If-Match: "1"
--- error_code: 412
--- response_body_like: ^\{"error":\{"code":"version_mismatch","message":"(?:[^"\\]|\\.)+"\}\}$



=== TEST 84: PATCH with an If-Match that is no version is 412
--- request
PATCH /api/channels/e1
{"name":"lost update"}
--- more_headers
Content-Type: application/json
If-Match: "abc"
--- error_code: 412
--- response_body_like: "code":"version_mismatch"



=== TEST 85: DELETE with a stale If-Match is 412
--- request
DELETE /api/channels/e1
--- more_headers
If-Match: "1"
--- error_code: 412
--- response_body_like: "code":"version_mismatch"



=== TEST 86: the refused writes changed nothing
--- request
GET /api/channels/e1
--- error_code: 200
--- response_headers
ETag: "2"
--- response_body_like: ^\{"id":"e1","name":"Etag two",.*"version":2\}$



=== TEST 87: a weak If-Match of the current version matches
--- request
PATCH /api/channels/e1
{"name":"Etag three"}
--- more_headers
Content-Type: application/json
If-Match: W/"2"
--- error_code: 200
--- response_headers
ETag: "3"



=== TEST 88: If-Match: * matches any existing version
--- request
PATCH /api/channels/e1
{"name":"Etag four"}
--- more_headers
Content-Type: application/json
If-Match: *
--- error_code: 200
--- response_headers
ETag: "4"



=== TEST 89: GET with If-None-Match of the current version is 304
--- request
GET /api/channels/e1
--- more_headers
If-None-Match: "4"
--- error_code: 304
--- response_body:



=== TEST 90: GET with an old If-None-Match is 200
--- request
GET /api/channels/e1
--- more_headers
If-None-Match: "3"
--- error_code: 200
--- response_headers
ETag: "4"



=== TEST 91: GET with a matching If-Match is 200
--- request
GET /api/channels/e1
--- more_headers
If-Match: "4"
--- error_code: 200
--- response_headers
ETag: "4"
--- response_body_like: ^\{"id":"e1",



=== TEST 92: GET with a stale If-Match is a JSON 412
--- request
GET /api/channels/e1
--- more_headers
If-Match: "1"
--- error_code: 412
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"error":\{"code":"version_mismatch",



=== TEST 93: HEAD answers the headers of GET and no body
--- request
HEAD /api/channels/e1
--- error_code: 200
--- response_headers
ETag: "4"
Content-Type: application/json
--- response_body:



=== TEST 94: HEAD of a list answers no body
--- request
HEAD /api/channels?limit=1
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body:



=== TEST 95: HEAD of an unknown id is a 404 without a body
--- request
HEAD /api/channels/nope
--- error_code: 404
--- response_body:



=== TEST 96: a create with an Idempotency-Key
--- request
POST /api/channels
{"name":"Idem","type":"viber"}
--- more_headers
Content-Type: application/json
Idempotency-Key: retry-me-1
--- error_code: 201
--- response_headers
Location: /api/channels/ch_00000001
--- response_body_like: ^\{"id":"ch_00000001","name":"Idem",



=== TEST 97: the same create retried with the same key returns the first result
--- request
POST /api/channels
{"name":"Idem","type":"viber"}
--- more_headers
Content-Type: application/json
Idempotency-Key: retry-me-1
--- error_code: 201
--- response_headers
Location: /api/channels/ch_00000001
--- response_body_like: ^\{"id":"ch_00000001","name":"Idem",.*"version":1\}$



=== TEST 98: only one channel was created
--- request
GET /api/channels?limit=1000
--- error_code: 200
--- response_body_like: ^(?:(?!"id":"ch_).)*"id":"ch_00000001"(?:(?!"id":"ch_).)*$



=== TEST 99: a client-chosen id retried with its key is not a conflict
--- request eval
[ "POST /api/channels\n{\"id\":\"idem2\",\"name\":\"Idem 2\",\"type\":\"viber\"}",
  "POST /api/channels\n{\"id\":\"idem2\",\"name\":\"Idem 2\",\"type\":\"viber\"}" ]
--- more_headers
Content-Type: application/json
Idempotency-Key: retry-me-2
--- error_code eval
[201, 201]
--- response_body_like eval
[ qr/^\{"id":"idem2",.*"version":1\}$/, qr/^\{"id":"idem2",.*"version":1\}$/ ]



=== TEST 100: a different key creates another channel
--- request
POST /api/channels
{"name":"Idem","type":"viber"}
--- more_headers
Content-Type: application/json
Idempotency-Key: retry-me-3
--- error_code: 201
--- response_body_like: ^\{"id":"ch_00000002","name":"Idem",



=== TEST 101: an empty Idempotency-Key is 400
--- request
POST /api/channels
{"name":"Idem","type":"viber"}
--- more_headers
Content-Type: application/json
Idempotency-Key:
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_argument","message":"(?:[^"\\]|\\.)+","field":"Idempotency-Key"\}\}$



=== TEST 102: a refused create did not consume a generated id
--- request
POST /api/channels
{"name":"Next","type":"viber"}
--- error_code: 201
--- response_body_like: ^\{"id":"ch_00000003","name":"Next",



=== TEST 103: a DELETE whose body is broken JSON is 400 and deletes nothing
--- request
DELETE /api/channels/p5
{"oops":
--- error_code: 400
--- response_body_like: ^\{"error":\{"code":"invalid_json",



=== TEST 104: the channel is still there
--- request
GET /api/channels/p5
--- error_code: 200
--- response_body_like: ^\{"id":"p5",


=== TEST 105: an id that is no UTF-8 is a JSON 404, not a 500
--- request
GET /api/channels/%FF
--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"?\""}}



=== TEST 106: a write to an id that is no UTF-8 is a JSON 404 with its message
--- request
PATCH /api/channels/%E4%B8
{"name":"x"}
--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no channel \"??\""}}
