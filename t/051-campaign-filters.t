# GET /campaigns: every filter, their combinations, newest first, and
# paging that neither repeats nor skips while campaigns are created
# between pages.  The cursor is opaque to clients; this test knows that
# it is the creation sequence, so it can ask for the page a client would.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Start = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 3600));
our $End   = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 86400));

sub create {
    my ($id, $name, $flow, $group) = @_;
    return "POST /api/campaigns\n"
           . "{\"id\":\"$id\",\"name\":\"$name\",\"flow_id\":\"$flow\","
           . "\"group_id\":\"$group\",\"start_time\":\"$Start\","
           . "\"end_time\":\"$End\",\"execution_plan\":{\"unit\":\"day\"}}";
}

# ids of a list answer, in order
sub ids { join ' ', $_[0] =~ /\{"id":"([^"]+)","name"/g }

CampaignTest::defaults();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: two flows, two groups, a ready channel
--- pipelined_requests eval
[
"POST /api/channels\n" . '{"id":"wa","name":"WA","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"2","access_token":"t"}}',
"POST /api/groups\n" . '{"id":"g1","name":"G1"}',
"POST /api/groups\n" . '{"id":"g2","name":"G2"}',
map({ ("POST /api/flows\n" . '{"id":"' . $_ . '","name":"' . $_ . '","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
       "POST /api/flows/$_/publish\n") } qw(f1 f2)),
]
--- error_code eval
[201, 201, 201, 201, 200, 201, 200]



=== TEST 2: six campaigns (creation sequences 1..6)
--- pipelined_requests eval
[main::create('a1', 'Summer Sale', 'f1', 'g1'),
 main::create('a2', 'summer VIP', 'f2', 'g1'),
 main::create('a3', 'Winter Sale', 'f1', 'g2'),
 main::create('a4', 'SUMMER clearance', 'f1', 'g2'),
 main::create('a5', 'Spring', 'f2', 'g2'),
 main::create('a6', 'Autumn summer-ish', 'f2', 'g1')]
--- error_code eval
[201, 201, 201, 201, 201, 201]



=== TEST 3: a2 and a4 run, a5 is paused, a6 completed
--- init
for (['a2', 'running'], ['a4', 'running'], ['a5', 'running'],
     ['a5', 'paused'], ['a6', 'completed']) {
    CampaignTest::storectl('set-status', @$_);
}
--- request
GET /api/campaigns
--- response_body_filters eval
\&main::ids
--- response_body: a6 a5 a4 a3 a2 a1



=== TEST 4: one status
--- request
GET /api/campaigns?status=running
--- response_body_filters eval
\&main::ids
--- response_body: a4 a2



=== TEST 5: a comma list of statuses
--- request
GET /api/campaigns?status=pending,paused
--- response_body_filters eval
\&main::ids
--- response_body: a5 a3 a1



=== TEST 6: name is a case-insensitive substring
--- request
GET /api/campaigns?name=SuMmEr
--- response_body_filters eval
\&main::ids
--- response_body: a6 a4 a2 a1



=== TEST 7: name with a space, URL-encoded
--- request
GET /api/campaigns?name=summer%20vip
--- response_body_filters eval
\&main::ids
--- response_body: a2



=== TEST 8: flow_id and group_id
--- pipelined_requests eval
["GET /api/campaigns?flow_id=f2", "GET /api/campaigns?group_id=g2",
 "GET /api/campaigns?flow_id=nope"]
--- response_body_filters eval
\&main::ids
--- response_body eval
["a6 a5 a2", "a5 a4 a3", ""]



=== TEST 9: every filter combines with AND
--- pipelined_requests eval
["GET /api/campaigns?name=summer&status=running",
 "GET /api/campaigns?name=summer&flow_id=f1&group_id=g2",
 "GET /api/campaigns?status=running,completed&group_id=g1",
 "GET /api/campaigns?name=sale&status=completed"]
--- response_body_filters eval
\&main::ids
--- response_body eval
["a4 a2", "a4", "a6 a2", ""]



=== TEST 10: the first page of two, and its cursor
--- request
GET /api/campaigns?limit=2
--- response_body_like: ^\{"items":\[\{"id":"a6".*\{"id":"a5".*\],"next_cursor":"0000000000000005"\}$



=== TEST 11: a campaign created between pages
--- request eval
main::create('a7', 'Newest', 'f1', 'g1')
--- error_code: 201



=== TEST 12: the next page neither repeats a5 nor shows a7
--- request
GET /api/campaigns?limit=2&cursor=0000000000000005
--- response_body_like: ^\{"items":\[\{"id":"a4".*\{"id":"a3".*\],"next_cursor":"0000000000000003"\}$



=== TEST 13: the last page ends with a null cursor
--- request
GET /api/campaigns?limit=2&cursor=0000000000000003
--- response_body_filters eval
\&main::ids
--- response_body: a2 a1



=== TEST 14: ...and says so
--- request
GET /api/campaigns?limit=2&cursor=0000000000000003
--- response_body_like: "next_cursor":null\}$



=== TEST 15: paging through a filter
--- pipelined_requests eval
["GET /api/campaigns?name=summer&limit=3",
 "GET /api/campaigns?name=summer&limit=3&cursor=0000000000000002"]
--- response_body_like eval
[qr/\{"id":"a6".*\{"id":"a4".*\{"id":"a2".*"next_cursor":"0000000000000002"\}$/,
 qr/^\{"items":\[\{"id":"a1"[^\]]*\],"next_cursor":null\}$/]
