# /contacts: every field rule, phone uniqueness, PATCH (opted_out by hand,
# attribute merge), lookups by phone and name prefix, DELETE.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

CampaignTest::defaults();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: create a contact with every field
--- request
POST /api/contacts
{"id": "li", "phone": "+8613800000000", "name": "Li Lei", "email": "li@example.com",
 "country": "cn", "remark": "met at expo", "viber_id": "01234567890A=",
 "attributes": {"city": "Hangzhou", "tier": 2, "vip": true, "birthday": "1990-05-01"}}
--- error_code: 201
--- response_headers
Location: /api/contacts/li
ETag: "1"
--- response_body_like: ^\{"id":"li","phone":"\+8613800000000","name":"Li Lei","email":"li@example.com","country":"CN","remark":"met at expo","viber_id":"01234567890A=","whatsapp_user_id":null,"attributes":\{"city":"Hangzhou","tier":2,"vip":true,"birthday":"1990-05-01"\},"opted_out":false,"opted_out_at":null,"created_at":"[-0-9T:]+Z","updated_at":"[-0-9T:]+Z","version":1\}$



=== TEST 2: the phone is unique
--- request
POST /api/contacts
{"phone": "+8613800000000", "name": "Someone else"}
--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"phone +8613800000000 is already taken by contact \"li\"","field":"phone"}}



=== TEST 3: every field rule answers 422 naming the field
--- request eval
[
"POST /api/contacts\n{\"name\": \"no phone\"}",
"POST /api/contacts\n{\"phone\": \"8613800000001\"}",
"POST /api/contacts\n{\"phone\": \"+1234567\"}",
"POST /api/contacts\n{\"phone\": \"+1234567890123456\"}",
"POST /api/contacts\n{\"phone\": \"+0861380000000\"}",
"POST /api/contacts\n{\"phone\": \"+86 138 0000 0001\"}",
"POST /api/contacts\n{\"phone\": 8613800000001}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"name\": \"" . ("x" x 129) . "\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"name\": \"\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"email\": \"li.example.com\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"email\": \"li\@example\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"email\": \"li lei\@example.com\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"country\": \"UK\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"country\": \"CHN\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"remark\": \"" . ("r" x 257) . "\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"viber_id\": 42}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"attributes\": [1]}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"attributes\": {\"a\": {\"b\": 1}}}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"attributes\": {\"a\": [1]}}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"attributes\": {"
    . CORE::join(",", map { "\"k$_\": $_" } 1 .. 65) . "}}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"opted_out\": \"yes\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"nmae\": \"typo\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000001\", \"id\": \"bad id!\"}",
]
--- error_code eval
[422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422,
 422, 422, 422, 422, 422, 422, 422, 422]
--- response_body_like eval
[
qr/"code":"validation_failed","message":"phone is required","field":"phone"/,
qr/"field":"phone"/, qr/"field":"phone"/, qr/"field":"phone"/,
qr/"field":"phone"/, qr/"field":"phone"/,
qr/"message":"phone must be a string","field":"phone"/,
qr/"message":"name must be 1 to 128 characters","field":"name"/,
qr/"field":"name"/,
qr/"field":"email"/, qr/"field":"email"/, qr/"field":"email"/,
qr/"message":"country must be an ISO 3166-1 alpha-2 code such as CN","field":"country"/,
qr/"field":"country"/,
qr/"message":"remark must be at most 256 characters","field":"remark"/,
qr/"field":"viber_id"/,
qr/"message":"attributes must be an object","field":"attributes"/,
qr/"field":"attributes.a"/, qr/"field":"attributes.a"/,
qr/"message":"attributes may have at most 64 keys","field":"attributes"/,
qr/"field":"opted_out"/,
qr/"code":"unknown_field","message":"unknown field \\"nmae\\"","field":"nmae"/,
qr/"field":"id"/,
]



=== TEST 4: limits count characters, not bytes; 64 attributes are fine
--- request eval
"POST /api/contacts\n{\"id\": \"wang\", \"phone\": \"+8613800000002\", \"name\": \""
    . ("\xe7\x8e\x8b" x 128) . "\", \"remark\": \"" . ("\xe5\xa4\x87" x 256)
    . "\", \"attributes\": {"
    . CORE::join(",", map { "\"k$_\": $_" } 1 .. 64) . "}}"
--- error_code: 201
--- response_body_like: "id":"wang","phone":"\+8613800000002"



=== TEST 5: the refused creates changed nothing
--- request
GET /api/contacts?phone=%2B8613800000001
--- error_code: 200
--- response_body: {"items":[],"next_cursor":null}



=== TEST 6: invalid UTF-8 in a body is invalid_json
--- request eval
"POST /api/contacts\n{\"phone\": \"+8613800000003\", \"name\": \"\xff\xfe\"}"
--- error_code: 400
--- response_body_like: "code":"invalid_json"



=== TEST 7: ?phone= finds one contact by phone, with + or %2B
--- request eval
[
"GET /api/contacts?phone=+8613800000000",
"GET /api/contacts?phone=%2B8613800000002",
"GET /api/contacts?phone=+8613899999999",
"GET /api/contacts?phone=8613800000000",
]
--- error_code eval
[200, 200, 200, 400]
--- response_body_like eval
[
qr/^\{"items":\[\{"id":"li","phone":"\+8613800000000".*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"wang",.*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/"code":"invalid_argument".*"field":"phone"/,
]



=== TEST 8: ?q= matches a name prefix, case-insensitively, with paging
--- request eval
[
"POST /api/contacts\n{\"id\": \"lily\", \"phone\": \"+8613800000004\", \"name\": \"Lily Han\"}",
"POST /api/contacts\n{\"id\": \"bob\", \"phone\": \"+8613800000005\", \"name\": \"Bob Li\"}",
"GET /api/contacts?q=li",
"GET /api/contacts?q=LI&limit=1",
"GET /api/contacts?q=li&limit=1&cursor=6c696c69206c6569006c69",
"GET /api/contacts?q=Li+L",
"GET /api/contacts?q=zz",
"GET /api/contacts?q=li&cursor=zz",
]
--- error_code eval
[201, 201, 200, 200, 200, 200, 200, 400]
--- response_body_like eval
[
qr/"id":"lily"/, qr/"id":"bob"/,
qr/^\{"items":\[\{"id":"li",.*\},\{"id":"lily",.*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"li",.*\}\],"next_cursor":"6c69206c6569006c69"\}$/,
qr/^\{"items":\[\{"id":"lily",.*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"li",[^\]]*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/"code":"invalid_argument".*"field":"cursor"/,
]



=== TEST 9: PATCH sets opted_out by hand, merges attributes, keeps the rest
--- request
PATCH /api/contacts/li
{"opted_out": true, "attributes": {"tier": 3, "vip": null, "lang": "zh"}, "remark": null}
--- error_code: 200
--- response_headers
ETag: "2"
--- response_body_like: ^\{"id":"li","phone":"\+8613800000000","name":"Li Lei","email":"li@example.com","country":"CN","remark":null,"viber_id":"01234567890A=","whatsapp_user_id":null,"attributes":\{"city":"Hangzhou","tier":3,"birthday":"1990-05-01","lang":"zh"\},"opted_out":true,"opted_out_at":"[-0-9T:]+Z","created_at":"[-0-9T:]+Z","updated_at":"[-0-9T:]+Z","version":2\}$



=== TEST 10: opting back in clears opted_out_at
--- request
PATCH /api/contacts/li
{"opted_out": false}
--- error_code: 200
--- response_body_like: "opted_out":false,"opted_out_at":null,.*"version":3\}$



=== TEST 11: PATCH to a taken phone, a bad field or a stale version changes nothing
--- more_headers eval
[
"Content-Type: application/json",
"Content-Type: application/json",
"Content-Type: application/json",
"Content-Type: application/json\nIf-Match: \"1\"",
"Content-Type: application/json",
"",
]
--- request eval
[
"PATCH /api/contacts/li\n{\"phone\": \"+8613800000002\", \"name\": \"X\"}",
"PATCH /api/contacts/li\n{\"name\": \"X\", \"email\": \"nope\"}",
"PATCH /api/contacts/li\n{\"id\": \"other\"}",
"PATCH /api/contacts/li\n{\"name\": \"X\"}",
"PATCH /api/contacts/nobody\n{\"name\": \"X\"}",
"GET /api/contacts/li",
]
--- error_code eval
[409, 422, 422, 412, 404, 200]
--- response_body_like eval
[
qr/"code":"conflict".*"field":"phone"/,
qr/"field":"email"/,
qr/"field":"id"/,
qr/"code":"version_mismatch"/,
qr/"code":"not_found"/,
qr/"name":"Li Lei".*"version":3\}$/,
]



=== TEST 12: changing the phone moves the phone index
--- more_headers eval
["Content-Type: application/json", "", "", ""]
--- request eval
[
"PATCH /api/contacts/bob\n{\"phone\": \"+8613800000015\", \"name\": \"Robert\"}",
"GET /api/contacts?phone=%2B8613800000005",
"GET /api/contacts?phone=%2B8613800000015",
"GET /api/contacts?q=bob",
]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[
qr/"phone":"\+8613800000015","name":"Robert"/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"bob",/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
]



=== TEST 13: DELETE removes the contact and frees its phone
--- more_headers eval
["", "", "", "", "Content-Type: application/json"]
--- request eval
[
"DELETE /api/contacts/bob",
"GET /api/contacts/bob",
"GET /api/contacts?phone=%2B8613800000015",
"DELETE /api/contacts/bob",
"POST /api/contacts\n{\"id\": \"bob2\", \"phone\": \"+8613800000015\"}",
]
--- error_code eval
[204, 404, 200, 404, 201]
--- response_body_like eval
[
qr/^$/,
qr/"code":"not_found"/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/"code":"not_found"/,
qr/"id":"bob2"/,
]



=== TEST 14: the list pages newest first
--- request
GET /api/contacts?limit=2
--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"bob2",.*\},\{"id":"lily",.*\}\],"next_cursor":"[0-9a-f]{16}"\}$



=== TEST 15: Idempotency-Key replays the create instead of a phone conflict
--- more_headers
Content-Type: application/json
Idempotency-Key: k-contact-1
--- request eval
[
"POST /api/contacts\n{\"phone\": \"+8613800000020\"}",
"POST /api/contacts\n{\"phone\": \"+8613800000020\"}",
]
--- error_code eval
[201, 201]
--- response_body_like eval
[qr/"id":"(ct_[0-9a-f]+)"/, qr/"id":"ct_[0-9a-f]+","phone":"\+8613800000020"/]



=== TEST 16: whatsapp_user_id (a BSUID) is unique, can move and be cleared
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
[
"POST /api/contacts\n" . '{"id":"u1","phone":"+8613800000031","whatsapp_user_id":"US.13491208655302741918"}',
"POST /api/contacts\n" . '{"id":"u2","phone":"+8613800000032","whatsapp_user_id":"US.13491208655302741918"}',
"POST /api/contacts\n" . '{"id":"u2","phone":"+8613800000032","whatsapp_user_id":""}',
"PATCH /api/contacts/u1\n" . '{"whatsapp_user_id":null}',
"POST /api/contacts\n" . '{"id":"u2","phone":"+8613800000032","whatsapp_user_id":"US.13491208655302741918"}',
"PATCH /api/contacts/u1\n" . '{"whatsapp_user_id":"US.13491208655302741918"}',
]
--- error_code eval
[201, 409, 422, 200, 201, 409]
--- response_body_like eval
[qr/"viber_id":null,"whatsapp_user_id":"US.13491208655302741918","attributes"/,
 qr/"code":"conflict","message":"whatsapp_user_id US.13491208655302741918 is already taken by contact \\"u1\\"","field":"whatsapp_user_id"/,
 qr/"field":"whatsapp_user_id"/,
 qr/"whatsapp_user_id":null/,
 qr/"id":"u2"/,
 qr/by contact \\"u2\\"/]
--- no_error_log
[error]
