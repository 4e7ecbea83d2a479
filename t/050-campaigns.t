# Campaigns (README "Campaigns"): every row of the validation table at its
# boundary, and every cell of the operation table; states only campaignd
# reaches are written into the store by t/tools/cmp_storectl.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Test::Nginx::Socket 'no_plan';

fresh_store();

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

our $Now   = time;
our $Start = rfc3339($Now + 3600);
our $End   = rfc3339($Now + 86400);
our $Later = rfc3339($Now + 7200);
our $Past  = rfc3339($Now - 60);

# a campaign body with one field replaced or removed (undef)
sub campaign {
    my %over = @_;
    my %c = (name => '"Double-11 VIP push"', flow_id => '"f1"',
             group_id => '"vip"', start_time => "\"$Start\"",
             end_time => "\"$End\"",
             execution_plan => '{"unit":"hour","every":6}');
    @c{keys %over} = values %over;
    my @order = qw(id name description flow_id group_id start_time end_time
                   execution_plan params);
    return '{' . join(',', map { "\"$_\":$c{$_}" }
                           grep { defined $c{$_} } @order) . '}';
}

CampaignTest::defaults();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: channels of every readiness, a group, flows of every kind
--- pipelined_requests eval
[
"POST /api/channels\n" . '{"id":"wa","name":"WA","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"2","access_token":"t"}}',
"POST /api/channels\n" . '{"id":"wa-nowaba","name":"WA no WABA","type":"whatsapp","whatsapp":{"phone_number_id":"3","access_token":"t"}}',
"POST /api/channels\n" . '{"id":"vb-pending","name":"Viber","type":"viber","viber":{"sender_name":"Shop","auth_token":"t"}}',
"POST /api/groups\n" . '{"id":"vip","name":"VIP"}',
"POST /api/flows\n" . '{"id":"f1","name":"promo","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f1/publish\n",
"POST /api/flows\n" . '{"id":"f-unpub","name":"draft","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows\n" . '{"id":"f-wa","name":"inbound","trigger":"whatsapp","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f-wa/publish\n",
"POST /api/flows\n" . '{"id":"f-nowaba","name":"no waba","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa-nowaba","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f-nowaba/publish\n",
"POST /api/flows\n" . '{"id":"f-vb","name":"viber","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_viber","channel_id":"vb-pending","category":"promotion","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f-vb/publish\n",
]
--- error_code eval
[201, 201, 201, 201, 201, 200, 201, 201, 200, 201, 200, 201, 200]



=== TEST 2: a valid campaign is created pending, times in UTC
--- request eval
"POST /api/campaigns\n" . main::campaign(id => '"c1"', start_time => '"' . POSIX::strftime("%Y-%m-%dT%H:%M:%S+08:00", gmtime($::Now + 3600 + 8 * 3600)) . '"', params => '{"code":"X11"}')
--- error_code: 201
--- response_headers
Location: /api/campaigns/c1
ETag: "1"
--- response_body_like eval
qr/^\{"id":"c1","name":"Double-11 VIP push","description":"","flow_id":"f1","group_id":"vip","start_time":"\Q$::Start\E","end_time":"\Q$::End\E","execution_plan":\{"unit":"hour","every":6\},"params":\{"code":"X11"\},"status":"pending","next_run_at":"\Q$::Start\E","runs":0,"missed_runs":0,"last_error":null,"created_at":"[^"]+","updated_at":"[^"]+","version":1\}$/



=== TEST 3: 60 Chinese characters are a valid name, and every defaults to 1
--- request eval
"POST /api/campaigns\n" . main::campaign(id => '"c-zh"', name => '"' . ("\xe6\xb4\xbb" x 60) . '"', execution_plan => '{"unit":"day"}')
--- error_code: 201
--- response_body_like: "execution_plan":\{"unit":"day","every":1\}



=== TEST 4: 61 characters are not
--- request eval
"POST /api/campaigns\n" . main::campaign(name => '"' . ("\xe6\xb4\xbb" x 61) . '"')
--- error_code: 422
--- response_body_like: "code":"validation_failed","message":"name must be 1 to 60 characters","field":"name"



=== TEST 5: 59 ASCII characters pass, an empty name does not
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(name => '"' . ("n" x 59) . '"'),
 "POST /api/campaigns\n" . main::campaign(name => '""')]
--- error_code eval
[201, 422]



=== TEST 6: description: 90 characters pass, 91 do not
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(description => '"' . ("d" x 90) . '"'),
 "POST /api/campaigns\n" . main::campaign(description => '"' . ("d" x 91) . '"')]
--- error_code eval
[201, 422]
--- response_body_like eval
[qr/"status":"pending"/, qr/"field":"description"/]



=== TEST 7: each required field missing names itself
--- pipelined_requests eval
[map { "POST /api/campaigns\n" . main::campaign($_ => undef) }
 qw(name flow_id group_id start_time end_time execution_plan)]
--- error_code eval
[422, 422, 422, 422, 422, 422]
--- response_body_like eval
[qr/"field":"name"/, qr/"field":"flow_id"/, qr/"field":"group_id"/,
 qr/"field":"start_time"/, qr/"field":"end_time"/,
 qr/"field":"execution_plan"/]



=== TEST 8: wrong types are refused with the field named
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(name => '42'),
 "POST /api/campaigns\n" . main::campaign(start_time => '1764000000'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '"hourly"'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '{"unit":"hour","every":"6"}'),
 "POST /api/campaigns\n" . main::campaign(params => '[]'),
 "POST /api/campaigns\n" . main::campaign(params => '{"k":1}'),
 "POST /api/campaigns\n" . main::campaign(start_time => '"tomorrow"')]
--- error_code eval
[422, 422, 422, 422, 422, 422, 422]
--- response_body_like eval
[qr/"field":"name"/, qr/"field":"start_time"/, qr/"field":"execution_plan"/,
 qr/"field":"execution_plan.every"/, qr/"field":"params"/,
 qr/"field":"params.k"/, qr/"field":"start_time"/]



=== TEST 9: the flow must exist, be published and be manually triggered
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(flow_id => '"nope"'),
 "POST /api/campaigns\n" . main::campaign(flow_id => '"f-unpub"'),
 "POST /api/campaigns\n" . main::campaign(flow_id => '"f-wa"')]
--- error_code eval
[422, 422, 422]
--- response_body_like eval
[qr/"message":"no flow \\"nope\\"","field":"flow_id"/,
 qr/"message":"flow \\"f-unpub\\" is not published","field":"flow_id"/,
 qr/"message":"only manually triggered flows are supported; flow \\"f-wa\\" is triggered by whatsapp","field":"flow_id"/]



=== TEST 10: the group must exist
--- request eval
"POST /api/campaigns\n" . main::campaign(group_id => '"nobody"')
--- error_code: 422
--- response_body_like: "message":"no group \\"nobody\\"","field":"group_id"



=== TEST 11: start later than now and earlier than end
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(start_time => "\"$::Past\""),
 "POST /api/campaigns\n" . main::campaign(start_time => '"' . main::rfc3339(time) . '"'),
 "POST /api/campaigns\n" . main::campaign(end_time => "\"$::Start\""),
 "POST /api/campaigns\n" . main::campaign(end_time => '"' . main::rfc3339($::Now + 1800) . '"')]
--- error_code eval
[422, 422, 422, 422]
--- response_body_like eval
[qr/"message":"start_time must be later than now","field":"start_time"/,
 qr/"field":"start_time"/,
 qr/"message":"end_time must be later than start_time","field":"end_time"/,
 qr/"field":"end_time"/]



=== TEST 12: the execution plan: unit minute/hour/day, every 1..1000
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(execution_plan => '{"unit":"week"}'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '{"every":2}'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '{"unit":"minute","every":0}'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '{"unit":"minute","every":1001}'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '{"unit":"minute","every":1000}'),
 "POST /api/campaigns\n" . main::campaign(execution_plan => '{"unit":"minute","cron":"* * *"}')]
--- error_code eval
[422, 422, 422, 422, 201, 422]
--- response_body_like eval
[qr/"field":"execution_plan.unit"/, qr/"field":"execution_plan.unit"/,
 qr/"field":"execution_plan.every"/, qr/"field":"execution_plan.every"/,
 qr/"every":1000/, qr/"code":"unknown_field".*"field":"execution_plan.cron"/]



=== TEST 13: every channel a send node uses must be ready
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(flow_id => '"f-nowaba"'),
 "POST /api/campaigns\n" . main::campaign(flow_id => '"f-vb"')]
--- error_code eval
[422, 422]
--- response_body_like eval
[qr/"message":"channel \\"wa-nowaba\\" is not ready: no WABA associated[^"]*","field":"channels"/,
 qr/"message":"channel \\"vb-pending\\" is not ready: service account is pending, not approved","field":"channels"/]



=== TEST 14: an unknown field is refused; params over 32 values too
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(id => '"typo"', execution_plan => '{"unit":"hour"}', params => '{}') =~ s/"name"/"nmae"/r,
 "POST /api/campaigns\n" . main::campaign(params => '{' . CORE::join(',', map { "\"k$_\":\"v\"" } 1 .. 33) . '}')]
--- error_code eval
[422, 422]
--- response_body_like eval
[qr/"code":"unknown_field","message":"unknown field \\"nmae\\"","field":"nmae"/,
 qr/"field":"params"/]



=== TEST 15: nothing of the refused creates was stored
--- request
GET /api/campaigns?limit=1000
--- response_body_like: ^\{"items":\[(\{"id":"[^"]+","name":"[^"]*",[^\]]*){5}\],"next_cursor":null\}$
--- error_code: 200



=== TEST 16: a taken id is a conflict; Idempotency-Key returns the first
--- pipelined_requests eval
["POST /api/campaigns\n" . main::campaign(id => '"c1"'),
 "POST /api/campaigns\n" . main::campaign(id => '"idem-1"'),
 "POST /api/campaigns\n" . main::campaign(id => '"idem-1"')]
--- more_headers
Content-Type: application/json
Idempotency-Key: retry-me
--- error_code eval
[409, 201, 201]
--- response_body_like eval
[qr/"code":"conflict"/, qr/"id":"idem-1".*"version":1/, qr/"id":"idem-1".*"version":1/]



=== TEST 17: a pending campaign can be modified; the If-Match must match
--- pipelined_requests eval
["PATCH /api/campaigns/c1\n" . '{"name":"renamed"}',
 "PATCH /api/campaigns/c1\n" . '{"end_time":"' . $::Later . '"}']
--- more_headers
Content-Type: application/json
If-Match: "1"
--- error_code eval
[200, 412]
--- response_body_like eval
[qr/"name":"renamed".*"status":"pending".*"version":2/,
 qr/"code":"version_mismatch"/]



=== TEST 18: a modify that breaks the period is refused and changes nothing
--- request eval
"PATCH /api/campaigns/c1\n" . '{"end_time":"' . $::Past . '"}'
--- error_code: 422
--- response_body_like: "field":"end_time"



=== TEST 19: ...the campaign is as it was
--- request
GET /api/campaigns/c1
--- error_code: 200
--- response_headers
ETag: "2"
--- response_body_like eval
qr/"name":"renamed".*"end_time":"\Q$::End\E"/



=== TEST 20: suspend is only for running campaigns
--- request
POST /api/campaigns/c1/suspend
--- error_code: 409
--- response_body_like: "code":"invalid_state","message":"campaign \\"c1\\" is pending; only a running campaign can be suspended"



=== TEST 21: a running campaign cannot be modified
--- init
CampaignTest::storectl('set-status', 'c1', 'running');
--- request
PATCH /api/campaigns/c1
{"name":"x"}
--- error_code: 409
--- response_body_like: "code":"invalid_state","message":"campaign \\"c1\\" is running; only pending or paused campaigns can be modified"



=== TEST 22: nor deleted
--- request
DELETE /api/campaigns/c1
--- error_code: 409
--- response_body_like: "code":"invalid_state".*running



=== TEST 23: a running campaign's group and flow are held
--- pipelined_requests eval
["DELETE /api/groups/vip", "POST /api/flows/f1/unpublish"]
--- error_code eval
[409, 409]



=== TEST 24: suspend moves running to paused
--- request
POST /api/campaigns/c1/suspend
--- error_code: 200
--- response_body_like: "status":"paused","next_run_at":null



=== TEST 25: a paused campaign resumes only with a new start time
--- pipelined_requests eval
["PATCH /api/campaigns/c1\n" . '{"name":"no start"}',
 "PATCH /api/campaigns/c1\n" . '{"start_time":"' . $::Past . '"}',
 "POST /api/campaigns/c1/suspend",
 "PATCH /api/campaigns/c1\n" . '{"start_time":"' . $::Later . '"}']
--- error_code eval
[422, 422, 409, 200]
--- response_body_like eval
[qr/"field":"start_time"/, qr/"message":"start_time must be later than now","field":"start_time"/,
 qr/is paused/,
 qr/"start_time":"\Q$::Later\E".*"status":"pending","next_run_at":"\Q$::Later\E"/]



=== TEST 26: a paused campaign can be deleted
--- init
CampaignTest::storectl('set-status', 'c-zh', 'paused');
--- request eval
["DELETE /api/campaigns/c-zh", "GET /api/campaigns/c-zh"]
--- error_code eval
[204, 404]



=== TEST 27: a completed campaign can be neither modified nor suspended, but deleted
--- init
CampaignTest::storectl('set-status', 'idem-1', 'completed');
--- request eval
["PATCH /api/campaigns/idem-1\n" . '{"name":"x"}',
 "POST /api/campaigns/idem-1/suspend",
 "DELETE /api/campaigns/idem-1",
 "DELETE /api/campaigns/idem-1"]
--- error_code eval
[409, 409, 204, 404]



=== TEST 28: stats and messages of an unknown campaign are 404, of a new one zero
--- pipelined_requests eval
["GET /api/campaigns/none/stats", "GET /api/campaigns/c1/stats",
 "GET /api/campaigns/c1/messages"]
--- error_code eval
[404, 200, 200]
--- response_body_like eval
[qr/"code":"not_found"/,
 qr/^\{"runs":0,"targeted":0,"queued":0,"sent":0,"delivered":0,"read":0,"failed":0,"replied":0,"skipped":0,"possible_duplicates":0,"skipped_by_reason":\{"opted_out":0,"live_instance":0,"no_address":0,"deferred_past_end":0,"suspended":0\},"missed_runs":0,"by_run":\[\]\}$/,
 qr/^\{"items":\[\],"next_cursor":null\}$/]



=== TEST 29: stats are the counters, totals and per run
--- init
for my $c (['0', 'targeted', 3], ['0', 'sent', 2], ['0', 'skipped', 1],
           ['0', 'skipped:opted_out', 1],
           ['1', 'targeted', 3], ['1', 'sent', 2], ['1', 'fired_at', 1767225600]) {
    CampaignTest::storectl('counter', 'c1', @$c);
}
--- request
GET /api/campaigns/c1/stats
--- error_code: 200
--- response_body_like: ^\{"runs":0,"targeted":3,"queued":0,"sent":2,"delivered":0,"read":0,"failed":0,"replied":0,"skipped":1,"possible_duplicates":0,"skipped_by_reason":\{"opted_out":1,"live_instance":0,"no_address":0,"deferred_past_end":0,"suspended":0\},"missed_runs":0,"by_run":\[\{"run":1,"skipped_by_reason":\{"opted_out":0,"live_instance":0,"no_address":0,"deferred_past_end":0,"suspended":0\},"fired_at":"2026-01-01T00:00:00Z","sent":2,"targeted":3\}\]\}$



=== TEST 30: a bad status filter or run is a 400
--- pipelined_requests eval
["GET /api/campaigns?status=running,bogus", "GET /api/campaigns?limit=0",
 "GET /api/campaigns/c1/messages?run=0", "GET /api/campaigns/c1/messages?cursor=zz"]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
[qr/"code":"invalid_argument".*"field":"status"/, qr/"field":"limit"/,
 qr/"field":"run"/, qr/"field":"cursor"/]



=== TEST 31: the ledger pages with its filters kept on every page
--- init
for my $m (['1', 'k1', 'failed'], ['1', 'k2', 'sent'], ['1', 'k3', 'failed'],
           ['2', 'k1', 'failed'], ['2', 'k2', 'failed']) {
    CampaignTest::storectl('message', 'c1', $m->[0], $m->[1], 'n1', '0',
           $m->[2]);
}
--- pipelined_requests eval
["GET /api/campaigns/c1/messages?status=failed&run=1&limit=1",
 "GET /api/campaigns/c1/messages?status=failed&limit=10"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/^\{"items":\[\{[^{}]*"run":1,"contact_id":"k1"[^{}]*\}\],"next_cursor":"[0-9a-f]+"\}$/,
 qr/^\{"items":\[(\{[^{}]*"status":"failed"[^{}]*\},?){4}\],"next_cursor":null\}$/]



=== TEST 32: ...and the second page of run 1's failures is k3 alone
--- request eval
my $key = unpack('H*', "c1\0\0\0\0\1k1\0n1\0\0\0");
"GET /api/campaigns/c1/messages?status=failed&run=1&limit=1&cursor=$key"
--- error_code: 200
--- response_body_like: ^\{"items":\[\{[^{}]*"run":1,"contact_id":"k3"[^{}]*\}\],"next_cursor":null\}$
