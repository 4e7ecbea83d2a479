# /groups and /groups/{id}/members: name rules and uniqueness, membership
# by id and by phone, exact contact_count through adds, removes and
# contact deletion, member paging, ?name= filter, DELETE.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

CampaignTest::defaults();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: create groups and contacts
--- request eval
[
"POST /api/groups\n{\"id\": \"vip\", \"name\": \"VIP Hangzhou\", \"description\": \"Tier 2+ in Hangzhou\"}",
"POST /api/groups\n{\"id\": \"all\", \"name\": \"Everyone\"}",
"POST /api/contacts\n{\"id\": \"a\", \"phone\": \"+8613800000001\", \"name\": \"A\"}",
"POST /api/contacts\n{\"id\": \"b\", \"phone\": \"+8613800000002\", \"name\": \"B\"}",
"POST /api/contacts\n{\"id\": \"c\", \"phone\": \"+8613800000003\", \"name\": \"C\"}",
]
--- error_code eval
[201, 201, 201, 201, 201]
--- response_body_like eval
[
qr/^\{"id":"vip","name":"VIP Hangzhou","description":"Tier 2\+ in Hangzhou","contact_count":0,"created_at":"[-0-9T:]+Z","updated_at":"[-0-9T:]+Z","version":1\}$/,
qr/"id":"all","name":"Everyone","description":null,"contact_count":0/,
qr/"id":"a"/, qr/"id":"b"/, qr/"id":"c"/,
]



=== TEST 2: name rules; names are unique regardless of case
--- request eval
[
"POST /api/groups\n{\"name\": \"vip hangzhou\"}",
"POST /api/groups\n{}",
"POST /api/groups\n{\"name\": \"\"}",
"POST /api/groups\n{\"name\": \"" . ("g" x 61) . "\"}",
"POST /api/groups\n{\"name\": \"ok\", \"description\": \"" . ("d" x 201) . "\"}",
"POST /api/groups\n{\"name\": \"ok\", \"contact_count\": 5}",
"POST /api/groups\n{\"id\": \"zh\", \"name\": \"" . ("\xe7\xbb\x84" x 60) . "\"}",
"PATCH /api/groups/all\n{\"name\": \"VIP HANGZHOU\"}",
]
--- error_code eval
[409, 422, 422, 422, 422, 422, 201, 409]
--- response_body_like eval
[
qr/^\{"error":\{"code":"conflict","message":"group \\"vip\\" already has this name","field":"name"\}\}$/,
qr/"message":"name is required","field":"name"/,
qr/"field":"name"/,
qr/"message":"name must be 1 to 60 characters","field":"name"/,
qr/"message":"description must be at most 200 characters","field":"description"/,
qr/"code":"unknown_field".*"field":"contact_count"/,
qr/"id":"zh"/,
qr/"code":"conflict".*"field":"name"/,
]



=== TEST 3: the refused writes changed nothing
--- request
GET /api/groups/all
--- error_code: 200
--- response_body_like: "name":"Everyone",.*"version":1\}$



=== TEST 4: add members by id and by phone; adding twice is a no-op
--- request eval
[
"POST /api/groups/vip/members\n{\"contact_ids\": [\"a\", \"b\"]}",
"POST /api/groups/vip/members\n{\"phones\": [\"+8613800000003\", \"+8613800000001\"]}",
"POST /api/groups/vip/members\n{\"contact_ids\": [\"a\", \"b\", \"c\"]}",
"POST /api/groups/all/members\n{\"contact_ids\": [\"a\", \"c\"]}",
]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[
qr/"id":"vip",.*"contact_count":2,.*"version":2\}$/,
qr/"id":"vip",.*"contact_count":3,.*"version":3\}$/,
qr/"id":"vip",.*"contact_count":3,.*"version":3\}$/,
qr/"id":"all",.*"contact_count":2,/,
]



=== TEST 5: an unknown contact refuses the whole request, naming it
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json", "", ""]
--- request eval
[
"POST /api/groups/all/members\n{\"contact_ids\": [\"b\", \"ghost\"]}",
"POST /api/groups/all/members\n{\"phones\": [\"+8613899999999\"]}",
"POST /api/groups/all/members\n{\"phones\": [\"13800000001\"]}",
"POST /api/groups/all/members\n{\"contact_ids\": [\"b\"], \"phones\": []}",
"POST /api/groups/nope/members\n{\"contact_ids\": [\"b\"]}",
"GET /api/groups/all",
"GET /api/groups/all/members",
]
--- error_code eval
[422, 422, 422, 422, 404, 200, 200]
--- response_body_like eval
[
qr/^\{"error":\{"code":"validation_failed","message":"no contact \\"ghost\\"","field":"contact_ids"\}\}$/,
qr/"message":"no contact has phone \\"\+8613899999999\\"","field":"phones"/,
qr/"field":"phones"/,
qr/"field":"phones"/,
qr/"code":"not_found"/,
qr/"contact_count":2,/,
qr/^\{"items":\[\{"id":"a",.*\},\{"id":"c",.*\}\],"next_cursor":null\}$/,
]



=== TEST 6: members page through in id order
--- request eval
[
"GET /api/groups/vip/members?limit=2",
"GET /api/groups/vip/members?limit=2&cursor=62",
"GET /api/groups/nope/members",
"GET /api/groups/vip/members?cursor=xyz",
"GET /api/groups/vip/members?limit=0",
]
--- error_code eval
[200, 200, 404, 400, 400]
--- response_body_like eval
[
qr/^\{"items":\[\{"id":"a",.*\},\{"id":"b",.*\}\],"next_cursor":"62"\}$/,
qr/^\{"items":\[\{"id":"c",.*\}\],"next_cursor":null\}$/,
qr/"code":"not_found"/,
qr/"field":"cursor"/,
qr/"field":"limit"/,
]



=== TEST 7: remove members with a body; removing a non-member is a no-op
--- request eval
[
"DELETE /api/groups/vip/members\n{\"contact_ids\": [\"b\"]}",
"DELETE /api/groups/vip/members\n{\"contact_ids\": [\"b\"]}",
"DELETE /api/groups/vip/members\n{\"contact_ids\": [\"ghost\"]}",
]
--- error_code eval
[200, 200, 422]
--- response_body_like eval
[
qr/"contact_count":2,.*"version":4\}$/,
qr/"contact_count":2,.*"version":4\}$/,
qr/"field":"contact_ids"/,
]



=== TEST 8: deleting a contact leaves every group, counts follow
--- request eval
[
"DELETE /api/contacts/a",
"GET /api/groups/vip",
"GET /api/groups/all",
"GET /api/groups/vip/members",
"GET /api/groups/all/members",
]
--- error_code eval
[204, 200, 200, 200, 200]
--- response_body_like eval
[
qr/^$/,
qr/"id":"vip",.*"contact_count":1,/,
qr/"id":"all",.*"contact_count":1,/,
qr/^\{"items":\[\{"id":"c",.*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"c",.*\}\],"next_cursor":null\}$/,
]



=== TEST 9: ?name= filters by substring, case-insensitively
--- request eval
[
"GET /api/groups?name=hang",
"GET /api/groups?name=ONE",
"GET /api/groups?name=nothing",
"GET /api/groups",
]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[
qr/^\{"items":\[\{"id":"vip",[^\]]*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"all",[^\]]*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"zh",.*\{"id":"all",.*\{"id":"vip",.*\],"next_cursor":null\}$/,
]



=== TEST 10: renaming frees the old name
--- request eval
[
"PATCH /api/groups/all\n{\"name\": \"All of them\", \"description\": null}",
"POST /api/groups\n{\"id\": \"every\", \"name\": \"EVERYONE\"}",
"PATCH /api/groups/every\n{\"name\": \"Everyone\"}",
]
--- error_code eval
[200, 201, 200]
--- response_body_like eval
[
qr/"name":"All of them","description":null,"contact_count":1,/,
qr/"id":"every","name":"EVERYONE"/,
qr/"id":"every","name":"Everyone",.*"version":2\}$/,
]



=== TEST 11: DELETE removes the group and its memberships, not the contacts
--- more_headers eval
["", "", "", "", "Content-Type: application/json"]
--- request eval
[
"DELETE /api/groups/vip",
"GET /api/groups/vip",
"GET /api/groups/vip/members",
"DELETE /api/contacts/c",
"POST /api/groups\n{\"id\": \"vip2\", \"name\": \"VIP Hangzhou\"}",
]
--- error_code eval
[204, 404, 404, 204, 201]
--- response_body_like eval
[qr/^$/, qr/"code":"not_found"/, qr/"code":"not_found"/, qr/^$/,
 qr/"id":"vip2"/]



=== TEST 12: deleting c left "all" at zero
--- request eval
["GET /api/groups/all", "GET /api/groups/all/members"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/"contact_count":0,/, qr/^\{"items":\[\],"next_cursor":null\}$/]



=== TEST 13: ?name= matches a name stored with escapes (quotes, a backslash) as the name reads
--- request eval
[
"POST /api/groups\n{\"id\": \"quoted\", \"name\": \"Say \\\"Hi\\\" \\\\ now\"}",
"GET /api/groups?name=%22hi%22%20%5C",
"GET /api/groups?name=%5C%22",
"GET /api/groups?name=say%20%22",
]
--- error_code eval
[201, 200, 200, 200]
--- response_body_like eval
[
qr/"name":"Say \\"Hi\\" \\\\ now"/,
qr/^\{"items":\[\{"id":"quoted",[^\]]*\}\],"next_cursor":null\}$/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/^\{"items":\[\{"id":"quoted",[^\]]*\}\],"next_cursor":null\}$/,
]
