# Viber webhooks (README "Webhooks"): X-Viber-Content-Signature, the
# set-up ping, delivered/seen/failed on the ledger, replies, subscribe,
# unsubscribe and conversation_started; the channel named by the location
# (campaign_webhook viber channel=ID), the URL (?channel=ID) or the
# message an event is about: one lookup and one HMAC, never a scan.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Digest::SHA qw(hmac_sha256_hex);
use Test::More;
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Start = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 3600));
our $End   = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 86400));
our $User  = 'jc9HsWTZ2Yf2NkRZ8KcNug==';

sub sig {
    my ($body, $secret) = @_;
    return "X-Viber-Content-Signature: "
         . hmac_sha256_hex($body, $secret // 'vtoken');
}

sub receipt {
    my ($event, $token, $extra) = @_;
    return '{"event":"' . $event . '","timestamp":1767225600123,'
         . '"chat_hostname":"SN-376_","message_token":' . $token
         . ',"user_id":"' . $User . '"' . ($extra // '') . '}';
}


our %B = (
    ping        => '{"event":"webhook","timestamp":1767225600000,'
                 . '"chat_hostname":"SN-376_","message_token":'
                 . '5741311803571721087}',
    delivered   => receipt('delivered', '4912661846655238145'),
    seen        => receipt('seen', '4912661846655238145'),
    failed      => receipt('failed', '4912661846655238146',
                           ',"desc":"failure description"'),
    reply       => '{"event":"message","timestamp":1767225700000,'
                 . '"chat_hostname":"SN-376_","message_token":'
                 . '4912661846655238999,"sender":{"id":"' . $User . '",'
                 . '"name":"Li","language":"en","country":"CN",'
                 . '"api_version":10},"message":{"type":"text","text":'
                 . '"YES","tracking_data":"'
                 . unpack("H*", "camp\0\0\0\0\1li\0s\0\0\0") . '"},'
                 . '"silent":false}',
    unsub       => '{"event":"unsubscribed","timestamp":1767225800000,'
                 . '"chat_hostname":"SN-376_","user_id":"' . $User . '",'
                 . '"message_token":4912661846655239000}',
    sub         => '{"event":"subscribed","timestamp":1767225900000,'
                 . '"chat_hostname":"SN-376_","user":{"id":"' . $User
                 . '","name":"Li","avatar":"http://x","country":"CN",'
                 . '"language":"en","api_version":10},'
                 . '"message_token":4912661846655239001}',
    started     => '{"event":"conversation_started","timestamp":'
                 . '1767226000000,"chat_hostname":"SN-376_",'
                 . '"message_token":4912661846655239002,"type":"open",'
                 . '"context":"ctx","user":{"id":"' . $User . '",'
                 . '"name":"Li"},"subscribed":false}',
    notoken     => '{"event":"delivered","timestamp":1767225600123,'
                 . '"user_id":"' . $User . '"}',
);

CampaignTest::defaults(more_headers => undef, config => <<'_EOC_');
    location /api/ { campaign_api write=on; }
    location = /webhooks/viber { campaign_webhook viber; }
    location = /webhooks/viber-2 { campaign_webhook viber channel=vb2; }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: two Viber bots, a contact with a viber_id, a campaign
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
[
"POST /api/channels\n" . '{"id":"vb","name":"Viber","type":"viber","viber":{"sender_name":"Shop","service_account_status":"approved","auth_token":"vtoken"}}',
"POST /api/channels\n" . '{"id":"vb2","name":"Viber 2","type":"viber","viber":{"sender_name":"Shop 2","auth_token":"tok2"}}',
"POST /api/contacts\n" . qq'{"id":"li","phone":"+8613800000001","name":"Li","viber_id":"$::User"}',
"POST /api/groups\n" . '{"id":"vip","name":"VIP"}',
"POST /api/flows\n" . '{"id":"f1","name":"viber","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_viber","channel_id":"vb","category":"promotion","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f1/publish\n",
"POST /api/campaigns\n" . qq'{"id":"camp","name":"promo","flow_id":"f1","group_id":"vip","start_time":"$::Start","end_time":"$::End","execution_plan":{"unit":"day"}}',
]
--- error_code eval
[201, 201, 201, 201, 201, 200, 201]



=== TEST 2: the set-up ping, signed by the token of the bot the URL names
--- init
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '0', 'sent', '4912661846655238145', 'vb');
CampaignTest::storectl('message', 'camp', '1', 'li', 's', '1', 'sent', '4912661846655238146', 'vb');
--- more_headers eval
[main::sig($::B{ping}), main::sig($::B{ping}), main::sig($::B{ping})]
--- pipelined_requests eval
["POST /webhooks/viber?channel=vb\n$::B{ping}",
 "POST /webhooks/viber\n$::B{ping}",
 "POST /webhooks/viber?channel=vb2\n$::B{ping}"]
--- error_code eval
[200, 401, 401]
--- response_body_like eval
[qr/^\{"ok":true\}$/,
 qr/"message":"the callback names no channel: add \?channel=<id> to the webhook URL"/,
 qr/"message":"the signature matches no channel's secret"/]



=== TEST 3: no signature, a forged one, or one in WhatsApp's form: 401
--- more_headers eval
["", main::sig($::B{delivered}, 'guess'),
 "X-Viber-Content-Signature: sha256=" . substr(main::sig($::B{delivered}), 27),
 ""]
--- pipelined_requests eval
["POST /webhooks/viber\n$::B{delivered}",
 "POST /webhooks/viber\n$::B{delivered}",
 "POST /webhooks/viber\n$::B{delivered}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[401, 401, 401, 200]
--- response_body_like eval
[qr/"message":"the X-Viber-Content-Signature header is missing or malformed"/,
 qr/"code":"invalid_signature","message":"the signature matches no channel's secret"/,
 qr/"message":"the X-Viber-Content-Signature header is missing or malformed"/,
 qr/"sent":2,"delivered":0,/]



=== TEST 4: delivered, then seen, move the message by its message_token
--- more_headers eval
[main::sig($::B{delivered}), "", main::sig($::B{seen}), main::sig($::B{delivered}), "", ""]
--- pipelined_requests eval
["POST /webhooks/viber\n$::B{delivered}",
 "GET /api/campaigns/camp/stats",
 "POST /webhooks/viber\n$::B{seen}",
 "POST /webhooks/viber\n$::B{delivered}",
 "GET /api/campaigns/camp/messages",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200, 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/"sent":2,"delivered":1,"read":0,/, qr/ok/, qr/ok/,
 qr/"provider_message_id":"4912661846655238145","error":null,"attempts":1,"updated_at":"[^"]+"\}|"status":"read"/,
 qr/"sent":2,"delivered":1,"read":1,/]



=== TEST 5: failed keeps desc
--- more_headers eval
[main::sig($::B{failed}), ""]
--- pipelined_requests eval
["POST /webhooks/viber\n$::B{failed}",
 "GET /api/campaigns/camp/messages?status=failed"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/, qr/"status":"failed".*"error":\{"message":"failure description"\}/]



=== TEST 6: a receipt without message_token is skipped, not refused
--- more_headers eval
main::sig($::B{notoken})
--- request eval
"POST /webhooks/viber?channel=vb\n$::B{notoken}"
--- error_code: 200
--- error_log eval
[qr/\[info\].*campaign webhook: Viber event skipped: a "delivered" event needs a message_token/]



=== TEST 6b: only a body that is no JSON is a 400
--- more_headers eval
main::sig('{"event":')
--- request eval
"POST /webhooks/viber?channel=vb\n" . '{"event":'
--- error_code: 400
--- response_body_like: "code":"invalid_payload"



=== TEST 7: a reply finds the contact by viber_id and the message by tracking_data
--- more_headers eval
[main::sig($::B{reply}), main::sig($::B{reply}), ""]
--- pipelined_requests eval
["POST /webhooks/viber\n$::B{reply}",
 "POST /webhooks/viber\n$::B{reply}",
 "GET /api/campaigns/camp/stats"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/ok/, qr/"replied":1,/]



=== TEST 8: unsubscribed opts the contact out, subscribed back in
--- init
my @lines = grep { /"type":"reply"/ } split /\n/, CampaignTest::storectl('inbox');
Test::More::is(scalar @lines, 1, "a repeated reply is one event");
Test::More::like($lines[0] // '', qr/^\d+ \{"type":"reply","channel_id":"vb","received_at":"[^"]+","from":"\Q$::User\E","contact_id":"li","text":"YES","provider_message_id":"4912661846655238999","message_id":"63616d700000000001[0-9a-f]+","counted":true\}$/, "viber reply event");
--- more_headers eval
[main::sig($::B{unsub}), "", main::sig($::B{sub}), ""]
--- pipelined_requests eval
["POST /webhooks/viber?channel=vb\n$::B{unsub}",
 "GET /api/contacts/li",
 "POST /webhooks/viber?channel=vb\n$::B{sub}",
 "GET /api/contacts/li"]
--- error_code eval
[200, 200, 200, 200]
--- response_body_like eval
[qr/ok/, qr/"opted_out":true,"opted_out_at":"\d{4}-/,
 qr/ok/, qr/"opted_out":false,"opted_out_at":null/]



=== TEST 9: conversation_started is kept for campaignd
--- more_headers eval
main::sig($::B{started})
--- request eval
"POST /webhooks/viber?channel=vb\n$::B{started}"
--- error_code: 200



=== TEST 10: the inbox has the opt-out, opt-in and conversation events
--- init
my $in = CampaignTest::storectl('inbox');
Test::More::like($in, qr/"type":"opted_out","channel_id":"vb","received_at":"[^"]+","from":"\Q$::User\E","contact_id":"li","reason":"unsubscribed"/, "opt_out event");
Test::More::like($in, qr/"type":"opted_in","channel_id":"vb","received_at":"[^"]+","from":"\Q$::User\E","contact_id":"li","reason":"subscribed"/, "opt_in event");
Test::More::like($in, qr/"type":"conversation_started","channel_id":"vb","received_at":"[^"]+","from":"\Q$::User\E","contact_id":"li"/, "conversation_started event");
--- request
GET /api/contacts/li
--- error_code: 200



=== TEST 11: a location bound to a channel takes only that channel's token
--- more_headers eval
[main::sig($::B{ping}), main::sig($::B{ping}, 'tok2')]
--- pipelined_requests eval
["POST /webhooks/viber-2\n$::B{ping}",
 "POST /webhooks/viber-2\n$::B{ping}"]
--- error_code eval
[401, 200]



=== TEST 12: a viber_id that changes moves the index
--- more_headers
Content-Type: application/json
--- request
PATCH /api/contacts/li
{"viber_id":"other-id"}
--- error_code: 200



=== TEST 13: the old viber_id no longer names the contact
--- more_headers eval
[main::sig($::B{unsub} =~ s/1767225800000/1767225800999/r), ""]
--- pipelined_requests eval
["POST /webhooks/viber?channel=vb\n" . ($::B{unsub} =~ s/1767225800000/1767225800999/r),
 "GET /api/contacts/li"]
--- error_code eval
[200, 200]
--- response_body_like eval
[qr/ok/, qr/"viber_id":"other-id","whatsapp_user_id":null,"attributes":\{\},"opted_out":false/]
