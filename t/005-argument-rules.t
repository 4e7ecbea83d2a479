# One rule for what a request may carry beside its body: text arguments
# are UTF-8 or a 400, a status filter names a status, a body is UTF-8 JSON
# whatever its Content-Type says, and If-Match is a version or a 400.
# Nothing refused here changes the store.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

# every block: the write API on this file's store, no [error] logged
CampaignTest::defaults(more_headers => undef);

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: a group name that is no UTF-8 is a 400, as for contacts
--- request
GET /api/groups?name=%ff
--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"name is not valid UTF-8","field":"name"}}



=== TEST 2: a contact search that is no UTF-8 is the same 400
--- request
GET /api/contacts?q=%ff
--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"q is not valid UTF-8","field":"q"}}



=== TEST 3: a campaign filter that is no UTF-8 is the same 400
--- request
GET /api/campaigns?flow_id=%c3%28
--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"flow_id is not valid UTF-8","field":"flow_id"}}



=== TEST 4: a message status we do not have is a 400, not an empty page
--- request
GET /api/campaigns/any/messages?status=bogus
--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"status must be queued, sending, sent, delivered, read, failed or skipped","field":"status"}}



=== TEST 5: a body said to be latin1 is refused, as it would be read as UTF-8, and nothing is written
--- pipelined_requests eval
["POST /api/groups\n{\"id\": \"latin\", \"name\": \"caf\u00e9\"}",
 "GET /api/groups/latin"]
--- more_headers
Content-Type: application/json; charset=latin1
--- error_code eval
[415, 404]
--- response_body eval
['{"error":{"code":"unsupported_media_type","message":"Content-Type must be application/json, in UTF-8"}}',
 '{"error":{"code":"not_found","message":"no group \"latin\""}}']



=== TEST 6: charset=UTF-8, in any case, quoted or not, is taken
--- pipelined_requests eval
["POST /api/channels\n{\"name\": \"UTF-8\", \"type\": \"viber\"}",
 "POST /api/channels\n{\"name\": \"utf-8\", \"type\": \"viber\"}"]
--- more_headers eval
["Content-Type: application/json; charset=UTF-8",
 "Content-Type: application/json;charset=\"utf-8\""]
--- error_code eval
[201, 201]



=== TEST 7: an unterminated If-Match is a 400, not some enormous version
--- request
PATCH /api/groups/any
{"description": "x"}
--- more_headers
Content-Type: application/json
If-Match: "1
--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"If-Match must be \"*\" or a quoted version such as \"3\", as the ETag gives it","field":"If-Match"}}



=== TEST 8: If-Match: * still matches whatever the version
--- request
PATCH /api/groups/any
{"description": "x"}
--- more_headers
Content-Type: application/json
If-Match: *
--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no group \"any\""}}



=== TEST 9: a path segment no route takes is a 404, not the route before it
--- request
GET /api/groups/any/members/more
--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no such route"}}
