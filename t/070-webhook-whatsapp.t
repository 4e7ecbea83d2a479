# WhatsApp webhooks (README "Webhooks"): the verification handshake,
# signatures, statuses moving the ledger and counters forward only,
# duplicates, unknown messages, replies into the inbox, opt-out and -in.
# Messages are put into the store as campaignd would by t/tools/cmp_storectl.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Digest::SHA qw(hmac_sha256_hex);
use Test::More;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Start = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 3600));
our $End   = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 86400));

# a change of the WhatsApp Cloud API's webhook envelope
sub wa {
    my ($value, $phone) = @_;
    $phone //= '1001';
    return '{"object":"whatsapp_business_account","entry":[{"id":"WABA1",'
         . '"changes":[{"field":"messages","value":{"messaging_product":'
         . '"whatsapp","metadata":{"display_phone_number":"15550001",'
         . '"phone_number_id":"' . $phone . '"},' . $value . '}}]}]}';
}

# a POST with one entry per [phone_number_id, value]
sub batch {
    return '{"object":"whatsapp_business_account","entry":['
         . join(',', map { '{"id":"WABA1","changes":[{"field":"messages",'
                . '"value":{"messaging_product":"whatsapp","metadata":'
                . '{"display_phone_number":"15550001","phone_number_id":"'
                . $_->[0] . '"},' . $_->[1] . '}}]}' } @_) . ']}';
}

sub st {
    my ($id, $status, $extra) = @_;
    return '"statuses":[{"id":"' . $id . '","status":"' . $status
         . '","timestamp":"1767225600","recipient_id":"8613800000001"'
         . ($extra // '') . '}]';
}

sub msg {
    my ($id, $text, $extra) = @_;
    return '"contacts":[{"profile":{"name":"Li"},"wa_id":"8613800000001"}],'
         . '"messages":[{"from":"8613800000001","id":"' . $id . '",'
         . '"timestamp":"1767225700","type":"text","text":{"body":"'
         . $text . '"}' . ($extra // '') . '}]';
}

sub pref {
    my ($value, $ts) = @_;
    return '"user_preferences":[{"wa_id":"8613800000001","detail":"x",'
         . '"category":"marketing_messages","value":"' . $value . '",'
         . '"timestamp":' . $ts . '}]';
}

sub sig {
    my ($body, $secret) = @_;
    return "X-Hub-Signature-256: sha256="
         . hmac_sha256_hex($body, $secret // 's3cret');
}


our %B = (
    delivered  => wa(st('wamid.A', 'delivered')),
    read       => wa(st('wamid.A', 'read')),
    late       => wa(st('wamid.A', 'delivered')),
    cread      => wa(st('wamid.C', 'read')),
    clate      => wa(st('wamid.C', 'delivered')),
    failed     => wa(st('wamid.B', 'failed', ',"errors":[{"code":131026,'
                     . '"title":"Message undeliverable","message":"Message '
                     . 'undeliverable","error_data":{"details":"not on '
                     . 'WhatsApp"}}]')),
    opaque     => wa(st('wamid.unindexed', 'delivered',
                        ',"biz_opaque_callback_data":"'
                        . unpack("H*", "camp\0\0\0\0\1li\0s\0\0\2") . '"')),
    unknown    => wa(st('wamid.NOPE', 'delivered')),
    yes        => wa(msg('wamid.IN1', 'YES', ',"context":{"from":"15550001",'
                         . '"id":"wamid.A"}')),
    # another answer to the same message: "replied" counts it once
    again      => wa(msg('wamid.IN1b', 'yes again', ',"context":{"from":'
                         . '"15550001","id":"wamid.A"}')),
    button     => wa('"messages":[{"from":"8613800000001","id":"wamid.IN2",'
                     . '"timestamp":"1767225800","type":"interactive",'
                     . '"interactive":{"type":"button_reply","button_reply":'
                     . '{"id":"b1","title":"Coupon please"}}}]'),
    stop       => wa(msg('wamid.IN3', '  Stop ')),
    resume     => wa(pref('resume', 1767226000)),
    prefstop   => wa(pref('stop', 1767226100)),
    otherphone => wa(st('wamid.A', 'read'), '2002'),
    nophone    => wa(st('wamid.A', 'read'), '9999'),
    empty      => '{"object":"whatsapp_business_account","entry":[]}',
    # a user known by a business-scoped user id only, beside a status
    bsuid      => wa(st('wamid.C', 'delivered') . ',"contacts":[{"profile":'
                     . '{"name":"Sam"},"user_id":"US.13491208655302741918"}],'
                     . '"messages":[{"user_id":"US.13491208655302741918",'
                     . '"id":"wamid.BS1","timestamp":"1767226200","type":'
                     . '"text","text":{"body":"hello"}}]'),
    twoentries => batch(['9999', st('wamid.C', 'read')],
                        ['1001', st('wamid.C', 'read')]),
    stopped    => wa(st('wamid.D', 'failed', ',"errors":[{"code":131050,'
                     . '"title":"Unable to deliver the message. This '
                     . 'recipient has chosen to stop receiving marketing '
                     . 'messages on WhatsApp from your business",'
                     . '"message":"Unable to deliver the message",'
                     . '"error_data":{"details":"stopped marketing"}}]')
                     =~ s/8613800000001/8613800000002/r),
    # the same for a message whose contact's number changed since
    moved      => wa(st('wamid.E', 'failed', ',"errors":[{"code":131050,'
                     . '"title":"Unable to deliver the message",'
                     . '"error_data":{"details":"stopped marketing"}}]')
                     =~ s/8613800000001/8613800000007/r),
    lateread   => wa(st('wamid.A', 'failed', ',"errors":[{"code":131026,'
                     . '"title":"Message undeliverable"}]')),
    noanswers  => wa('"messages":[{"from":"8613800000002","id":"wamid.R1",'
                     . '"timestamp":"1767226300","type":"reaction",'
                     . '"reaction":{"message_id":"wamid.D","emoji":"x"}},'
                     . '{"from":"8613800000002","id":"wamid.R2","timestamp":'
                     . '"1767226301","type":"image","image":{"id":"1",'
                     . '"mime_type":"image/jpeg"}},{"from":"8613800000002",'
                     . '"id":"wamid.R3","timestamp":"1767226302","type":'
                     . '"unsupported","errors":[{"code":131051}]},'
                     . '{"from":"8613800000002","id":"wamid.R4",'
                     . '"timestamp":"1767226303","type":"system","system":'
                     . '{"body":"changed","type":"user_changed_number"}},'
                     . '{"from":"8613800000002","id":"wamid.R5","timestamp":'
                     . '"1767226304","type":"image","image":{"id":"2",'
                     . '"caption":"this one please"}}]'),
    apps       => batch(['1001', st('wamid.X1', 'delivered')],
                        ['3003', st('wamid.X3', 'delivered')],
                        ['4004', st('wamid.X4', 'delivered')]),
    five       => wa(st('wamid.X5', 'delivered'), '5005'),
);

CampaignTest::defaults(more_headers => undef, config => <<'_EOC_');
    location /api/ { campaign_api write=on; }
    location = /webhooks/whatsapp { campaign_webhook whatsapp; }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: two WhatsApp channels, a contact, a campaign
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
[
"POST /api/channels\n" . '{"id":"wa","name":"WA","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"1001","access_token":"t","app_secret":"s3cret","verify_token":"vtok-1"}}',
"POST /api/channels\n" . '{"id":"wa2","name":"WA2","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"2002","access_token":"t","app_secret":"other"}}',
"POST /api/contacts\n" . '{"id":"li","phone":"+8613800000001","name":"Li"}',
"POST /api/groups\n" . '{"id":"vip","name":"VIP"}',
"POST /api/flows\n" . '{"id":"f1","name":"promo","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f1/publish\n",
"POST /api/campaigns\n" . qq'{"id":"camp","name":"promo","flow_id":"f1","group_id":"vip","start_time":"$::Start","end_time":"$::End","execution_plan":{"unit":"day"}}',
]
--- error_code eval
[201, 201, 201, 201, 201, 200, 201]



=== TEST 2: the handshake answers the challenge for a channel's token
--- init
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '0', 'sent', 'wamid.A', 'wa');
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '1', 'sent', 'wamid.B', 'wa');
--- request
GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vtok-1&hub.challenge=1158201444
--- error_code: 200
--- response_headers
Content-Type: text/plain
--- response_body chomp
1158201444



=== TEST 3: a wrong, empty or missing token is a 403
--- pipelined_requests eval
["GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vtok-2&hub.challenge=1",
 "GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=&hub.challenge=1",
 "GET /webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1",
 "GET /webhooks/whatsapp?hub.mode=unsubscribe&hub.verify_token=vtok-1&hub.challenge=1"]
--- error_code eval
[403, 403, 403, 403]
--- response_body_like eval
[qr/"code":"forbidden"/, qr/"code":"forbidden"/, qr/"code":"forbidden"/, qr/"code":"forbidden"/]



=== TEST 4: a signed delivered status moves the message and its counters
--- more_headers eval
[main::sig($::B{delivered}), "", ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{delivered}",
 "GET /api/campaigns/camp/messages",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/^\{"ok":true\}$/,
 qr/"provider_message_id":"wamid.A".*"status":"delivered"|"status":"delivered".*"provider_message_id":"wamid.A"/,
 qr/"sent":2,"delivered":1,"read":0,.*"by_run":\[\{"run":1,.*"delivered":1,.*"sent":2/]



=== TEST 5: a forged signature is a 401 and changes nothing
--- more_headers eval
[main::sig($::B{read}, 'guess'), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{read}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[401, 200]
--- response_body_like eval
[qr/^\{"error":\{"code":"invalid_signature","message":"the signature matches no channel's secret"\}\}$/,
 qr/"sent":2,"delivered":1,"read":0,/]



=== TEST 6: a missing or malformed signature header is a 401
--- more_headers eval
["", "X-Hub-Signature-256: " . substr(main::sig($::B{read}), 29),
 "X-Hub-Signature-256: sha256=zz" . substr(main::sig($::B{read}), 38),
 main::sig($::B{read} . " "),
 ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{read}",
 "POST /webhooks/whatsapp\n$::B{read}",
 "POST /webhooks/whatsapp\n$::B{read}",
 "POST /webhooks/whatsapp\n$::B{read}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[401, 401, 401, 401, 200]
--- response_body_like eval
[qr/"message":"the X-Hub-Signature-256 header is missing or malformed"/,
 qr/"message":"the X-Hub-Signature-256 header is missing or malformed"/,
 qr/"message":"the X-Hub-Signature-256 header is missing or malformed"/,
 qr/"code":"invalid_signature"/,
 qr/"delivered":1,"read":0,/]



=== TEST 7: signed with another channel's secret, or for no channel: 401
--- more_headers eval
[main::sig($::B{read}, 'other'), main::sig($::B{otherphone}), main::sig($::B{nophone}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{read}",
 "POST /webhooks/whatsapp\n$::B{otherphone}",
 "POST /webhooks/whatsapp\n$::B{nophone}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[401, 401, 401, 200]
--- response_body_like eval
[qr/invalid_signature/, qr/invalid_signature/, qr/invalid_signature/,
 qr/"delivered":1,"read":0,/]



=== TEST 8: read, then a late delivered: the message stays read
--- more_headers eval
[main::sig($::B{read}), main::sig($::B{late}), "", ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{read}",
 "POST /webhooks/whatsapp\n$::B{late}",
 "GET /api/campaigns/camp/messages",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/^\{"ok":true\}$/, qr/^\{"ok":true\}$/,
 qr/"status":"read"/,
 qr/"sent":2,"delivered":1,"read":1,/]



=== TEST 9: the same event twice counts once
--- more_headers eval
[main::sig($::B{read}), main::sig($::B{read}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{read}",
 "POST /webhooks/whatsapp\n$::B{read}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/"sent":2,"delivered":1,"read":1,"failed":0,/]



=== TEST 10: failed keeps the provider's error
--- more_headers eval
[main::sig($::B{failed}), "", ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{failed}",
 "GET /api/campaigns/camp/messages?status=failed",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/ok/,
 qr/"status":"failed".*"error":\{"code":131026,"title":"Message undeliverable","message":"Message undeliverable","details":"not on WhatsApp"\}/,
 qr/"sent":2,"delivered":1,"read":1,"failed":1,/]



=== TEST 10a: a funnel: read before delivered counts both, once
--- init
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '3', 'sent', 'wamid.C', 'wa');
--- more_headers eval
[main::sig($::B{cread}), main::sig($::B{clate}), main::sig($::B{cread}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{cread}",
 "POST /webhooks/whatsapp\n$::B{clate}",
 "POST /webhooks/whatsapp\n$::B{cread}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/ok/,
 qr/"sent":3,"delivered":2,"read":2,"failed":1,.*"by_run":\[\{"run":1,.*"delivered":2,.*"read":2,"sent":3/]



=== TEST 10b: biz_opaque_callback_data finds a message without the index
--- init
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '2', 'sent');
--- more_headers eval
[main::sig($::B{opaque}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{opaque}",
 "GET /api/campaigns/camp/messages?status=delivered"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/, qr/"status":"delivered".*"provider_message_id":"wamid.unindexed"|"provider_message_id":"wamid.unindexed".*"status":"delivered"/]



=== TEST 11: a status for an unknown message is kept and noted at info
--- more_headers eval
main::sig($::B{unknown})
--- request eval
"POST /webhooks/whatsapp\n$::B{unknown}"
--- error_code: 200
--- response_body: {"ok":true}
--- error_log eval
[qr/\[info\].*campaign webhook: 1 status event\(s\) for unknown message\(s\), first "wamid.NOPE", kept in the inbox/]



=== TEST 12: the unknown status is in the inbox once, even when repeated
--- init
my @lines = grep { /unknown_status/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::is(scalar @lines, 1, "one unknown_status event");
Test::More::like($lines[0] // '', qr/^\d+ \{"type":"unknown_status","channel_id":"wa","received_at":"[^"]+","provider_message_id":"wamid.NOPE","status":"delivered","error":null\}$/, "unknown_status event");
--- more_headers eval
main::sig($::B{unknown})
--- request eval
"POST /webhooks/whatsapp\n$::B{unknown}"
--- error_code: 200



=== TEST 13: still one unknown_status event after the repeat
--- init
my @lines = grep { /unknown_status/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::is(scalar @lines, 1, "repeat not recorded again");
--- request
GET /api/campaigns/camp/stats
--- error_code: 200



=== TEST 14: a reply to a campaign message goes to the inbox and counts
--- more_headers eval
[main::sig($::B{yes}), main::sig($::B{yes}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{yes}",
 "POST /webhooks/whatsapp\n$::B{yes}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/"replied":1,/]



=== TEST 15: the reply event names the contact, the text and the message
--- init
my @lines = grep { /"type":"reply"/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::is(scalar @lines, 1, "one reply event for a repeated reply");
Test::More::like($lines[0] // '', qr/^\d+ \{"type":"reply","channel_id":"wa","received_at":"[^"]+","from":"8613800000001","contact_id":"li","text":"YES","provider_message_id":"wamid.IN1","message_id":"63616d700000000001[0-9a-f]+","counted":true\}$/, "reply event");
--- more_headers eval
main::sig($::B{button})
--- request eval
"POST /webhooks/whatsapp\n$::B{button}"
--- error_code: 200



=== TEST 15a: a second answer to the same message counts no more
--- more_headers eval
[main::sig($::B{again}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{again}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/, qr/"replied":1,/]



=== TEST 16: an interactive button reply carries its title
--- init
my @lines = grep { /wamid.IN2/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::like($lines[0] // '', qr/"type":"reply".*"contact_id":"li","text":"Coupon please","provider_message_id":"wamid.IN2","message_id":null,"counted":false/, "button reply");
--- more_headers eval
[main::sig($::B{stop}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{stop}",
 "GET /api/contacts/li"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/, qr/"opted_out":true,"opted_out_at":"\d{4}-/]



=== TEST 17: user_preferences resume opts back in, stop out again
--- init
my @lines = grep { /"type":"opted_out"/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::like($lines[0] // '', qr/"from":"8613800000001","contact_id":"li","reason":"keyword"/, "STOP is an opt-out event");
--- more_headers eval
[main::sig($::B{resume}), "", main::sig($::B{prefstop}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{resume}",
 "GET /api/contacts/li",
 "POST /webhooks/whatsapp\n$::B{prefstop}",
 "GET /api/contacts/li"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/"opted_out":false,"opted_out_at":null/,
 qr/ok/, qr/"opted_out":true,"opted_out_at":"\d{4}-/]



=== TEST 18: only a body that is no JSON is a 400; one naming no number, 401
--- more_headers eval
[main::sig('{"entry":'), main::sig('[]'), main::sig($::B{empty}), main::sig($::B{empty}, 'bad')]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n" . '{"entry":',
 "POST /webhooks/whatsapp\n[]",
 "POST /webhooks/whatsapp\n$::B{empty}",
 "POST /webhooks/whatsapp\n$::B{empty}"]
--- error_code eval
[400, 401, 401, 401]
--- response_body_like eval
[qr/"code":"invalid_payload"/, qr/"code":"invalid_signature","message":"the payload names no known channel"/, qr/names no known channel/, qr/invalid_signature/]



=== TEST 19: only GET and POST
--- request
PUT /webhooks/whatsapp
x
--- error_code: 405
--- response_body_like: "code":"method_not_allowed"



=== TEST 20: a channel's phone_number_id can move; the old one is free
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
["PATCH /api/channels/wa2\n" . '{"whatsapp":{"phone_number_id":"3003"}}',
 "DELETE /api/channels/wa2"]
--- error_code eval
[200, 204]



=== TEST 21: a payload for the moved or deleted channel's numbers is a 401
--- more_headers eval
[main::sig($::B{otherphone}, 'other'), main::sig(main::wa(main::st('wamid.A', 'read'), '3003'), 'other')]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{otherphone}",
 "POST /webhooks/whatsapp\n" . main::wa(main::st('wamid.A', 'read'), '3003')]
--- error_code eval
[401, 401]



=== TEST 22: a contact known by its BSUID; a BSUID-only reply beside a status
--- init
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '3', 'sent', 'wamid.C', 'wa');
--- more_headers eval
["Content-Type: application/json", main::sig($::B{bsuid}), ""]
--- pipelined_requests eval
["POST /api/contacts\n" . '{"id":"sam","phone":"+8613800000003","whatsapp_user_id":"US.13491208655302741918"}',
 "POST /webhooks/whatsapp\n$::B{bsuid}",
 "GET /api/campaigns/camp/messages?status=delivered"]
--- error_code eval
[201, 200, 200]
--- response_body_like eval
[qr/"id":"sam"/, qr/^\{"ok":true\}$/, qr/"provider_message_id":"wamid.C"/]
--- no_error_log
[error]



=== TEST 23: the BSUID reply names the contact in the inbox
--- init
my @lines = grep { /wamid.BS1/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::is(scalar @lines, 1, "one reply event");
Test::More::like($lines[0] // '', qr/"type":"reply","channel_id":"wa","received_at":"[^"]+","from":null,"user_id":"US.13491208655302741918","contact_id":"sam","text":"hello"/, "BSUID reply");
--- request
GET /api/contacts/sam
--- error_code: 200



=== TEST 24: two entries, one for a number we do not know: the other applies
--- more_headers eval
main::sig($::B{twoentries})
--- request eval
"POST /webhooks/whatsapp\n$::B{twoentries}"
--- error_code: 200
--- response_body: {"ok":true}
--- error_log eval
[qr/\[info\].*campaign webhook: WhatsApp event skipped: no WhatsApp channel has phone_number_id "9999"/]
--- no_error_log
[error]



=== TEST 24b: the known number's status was applied
--- request
GET /api/campaigns/camp/messages?status=read
--- error_code: 200
--- response_body_like: "provider_message_id":"wamid.C"



=== TEST 25: a forgery naming a known and an unknown number is one 401
--- more_headers eval
main::sig($::B{twoentries}, 'guess')
--- request eval
"POST /webhooks/whatsapp\n$::B{twoentries}"
--- error_code: 401
--- response_body_like: "message":"the signature matches no channel's secret"



=== TEST 26: 131050 in a failed status opts the contact out
--- init
CampaignTest::storectl('message', 'camp', '1', 'zh', 's', '0', 'sent', 'wamid.D', 'wa');
--- more_headers eval
["Content-Type: application/json", main::sig($::B{stopped}), "", ""]
--- pipelined_requests eval
["POST /api/contacts\n" . '{"id":"zh","phone":"+8613800000002"}',
 "POST /webhooks/whatsapp\n$::B{stopped}",
 "GET /api/contacts/zh",
 "GET /api/campaigns/camp/messages?status=failed"]
--- error_code eval
[201, 200, 200, 200]
--- response_body_like eval
[qr/"opted_out":false/, qr/ok/, qr/"opted_out":true,"opted_out_at":"\d{4}-/,
 qr/"provider_message_id":"wamid.D","error":\{"code":131050,.*"details":"stopped marketing"\}/]



=== TEST 26a: 131050 opts out the message's contact, not the number's owner now
--- init
CampaignTest::storectl('message', 'camp', '1', 'moved', 's', '0', 'sent', 'wamid.E', 'wa');
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 main::sig($::B{moved}), "", ""]
--- pipelined_requests eval
["POST /api/contacts\n" . '{"id":"moved","phone":"+8613800000008"}',
 "POST /api/contacts\n" . '{"id":"heir","phone":"+8613800000007"}',
 "POST /webhooks/whatsapp\n$::B{moved}",
 "GET /api/contacts/moved",
 "GET /api/contacts/heir"]
--- error_code eval
[201, 201, 200, 200, 200]
--- response_body_like eval
[qr/"opted_out":false/, qr/"opted_out":false/, qr/ok/,
 qr/"opted_out":true,"opted_out_at":"\d{4}-/, qr/"opted_out":false/]



=== TEST 27: a late failed after read leaves read
--- more_headers eval
[main::sig($::B{lateread}), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{lateread}",
 "GET /api/campaigns/camp/messages?status=read"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/, qr/"provider_message_id":"wamid.A"/]



=== TEST 28: reactions, bare media, unsupported and system are no replies
--- init
my $in = CampaignTest::storectl('inbox');
Test::More::like($in, qr/"type":"opted_out","channel_id":"wa","received_at":"[^"]+","from":"8613800000002","contact_id":"zh","reason":"failed_status"/, "131050 told campaignd");
--- more_headers eval
main::sig($::B{noanswers})
--- request eval
"POST /webhooks/whatsapp\n$::B{noanswers}"
--- error_code: 200



=== TEST 29: they are kept as messages, a caption is a reply
--- init
my @in = split /\n/, CampaignTest::storectl('inbox');
for my $id (qw(R1 R2 R3 R4)) {
    my ($l) = grep { /wamid.$id"/ } @in;
    Test::More::like($l // '', qr/"type":"message",.*"message_type":"(reaction|image|unsupported|system)"/, "wamid.$id is a message");
}
my ($l) = grep { /wamid.R5"/ } @in;
Test::More::like($l // '', qr/"type":"reply",.*"text":"this one please"/, "a caption answers");
--- request
GET /api/contacts/zh
--- error_code: 200



=== TEST 30: the handshake finds the channel by its token after a change
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
["PATCH /api/channels/wa\n" . '{"whatsapp":{"verify_token":"vtok-new"}}',
 "GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vtok-1&hub.challenge=7",
 "GET /webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vtok-new&hub.challenge=8"]
--- error_code eval
[200, 403, 200]
--- response_body_like eval
[qr/"verify_token_set":true/, qr/forbidden/, qr/^8$/]



=== TEST 31: numbers of one Meta app share its secret; another app's are skipped
--- init
CampaignTest::api(POST => '/channels', {id => 'wa3', name => 'WA3', type => 'whatsapp', whatsapp => {waba_id => '1', phone_number_id => '3003', access_token => 't', app_secret => 's3cret'}});
CampaignTest::api(POST => '/channels', {id => 'wa4', name => 'WA4', type => 'whatsapp', whatsapp => {waba_id => '1', phone_number_id => '4004', access_token => 't', app_secret => 'other'}});
--- more_headers eval
main::sig($::B{apps})
--- request eval
"POST /webhooks/whatsapp\n$::B{apps}"
--- error_code: 200
--- error_log eval
[qr/\[info\].*event skipped: WhatsApp channel "wa4" \(phone_number_id "4004"\) has no app_secret, or another than the one that signed/]
--- no_error_log
[error]



=== TEST 32: the inbox has the events of wa and wa3, none of wa4
--- init
my $in = CampaignTest::storectl('inbox');
Test::More::like($in, qr/"type":"unknown_status","channel_id":"wa","received_at":"[^"]+","provider_message_id":"wamid.X1"/, "wa");
Test::More::like($in, qr/"type":"unknown_status","channel_id":"wa3","received_at":"[^"]+","provider_message_id":"wamid.X3"/, "wa3");
Test::More::unlike($in, qr/wamid.X4/, "not wa4");
--- request
GET /api/channels/wa4
--- error_code: 200



=== TEST 33: a secret with a quote and a backslash signs as it was given
--- init
CampaignTest::api(POST => '/channels', {id => 'wa5', name => 'WA5', type => 'whatsapp', whatsapp => {waba_id => '1', phone_number_id => '5005', access_token => 't', app_secret => 'q"uo\\te'}});
--- more_headers eval
[main::sig($::B{five}, 'q\\"uo\\\\te'), main::sig($::B{five}, 'q"uo\\te'),
 ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::B{five}",
 "POST /webhooks/whatsapp\n$::B{five}",
 "GET /api/channels/wa5"]
--- error_code eval
[401, 200, 200]
--- response_body_like eval
[qr/invalid_signature/, qr/^\{"ok":true\}$/, qr/"app_secret_set":true/]
--- no_error_log
[error]
