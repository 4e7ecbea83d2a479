# Chat flows (README "Chat flow reference"): create and the shape check,
# the unpublished <-> published rules, publish listing every problem,
# preview as JSON and DOT, export/import round trip, test-send triggers,
# and the channel references a published flow holds.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Config = <<'_EOC_';
    location /api/ { campaign_api write=on; }
_EOC_

# the definition of "broken" has one defect of each kind; all are listed
our $BrokenErrors = <<'_EOC_';
{"error":{"code":"validation_failed","message":"the definition has 18 problems; each is in errors","field":"definition","errors":[{"node":"bad id","message":"id must be 1 to 64 characters of [A-Za-z0-9_-]"},{"node":"a","message":"id is not unique: nodes[0] and nodes[3] have it"},{"node":"a","message":"next names no node \"zz\""},{"node":"a","message":"channel \"nochan\" does not exist"},{"node":"a","message":"message.text: unknown placeholder \"{{contact.nme}}\" at character 4 (known: contact.name, contact.phone, contact.attributes.KEY, vars.NAME, campaign.id, campaign.name, group.id, run.number)"},{"node":"b","message":"channel \"wa1\" is a whatsapp channel; send_viber needs a viber channel"},{"node":"b","message":"category must be promotion or transaction"},{"node":"c","message":"branches[0].rules[0]: regex does not compile: missing closing parenthesis"},{"node":"a","message":"seconds must be an integer from 1 to 2592000"},{"node":"bad id","message":"max_jumps must be an integer from 1 to 100"},{"node":"h","message":"method must be GET or POST"},{"node":"h","message":"url must be an http:// or https:// URL"},{"node":"h","message":"timeout_seconds must be an integer from 1 to 30"},{"node":"b","message":"node is not reachable from start"},{"node":"c","message":"node is not reachable from start"},{"node":"bad id","message":"node is not reachable from start"},{"node":"h","message":"node is not reachable from start"},{"node":"b","message":"cycle through b, c passes through no jump: an instance could loop forever"}]}}
_EOC_
chomp $BrokenErrors;

our $PreviewJson = <<'_EOC_';
{"nodes":[{"id":"hello","type":"send_whatsapp","label":"template promo_1111"},{"id":"ask","type":"wait_for_reply","label":"wait for a reply, at most 3600 s"},{"id":"check","type":"condition","label":"condition, 1 branch"},{"id":"coupon","type":"send_whatsapp","label":"Your code: {{vars.code}}"},{"id":"nudge","type":"jump","label":"jump to hello, max_jumps 1"},{"id":"bye","type":"end","label":"end"}],"edges":[{"from":"hello","to":"ask","label":"next"},{"from":"ask","to":"check","label":"replied"},{"from":"ask","to":"nudge","label":"timeout"},{"from":"check","to":"coupon","label":"branch 1"},{"from":"check","to":"bye","label":"else"},{"from":"coupon","to":"bye","label":"next"},{"from":"nudge","to":"hello","label":"jump"},{"from":"nudge","to":"bye","label":"next"}]}
_EOC_
chomp $PreviewJson;

our $PreviewDot = <<'_EOC_';
digraph "flow-promo" {
    rankdir=TB;
    node [fontsize=10];
    "hello" [shape=box, peripheries=2, label="hello (send_whatsapp)\ntemplate promo_1111"];
    "ask" [shape=parallelogram, label="ask (wait_for_reply)\nwait for a reply, at most 3600 s"];
    "check" [shape=diamond, label="check (condition)\ncondition, 1 branch"];
    "coupon" [shape=box, label="coupon (send_whatsapp)\nYour code: {{vars.code}}"];
    "nudge" [shape=cds, label="nudge (jump)\njump to hello, max_jumps 1"];
    "bye" [shape=doublecircle, label="bye (end)\nend"];
    "hello" -> "ask" [label="next"];
    "ask" -> "check" [label="replied"];
    "ask" -> "nudge" [label="timeout"];
    "check" -> "coupon" [label="branch 1"];
    "check" -> "bye" [label="else"];
    "coupon" -> "bye" [label="next"];
    "nudge" -> "hello" [label="jump", style=dashed];
    "nudge" -> "bye" [label="next"];
}
_EOC_

CampaignTest::defaults(config => $Config);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a WhatsApp channel for the flows
--- request
POST /api/channels
{"id":"wa1","name":"WA","type":"whatsapp"}

--- error_code: 201
--- response_body_like: "id":"wa1"



=== TEST 2: a Viber channel
--- request
POST /api/channels
{"id":"vb1","name":"VB","type":"viber"}

--- error_code: 201
--- response_body_like: "id":"vb1"



=== TEST 3: create: a draft flow is unpublished, trigger manual by default
--- request
POST /api/flows
{"id":"promo","name":"Double-11 promo","description":"Coupons for VIPs","definition":{"start":"hello","nodes":[{"id":"hello","type":"send_whatsapp","channel_id":"wa1","next":"later"}]}}

--- error_code: 201
--- response_headers
Location: /api/flows/promo
ETag: "1"
--- response_body_like: ^\{"id":"promo","name":"Double-11 promo","description":"Coupons for VIPs","trigger":"manual","status":"unpublished","definition":\{"start":"hello","nodes":\[\{"id":"hello","type":"send_whatsapp","channel_id":"wa1","next":"later"\}\]\},"published_at":null,"created_at":"[^"]+Z","updated_at":"[^"]+Z","version":1\}$



=== TEST 4: create: name is required
--- request
POST /api/flows
{"definition":{"nodes":[]}}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"name is required","field":"name"}}



=== TEST 5: create: a name of 61 characters is refused (60 is the limit)
--- request
POST /api/flows
{"name":"流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流"}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"name must be 1 to 60 characters","field":"name"}}



=== TEST 6: create: a name of 60 Chinese characters is fine
--- request
POST /api/flows
{"id":"cjk","name":"流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流"}

--- error_code: 201
--- response_body_like: "id":"cjk","name":"流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流流","description":null,"trigger":"manual","status":"unpublished","definition":\{"start":null,"nodes":\[\]\}



=== TEST 7: create: trigger must be manual, whatsapp or viber
--- request
POST /api/flows
{"name":"x","trigger":"sometimes"}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"trigger must be one of: manual, whatsapp, viber","field":"trigger"}}



=== TEST 8: create: a status cannot be given
--- request
POST /api/flows
{"name":"x","status":"published"}

--- error_code: 422
--- response_body: {"error":{"code":"unknown_field","message":"unknown field \"status\"","field":"status"}}



=== TEST 9: create: the definition must be an object
--- request
POST /api/flows
{"name":"x","definition":[]}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"definition must be an object","field":"definition"}}



=== TEST 10: create: a typo in a node is an unknown field
--- request
POST /api/flows
{"name":"x","definition":{"nodes":[{"id":"a","type":"delay","secs":5}]}}

--- error_code: 422
--- response_body: {"error":{"code":"unknown_field","message":"unknown field \"definition.nodes[0].secs\"","field":"definition.nodes[0].secs"}}



=== TEST 11: create: a field of the wrong JSON type
--- request
POST /api/flows
{"name":"x","definition":{"nodes":[{"id":"a","type":"delay","seconds":"5"}]}}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"definition.nodes[0].seconds must be an integer","field":"definition.nodes[0].seconds"}}



=== TEST 12: create: an unknown node type
--- request
POST /api/flows
{"name":"x","definition":{"nodes":[{"id":"a","type":"teleport"}]}}

--- error_code: 422
--- response_body_like: "field":"definition.nodes\[0\].type"



=== TEST 13: create: the id "import" is the import route's
--- request
POST /api/flows
{"id":"import","name":"x"}

--- error_code: 422
--- response_body_like: "code":"validation_failed","message":"id \\"import\\" is reserved","field":"id"



=== TEST 14: create: a taken id is a conflict
--- request
POST /api/flows
{"id":"promo","name":"x"}

--- error_code: 409
--- response_body_like: "code":"conflict"



=== TEST 15: the refused creates left nothing behind
--- request
GET /api/flows?limit=2

--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"cjk",.*\},\{"id":"promo",.*\}\],"next_cursor":null\}$



=== TEST 16: paging: one at a time
--- request
GET /api/flows?limit=1

--- error_code: 200
--- response_body_like: ^\{"items":\[\{"id":"cjk",.*\}\],"next_cursor":"[0-9a-f]{16}"\}$



=== TEST 17: preview of an unpublished flow is refused
--- request
GET /api/flows/promo/preview

--- error_code: 409
--- response_body: {"error":{"code":"invalid_state","message":"flow \"promo\" is unpublished; preview shows published flows only"}}



=== TEST 18: trigger of an unpublished flow is refused
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1"}

--- error_code: 409
--- response_body: {"error":{"code":"invalid_state","message":"flow \"promo\" is unpublished; only a published flow can be triggered"}}



=== TEST 19: unpublish of an unpublished flow is refused
--- request
POST /api/flows/promo/unpublish

--- error_code: 409
--- response_body: {"error":{"code":"invalid_state","message":"flow \"promo\" is unpublished"}}



=== TEST 20: publish of a missing flow is 404
--- request
POST /api/flows/nothing/publish

--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"no flow \"nothing\""}}



=== TEST 21: while unpublished everything may change
--- request
PATCH /api/flows/promo
{"name":"Double-11 promo (v2)","trigger":"whatsapp","definition":{"start":"hello","nodes":[{"id":"hello","type":"send_whatsapp","channel_id":"wa1","message":{"type":"template","template":{"name":"promo_1111","language":"en_US","body_params":["{{contact.name}}","{{contact.attributes.city}}"]}},"next":"ask"},{"id":"ask","type":"wait_for_reply","timeout_seconds":3600,"save_as":"answer","replied":"check","timeout":"nudge"},{"id":"check","type":"condition","branches":[{"match":"any","rules":[{"variable":"answer","op":"string_equals","value":"YES","ignore_case":true},{"variable":"answer","op":"string_starts_with","value":"Y"}],"next":"coupon"}],"else":"bye"},{"id":"coupon","type":"send_whatsapp","channel_id":"wa1","message":{"type":"text","text":"Your code: {{vars.code}}"},"next":"bye"},{"id":"nudge","type":"jump","target":"hello","max_jumps":1,"next":"bye"},{"id":"bye","type":"end"}]}}
--- more_headers
Content-Type: application/json
If-Match: "1"

--- error_code: 200
--- response_body_like: "name":"Double-11 promo \(v2\)","description":"Coupons for VIPs","trigger":"whatsapp","status":"unpublished","definition":\{"start":"hello",.*"version":2\}$



=== TEST 22: a stale If-Match changes nothing
--- request
PATCH /api/flows/promo
{"trigger":"manual"}
--- more_headers
Content-Type: application/json
If-Match: "1"

--- error_code: 412
--- response_body_like: "code":"version_mismatch"



=== TEST 23: trigger back to manual
--- request
PATCH /api/flows/promo
{"trigger":"manual"}

--- error_code: 200
--- response_body_like: "trigger":"manual","status":"unpublished",.*"version":3\}$



=== TEST 24: a flow with many defects
--- request
POST /api/flows
{"id":"broken","name":"Broken","definition":{"start":"a","nodes":[{"id":"a","type":"send_whatsapp","channel_id":"nochan","message":{"type":"text","text":"Hi {{contact.nme}}"},"next":"zz"},{"id":"b","type":"send_viber","channel_id":"wa1","message":{"type":"text","text":"x"},"category":"promo","next":"c"},{"id":"c","type":"condition","branches":[{"rules":[{"variable":"x","op":"string_matches_regex","value":"("}],"next":"b"}]},{"id":"a","type":"delay","seconds":0},{"id":"bad id","type":"jump","target":"a","max_jumps":101},{"id":"h","type":"http_request","method":"PUT","url":"ftp://x","timeout_seconds":31}]}}

--- error_code: 201
--- response_body_like: "id":"broken"



=== TEST 25: publish lists every problem, each with its node
--- request
POST /api/flows/broken/publish

--- error_code: 422
--- response_body eval: $::BrokenErrors



=== TEST 26: the refused publish changed nothing
--- request
GET /api/flows/broken

--- error_code: 200
--- response_body_like: "status":"unpublished",.*"version":1\}$



=== TEST 27: publish: the flow is published, its channel referenced
--- request
POST /api/flows/promo/publish

--- error_code: 200
--- response_headers
ETag: "4"
--- response_body_like: "trigger":"manual","status":"published",.*"published_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",.*"version":4\}$



=== TEST 28: publishing twice is refused
--- request
POST /api/flows/promo/publish

--- error_code: 409
--- response_body: {"error":{"code":"invalid_state","message":"flow \"promo\" is already published"}}



=== TEST 29: a published flow may be renamed
--- request
PATCH /api/flows/promo
{"name":"Double-11 promo (v2)","description":"Coupons for VIPs"}

--- error_code: 200
--- response_body_like: "status":"published",.*"version":5\}$



=== TEST 30: the unchanged definition may be sent back
--- request
PATCH /api/flows/promo
{"definition":{"start":"hello","nodes":[{"id":"hello","type":"send_whatsapp","channel_id":"wa1","message":{"type":"template","template":{"name":"promo_1111","language":"en_US","body_params":["{{contact.name}}","{{contact.attributes.city}}"]}},"next":"ask"},{"id":"ask","type":"wait_for_reply","timeout_seconds":3600,"save_as":"answer","replied":"check","timeout":"nudge"},{"id":"check","type":"condition","branches":[{"match":"any","rules":[{"variable":"answer","op":"string_equals","value":"YES","ignore_case":true},{"variable":"answer","op":"string_starts_with","value":"Y"}],"next":"coupon"}],"else":"bye"},{"id":"coupon","type":"send_whatsapp","channel_id":"wa1","message":{"type":"text","text":"Your code: {{vars.code}}"},"next":"bye"},{"id":"nudge","type":"jump","target":"hello","max_jumps":1,"next":"bye"},{"id":"bye","type":"end"}]},"trigger":"manual"}

--- error_code: 200
--- response_body_like: "status":"published",.*"version":6\}$



=== TEST 31: a published flow's definition cannot change
--- request
PATCH /api/flows/promo
{"definition":{"start":"bye","nodes":[{"id":"bye","type":"end"}]}}

--- error_code: 409
--- response_body: {"error":{"code":"invalid_state","message":"flow \"promo\" is published: only name and description can change; unpublish it to change its definition","field":"definition"}}



=== TEST 32: a published flow's trigger cannot change
--- request
PATCH /api/flows/promo
{"trigger":"viber"}

--- error_code: 409
--- response_body_like: "code":"invalid_state",.*"field":"trigger"



=== TEST 33: a published flow cannot be deleted
--- request
DELETE /api/flows/promo

--- error_code: 409
--- response_body: {"error":{"code":"invalid_state","message":"flow \"promo\" is published; unpublish it before deleting it"}}



=== TEST 34: the refused changes left it as it was
--- request
GET /api/flows/promo

--- error_code: 200
--- response_body_like: "trigger":"manual","status":"published","definition":\{"start":"hello",.*"version":6\}$



=== TEST 35: a channel a published flow uses cannot be deleted
--- request
DELETE /api/channels/wa1

--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"channel \"wa1\" is used by 1 published flow(s)"}}



=== TEST 36: preview as JSON nodes and edges
--- request
GET /api/flows/promo/preview

--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body eval: $::PreviewJson



=== TEST 37: preview as Graphviz DOT
--- request
GET /api/flows/promo/preview?format=dot

--- error_code: 200
--- response_headers
Content-Type: text/vnd.graphviz
--- response_body eval: $::PreviewDot



=== TEST 38: preview: an unknown format
--- request
GET /api/flows/promo/preview?format=svg

--- error_code: 400
--- response_body: {"error":{"code":"invalid_argument","message":"format must be json or dot","field":"format"}}



=== TEST 39: export is a JSON file to download
--- request
GET /api/flows/promo/export

--- error_code: 200
--- response_headers
Content-Type: application/json
Content-Disposition: attachment; filename="flow-promo.json"
--- response_body: {"name":"Double-11 promo (v2)","description":"Coupons for VIPs","trigger":"manual","definition":{"start":"hello","nodes":[{"id":"hello","type":"send_whatsapp","channel_id":"wa1","message":{"type":"template","template":{"name":"promo_1111","language":"en_US","body_params":["{{contact.name}}","{{contact.attributes.city}}"]}},"next":"ask"},{"id":"ask","type":"wait_for_reply","timeout_seconds":3600,"save_as":"answer","replied":"check","timeout":"nudge"},{"id":"check","type":"condition","branches":[{"match":"any","rules":[{"variable":"answer","op":"string_equals","value":"YES","ignore_case":true},{"variable":"answer","op":"string_starts_with","value":"Y"}],"next":"coupon"}],"else":"bye"},{"id":"coupon","type":"send_whatsapp","channel_id":"wa1","message":{"type":"text","text":"Your code: {{vars.code}}"},"next":"bye"},{"id":"nudge","type":"jump","target":"hello","max_jumps":1,"next":"bye"},{"id":"bye","type":"end"}]}}



=== TEST 40: import takes the exported file back as a new, unpublished flow
--- request
POST /api/flows/import
{"name":"Double-11 promo (v2)","description":"Coupons for VIPs","trigger":"manual","definition":{"start":"hello","nodes":[{"id":"hello","type":"send_whatsapp","channel_id":"wa1","message":{"type":"template","template":{"name":"promo_1111","language":"en_US","body_params":["{{contact.name}}","{{contact.attributes.city}}"]}},"next":"ask"},{"id":"ask","type":"wait_for_reply","timeout_seconds":3600,"save_as":"answer","replied":"check","timeout":"nudge"},{"id":"check","type":"condition","branches":[{"match":"any","rules":[{"variable":"answer","op":"string_equals","value":"YES","ignore_case":true},{"variable":"answer","op":"string_starts_with","value":"Y"}],"next":"coupon"}],"else":"bye"},{"id":"coupon","type":"send_whatsapp","channel_id":"wa1","message":{"type":"text","text":"Your code: {{vars.code}}"},"next":"bye"},{"id":"nudge","type":"jump","target":"hello","max_jumps":1,"next":"bye"},{"id":"bye","type":"end"}]}}

--- error_code: 201
--- response_headers
Location: /api/flows/fl_00000001
--- response_body_like: ^\{"id":"fl_00000001","name":"Double-11 promo \(v2\)","description":"Coupons for VIPs","trigger":"manual","status":"unpublished","definition":\{"start":"hello",.*"published_at":null,.*"version":1\}$



=== TEST 41: the copy exports exactly the same document
--- request
GET /api/flows/fl_00000001/export

--- error_code: 200
--- response_headers
Content-Disposition: attachment; filename="flow-fl_00000001.json"
--- response_body: {"name":"Double-11 promo (v2)","description":"Coupons for VIPs","trigger":"manual","definition":{"start":"hello","nodes":[{"id":"hello","type":"send_whatsapp","channel_id":"wa1","message":{"type":"template","template":{"name":"promo_1111","language":"en_US","body_params":["{{contact.name}}","{{contact.attributes.city}}"]}},"next":"ask"},{"id":"ask","type":"wait_for_reply","timeout_seconds":3600,"save_as":"answer","replied":"check","timeout":"nudge"},{"id":"check","type":"condition","branches":[{"match":"any","rules":[{"variable":"answer","op":"string_equals","value":"YES","ignore_case":true},{"variable":"answer","op":"string_starts_with","value":"Y"}],"next":"coupon"}],"else":"bye"},{"id":"coupon","type":"send_whatsapp","channel_id":"wa1","message":{"type":"text","text":"Your code: {{vars.code}}"},"next":"bye"},{"id":"nudge","type":"jump","target":"hello","max_jumps":1,"next":"bye"},{"id":"bye","type":"end"}]}}



=== TEST 42: import refuses what no export has
--- request
POST /api/flows/import
{"name":"x","owner":"me"}

--- error_code: 422
--- response_body: {"error":{"code":"unknown_field","message":"unknown field \"owner\"","field":"owner"}}



=== TEST 43: import takes POST only
--- request
GET /api/flows/import

--- error_code: 405
--- response_body_like: "code":"method_not_allowed"



=== TEST 44: a contact to test-send to
--- request
POST /api/contacts
{"id":"c1","phone":"+8613800000000","name":"Li Lei","attributes":{"city":"Hangzhou"}}

--- error_code: 201
--- response_body_like: "id":"c1"



=== TEST 45: trigger queues a test send
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1","variables":{"code":"X1"}}
--- more_headers
Content-Type: application/json
Idempotency-Key: try-1

--- error_code: 202
--- response_body: {"instance_id":"in_00000001","status":"queued"}



=== TEST 46: a retried trigger answers the same instance
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1","variables":{"code":"X1"}}
--- more_headers
Content-Type: application/json
Idempotency-Key: try-1

--- error_code: 202
--- response_body: {"instance_id":"in_00000001","status":"queued"}



=== TEST 47: another trigger is another instance
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1"}

--- error_code: 202
--- response_body: {"instance_id":"in_00000002","status":"queued"}



=== TEST 48: the instance is visible, queued at the start node
--- request
GET /api/flows/promo/instances/in_00000001

--- error_code: 200
--- response_body_like: ^\{"id":"in_00000001","flow_id":"promo","contact_id":"c1","campaign_id":null,"run":null,"status":"queued","node":"hello","variables":\{"code":"X1"\},"jumps":\{\},"messages":\[\],"created_at":"[^"]+","updated_at":"[^"]+"\}$



=== TEST 49: an instance is found under its own flow only
--- request
GET /api/flows/fl_00000001/instances/in_00000001

--- error_code: 404
--- response_body: {"error":{"code":"not_found","message":"flow \"fl_00000001\" has no instance \"in_00000001\""}}



=== TEST 50: an unknown instance
--- request
GET /api/flows/promo/instances/in_99999999

--- error_code: 404
--- response_body_like: "code":"not_found"



=== TEST 51: trigger: the contact must exist
--- request
POST /api/flows/promo/trigger
{"contact_id":"nobody"}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"no contact \"nobody\"","field":"contact_id"}}



=== TEST 52: trigger: contact_id is required
--- request
POST /api/flows/promo/trigger
{"variables":{}}

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"contact_id is required","field":"contact_id"}}



=== TEST 53: trigger: variables are strings
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1","variables":{"code":5}}

--- error_code: 422
--- response_body_like: "code":"validation_failed",.*"field":"variables.code"



=== TEST 54: trigger: an unknown field
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1","when":"now"}

--- error_code: 422
--- response_body: {"error":{"code":"unknown_field","message":"unknown field \"when\"","field":"when"}}



=== TEST 55: the refused triggers queued nothing
--- request
POST /api/flows/promo/trigger
{"contact_id":"c1"}

--- error_code: 202
--- response_body: {"instance_id":"in_00000003","status":"queued"}



=== TEST 56: unpublish returns the flow to a draft
--- request
POST /api/flows/promo/unpublish

--- error_code: 200
--- response_body_like: "status":"unpublished",.*"published_at":null,.*"version":7\}$



=== TEST 57: unpublishing twice is refused
--- request
POST /api/flows/promo/unpublish

--- error_code: 409
--- response_body_like: "code":"invalid_state"



=== TEST 58: the channel is free again once no published flow uses it
--- request
DELETE /api/channels/wa1

--- error_code: 204
--- response_body eval: ''



=== TEST 59: publish now reports the missing channel
--- request
POST /api/flows/promo/publish

--- error_code: 422
--- response_body: {"error":{"code":"validation_failed","message":"the definition has 2 problems; each is in errors","field":"definition","errors":[{"node":"hello","message":"channel \"wa1\" does not exist"},{"node":"coupon","message":"channel \"wa1\" does not exist"}]}}



=== TEST 60: an unpublished flow can be deleted
--- request
DELETE /api/flows/promo

--- error_code: 204
--- response_body eval: ''



=== TEST 61: and is gone
--- request
GET /api/flows/promo

--- error_code: 404
--- response_body_like: "code":"not_found"



=== TEST 62: deleting a missing flow is 404
--- request
DELETE /api/flows/promo

--- error_code: 404
--- response_body_like: "code":"not_found"



=== TEST 63: a ready channel for a campaign
--- request
POST /api/channels
{"id":"wa2","name":"WA2","type":"whatsapp","whatsapp":{"waba_id":"1029","phone_number_id":"1133","access_token":"tok"}}

--- error_code: 201
--- response_body_like: "ready":true



=== TEST 64: a flow for a campaign
--- request
POST /api/flows
{"id":"inuse","name":"In use","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa2","message":{"type":"text","text":"Hi {{contact.name}}"}}]}}

--- error_code: 201
--- response_body_like: "id":"inuse"



=== TEST 65: publish it
--- request
POST /api/flows/inuse/publish

--- error_code: 200
--- response_body_like: "status":"published"



=== TEST 66: a group for a campaign
--- request
POST /api/groups
{"id":"g1","name":"G1"}

--- error_code: 201
--- response_body_like: "id":"g1"



=== TEST 67: a pending campaign uses the flow
--- request
POST /api/campaigns
{"id":"cp1","name":"C1","flow_id":"inuse","group_id":"g1","start_time":"2030-01-01T00:00:00Z","end_time":"2030-01-02T00:00:00Z","execution_plan":{"unit":"day"}}

--- error_code: 201
--- response_body_like: "id":"cp1"



=== TEST 68: unpublish is refused while a campaign uses the flow
--- request
POST /api/flows/inuse/unpublish

--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"flow \"inuse\" is used by 1 campaign(s) that are pending, running or paused; it cannot be unpublished"}}



=== TEST 69: delete is refused while a campaign uses the flow
--- request
DELETE /api/flows/inuse

--- error_code: 409
--- response_body: {"error":{"code":"conflict","message":"flow \"inuse\" is used by 1 campaign(s) that are pending, running or paused; it cannot be deleted"}}



=== TEST 70: the flow is still published
--- request
GET /api/flows/inuse

--- error_code: 200
--- response_body_like: "status":"published",.*"version":2\}$



=== TEST 71: the campaign goes
--- request
DELETE /api/campaigns/cp1

--- error_code: 204
--- response_body eval: ''



=== TEST 72: then unpublish works
--- request
POST /api/flows/inuse/unpublish

--- error_code: 200
--- response_body_like: "status":"unpublished"



=== TEST 73: and delete too
--- request
DELETE /api/flows/inuse

--- error_code: 204
--- response_body eval: ''
