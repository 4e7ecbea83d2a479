# Conversations end to end (README "Chat flow reference" and
# "Webhooks"): campaignd runs flows against a mock provider served by the
# test nginx, contacts answer through signed webhooks of the same nginx,
# and the answers resume the waiting instances: condition, coupon, wait
# timeouts, STOP, Viber replies, test sends, delay and http_request.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use HTTP::Tiny;
use JSON::PP;
use Digest::SHA qw(hmac_sha256_hex);
use Time::HiRes qw(time sleep);
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();

# a plan's "minute" is 6 s here: the STOP test's campaign runs twice
$ENV{CAMPAIGND_TEST_MINUTE} = 6;

our $Port = CampaignTest::server_port();
our $Mock = CampaignTest::mock_port();
our $MockLog = store_dir() . "-mock.log";
unlink $MockLog;

our $Viber = 'jc9HsWTZ2Yf2NkRZ8KcNug==';

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new->canonical;

sub items { my $d = $_[0]; return $d->{items} || $d->{data} || [] }

# the mock's log: one request a line, "msec|uri|bearer|viber token|body"
sub mock {
    open my $fh, '<', $MockLog or return ();
    my @r;
    while (my $l = <$fh>) {
        chomp $l;
        next unless $l =~ /\S/;
        my ($ms, $uri, $auth, $vtok, $body) = split /\|/, $l, 5;
        push @r, {ms => $ms, uri => $uri, auth => $auth, vtok => $vtok,
                  body => $body, json => scalar(eval { $json->decode($body) })};
    }
    return @r;
}

# what the mock received for one WhatsApp number (digits) or Viber id
sub sent_to {
    my ($to) = @_;
    return grep {
        my $j = $_->{json};
        $j && (($j->{to} // '') eq $to || ($j->{receiver} // '') eq $to)
    } mock();
}

sub texts_to {
    return map {
        my $j = $_->{json};
        $j->{type} eq 'template' ? "template:$j->{template}{name}"
          : ref $j->{text} ? $j->{text}{body} : $j->{text}
    } sent_to($_[0]);
}

sub wa_post { CampaignTest::wa_webhook(@_) }

# a text reply from a phone (digits), quoting our message when $context
sub wa_reply {
    my ($from, $text, $wamid, $context) = @_;
    return wa_post('"contacts":[{"profile":{"name":"X"},"wa_id":"' . $from . '"}],'
        . '"messages":[{"from":"' . $from . '","id":"' . $wamid . '",'
        . '"timestamp":"' . int(time) . '","type":"text","text":{"body":"'
        . $text . '"}'
        . (defined $context ? ',"context":{"from":"15550001","id":"' . $context . '"}' : '')
        . '}]');
}

sub viber_post {
    my ($body) = @_;
    my $res = $http->request('POST', "http://127.0.0.1:$Port/webhooks/viber?channel=vb", {
        headers => { 'Content-Type' => 'application/json',
                     'X-Viber-Content-Signature' => hmac_sha256_hex($body, 'vtoken') },
        content => $body });
    return $res->{status};
}

sub viber_reply {
    my ($from, $text, $token) = @_;
    return viber_post('{"event":"message","timestamp":' . int(time * 1000) . ','
             . '"chat_hostname":"SN-376_","message_token":' . $token . ','
             . '"sender":{"id":"' . $from . '","name":"Li","language":"en",'
             . '"country":"CN","api_version":10},"message":{"type":"text",'
             . '"text":"' . $text . '"},"silent":false}');
}

sub viber_unsubscribe {
    my ($from, $token) = @_;
    return viber_post('{"event":"unsubscribed","timestamp":' . int(time * 1000) . ','
             . '"chat_hostname":"SN-376_","user_id":"' . $from . '",'
             . '"message_token":' . $token . '}');
}

sub flow {
    my ($id, $nodes, $start) = @_;
    my ($s, $d) = api(POST => '/flows', {id => $id, name => $id, trigger => 'manual',
        definition => {start => $start // 'hello', nodes => $nodes}});
    is($s, 201, "flow $id") or diag(explain($d));
    ($s, $d) = api(POST => "/flows/$id/publish");
    is($s, 200, "flow $id published") or diag(explain($d));
}

sub group {
    my ($id, @contacts) = @_;
    api(POST => '/groups', {id => $id, name => $id});
    my ($s, $d) = api(POST => "/groups/$id/members", {contact_ids => \@contacts});
    ok($s == 200 || $s == 201, "group $id") or diag(explain($d));
}

sub campaign {
    my ($id, $flow, $group, %over) = @_;
    my $start = time + 2;
    my $len = delete $over{len} || 600;
    my ($s, $d) = api(POST => '/campaigns', {id => $id, name => $id,
        flow_id => $flow, group_id => $group,
        start_time => rfc3339($start), end_time => rfc3339($start + $len),
        execution_plan => {unit => 'day', every => 1}, %over});
    is($s, 201, "campaign $id") or diag(explain($d));
}

sub stats { (api(GET => "/campaigns/$_[0]/stats"))[1] || {} }

# the provider id the mock gave our message to a contact, from the ledger
sub wamid_of {
    my ($campaign, $contact, $node) = @_;
    my ($s, $d) = api(GET => "/campaigns/$campaign/messages");
    for my $m (@{items($d)}) {
        return $m->{provider_message_id}
            if $m->{contact_id} eq $contact && $m->{provider_message_id}
               && $m->{node_id} eq ($node // 'hello');
    }
    return undef;
}

our $MockHttpConfig = <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE;
    log_format mock escape=none
        '\$msec|\$request_uri|\$http_authorization|\$http_x_viber_auth_token|\$request_body';
    server {
        listen 127.0.0.1:$Mock;
        access_log $MockLog mock;
        location /wa/ {
            rewrite ^ /answer/wa break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /vb/ {
            rewrite ^ /answer/vb break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location = /answer/wa {
            access_log off;
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
        location = /answer/vb {
            access_log off;
            default_type application/json;
            return 200 '{"status":0,"status_message":"ok","message_token":\$connection}';
        }
        location = /backend/coupon {
            default_type application/json;
            return 200 '{"coupon":"C-42","n":{"k":[7]}}';
        }
        location = /backend/broken {
            rewrite ^ /answer/broken break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location = /answer/broken {
            access_log off;
            default_type application/json;
            return 500 '{"error":"down"}';
        }
    }
_EOC_

our $Config = <<'_EOC_';
    location /api/ { campaign_api write=on; }
    location = /webhooks/whatsapp { campaign_webhook whatsapp; }
    location = /webhooks/viber { campaign_webhook viber; }
_EOC_

CampaignTest::defaults(more_headers => undef, http_config => $MockHttpConfig,
                       config => $Config, request => "GET /api/health");

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: channels, contacts, campaignd
--- run
my ($s, $d) = ::api(POST => '/channels', {id => 'wa', name => 'WA', type => 'whatsapp',
    min_gap_seconds => 0,
    whatsapp => {waba_id => '1', phone_number_id => '1001', access_token => 'tok',
                 app_secret => 's3cret',
                 api_base_url => "http://127.0.0.1:$::Mock/wa"}});
is($s, 201, 'WhatsApp channel') or diag(explain($d));
($s, $d) = ::api(POST => '/channels', {id => 'vb', name => 'VB', type => 'viber',
    min_gap_seconds => 0,
    viber => {sender_name => 'Shop', service_account_status => 'approved',
              auth_token => 'vtoken', api_base_url => "http://127.0.0.1:$::Mock/vb"}});
is($s, 201, 'Viber channel') or diag(explain($d));
for my $i (1 .. 13) {
    ($s, $d) = ::api(POST => '/contacts', {id => "c$i", name => "N$i",
        phone => sprintf("+86139000000%02d", $i),
        $i == 8 ? (viber_id => $::Viber) : ()});
    is($s, 201, "contact c$i") or diag(explain($d));
}
start_campaignd('--log-file', store_dir() . '/campaignd.log', '--log-level', 'debug');
ok(wait_for(sub { -s store_dir() . '/campaignd.log' }, 5), 'campaignd runs');



=== TEST 2: template -> reply YES (quoting it) -> condition -> coupon with the campaign's params
--- run
::flow('fconv', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'template', template => {name => 'promo_1111',
                 language => 'en_US', body_params => ['{{contact.name}}']}},
     next => 'ask'},
    {id => 'ask', type => 'wait_for_reply', timeout_seconds => 60,
     save_as => 'answer', replied => 'check'},
    {id => 'check', type => 'condition',
     branches => [{match => 'any', rules => [
        {variable => 'answer', op => 'string_equals', value => 'YES'},
        {variable => 'answer', op => 'string_starts_with', value => 'Y'}],
        next => 'coupon'}],
     else => 'bye'},
    {id => 'coupon', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Your code: {{vars.code}} ({{vars.answer}})'},
     next => 'bye'},
    {id => 'bye', type => 'end'}]);
::group('gconv', 'c1', 'c2', 'c3');
::campaign('cconv', 'fconv', 'gconv', params => {code => 'SAVE10'});

ok(wait_for(sub { ::sent_to('8613900000001') && ::sent_to('8613900000002')
                  && ::sent_to('8613900000003') }, 8),
   'the template reached all three');
my ($t) = ::sent_to('8613900000001');
is($t->{json}{template}{name}, 'promo_1111', 'a template');
is($t->{json}{template}{components}[0]{parameters}[0]{text}, 'N1',
   'its parameter rendered for the contact');

my $wamid;
ok(wait_for(sub { $wamid = ::wamid_of('cconv', 'c1') }, 5), "the ledger knows the wamid");
like($wamid, qr/^wamid\./, "the mock's id: $wamid");

# c1 quotes our message: the webhook counts "replied" itself
is(::wa_reply('8613900000001', 'YES', 'wamid.r1', $wamid), 200, 'signed reply accepted');
# the deadline is the promise: a reply resumes its instance promptly
ok(wait_for(sub { grep { /^Your code/ } ::texts_to('8613900000001') }, 2.5),
   'the reply resumed the instance: the coupon was sent');
is_deeply([::texts_to('8613900000001')],
          ['template:promo_1111', 'Your code: SAVE10 (YES)'],
          'template, then the coupon with vars.code from params');

# c2 answers without quoting: campaignd counts it
is(::wa_reply('8613900000002', 'Yep', 'wamid.r2'), 200, 'reply without context');
# c3 says no: the else branch ends the flow without a coupon
is(::wa_reply('8613900000003', 'No thanks', 'wamid.r3'), 200, 'reply no');
ok(wait_for(sub { grep { /^Your code/ } ::texts_to('8613900000002') }, 5),
   'starts_with Y: coupon for c2 too');
ok(wait_for(sub { (::stats('cconv')->{replied} // 0) == 3 }, 5), 'three replied');
ok(!wait_for(sub { grep { /^Your code/ } ::texts_to('8613900000003') }, 2),
   'no coupon for the one who said no');
is(scalar(::texts_to('8613900000003')), 1, 'c3 got the template only');

my $st = ::stats('cconv');
is($st->{replied}, 3, 'replied: once per contact');
is($st->{sent}, 5, 'sent: three templates and two coupons');
my ($s, $d) = ::api(GET => '/campaigns/cconv/messages');
is(scalar @{::items($d)}, 5, 'five messages in the ledger');
is(scalar(grep { $_->{node_id} eq 'coupon' } @{::items($d)}), 2, 'two of them coupons');



=== TEST 3: replied counts a message answered once: duplicates and later replies do not count again
--- run
my $wamid = ::wamid_of('cconv', 'c1');
is(::wa_reply('8613900000001', 'YES', 'wamid.r1', $wamid), 200, 'the same reply delivered twice');
is(::wa_reply('8613900000001', 'YES again', 'wamid.r1b', $wamid), 200, 'another reply quoting the same message');
is(::wa_reply('8613900000002', 'Yep!', 'wamid.r2b'), 200, 'another reply from c2, no context, no instance waiting');
# campaignd counted c2's first reply (no context) on its template: quoting
# that template now is no second answer to it
is(::wa_reply('8613900000002', 'Yep!!', 'wamid.r2c', ::wamid_of('cconv', 'c2')), 200,
   'c2 quotes the template it answered already');
sleep 2.5;      # campaignd's inbox runs every second: let two ticks pass
my $st = ::stats('cconv');
is($st->{replied}, 3, 'still three') or diag(explain($st));
is(scalar(grep { /^Your code/ } ::texts_to('8613900000001')), 1, 'no second coupon for c1');
is(scalar(grep { /^Your code/ } ::texts_to('8613900000002')), 1, 'no second coupon for c2');



=== TEST 4: a wait that times out takes its timeout branch; without one, replied with an empty value
--- run
::flow('fnudge', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Hi {{contact.name}}'}, next => 'ask'},
    {id => 'ask', type => 'wait_for_reply', timeout_seconds => 2,
     save_as => 'answer', replied => 'thanks', timeout => 'nudge'},
    {id => 'thanks', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Thanks'}, next => 'bye'},
    {id => 'nudge', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Still there?'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
::flow('fblank', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Hello {{contact.name}}'}, next => 'ask'},
    {id => 'ask', type => 'wait_for_reply', timeout_seconds => 2,
     save_as => 'answer', replied => 'check'},
    {id => 'check', type => 'condition',
     branches => [{match => 'all', rules => [
        {variable => 'answer', op => 'string_is_blank'}], next => 'blank'}],
     else => 'bye'},
    {id => 'blank', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'You said [{{vars.answer}}]'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
::group('gnudge', 'c4');
::group('gblank', 'c5');
::campaign('cnudge', 'fnudge', 'gnudge');
::campaign('cblank', 'fblank', 'gblank');
ok(wait_for(sub { ::texts_to('8613900000004') && ::texts_to('8613900000005') }, 8),
   'the first messages went');
my ($first) = ::sent_to('8613900000004');
ok(wait_for(sub { grep { $_ eq 'Still there?' } ::texts_to('8613900000004') }, 6),
   'the timeout branch sent the nudge');
my ($nudge) = grep { $_->{body} =~ /Still there/ } ::sent_to('8613900000004');
my $gap = $nudge->{ms} - $first->{ms};
# the mock's own clock: the nudge never comes before the wait is over
ok($gap >= 1.9, sprintf('not before the timeout (%.2f s)', $gap));
ok(!grep({ $_ eq 'Thanks' } ::texts_to('8613900000004')), 'not the replied branch');
ok(wait_for(sub { grep { $_ eq 'You said []' } ::texts_to('8613900000005') }, 6),
   'no timeout branch: replied with an empty answer');
ok(wait_for(sub { (::stats('cblank')->{sent} // 0) == 2 }, 3), 'two sent');
is(::stats('cnudge')->{replied} // 0, 0, 'a timeout is no reply');
is(::stats('cblank')->{replied} // 0, 0, 'an empty timeout is no reply either');



=== TEST 5: STOP opts the contact out, the next run skips it and nothing more reaches it
--- run
::flow('fstop', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Deal?'}, next => 'ask'},
    {id => 'ask', type => 'wait_for_reply', timeout_seconds => 4,
     save_as => 'answer', replied => 'thanks'},
    {id => 'thanks', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Thanks!'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
::group('gstop', 'c6', 'c7');
# "minute" is 6 s: runs at start and start + 6 s, the end at + 8 s stops
# run 2's wait (4 s) before it times out
my $start = time + 2;
my ($s, $d) = ::api(POST => '/campaigns', {id => 'cstop', name => 'cstop',
    flow_id => 'fstop', group_id => 'gstop',
    start_time => ::rfc3339($start), end_time => ::rfc3339($start + 8),
    execution_plan => {unit => 'minute', every => 1}});
is($s, 201, 'campaign on a one-"minute" plan') or diag(explain($d));
ok(wait_for(sub { ::texts_to('8613900000006') }, 8), 'c6 got the first run\'s message');
is(::wa_reply('8613900000006', 'STOP', 'wamid.stop6'), 200, 'c6 answers STOP');
ok(wait_for(sub { (::api(GET => '/contacts/c6'))[1]{opted_out} }, 3), 'c6 is opted out');
ok(wait_for(sub { (::api(GET => '/campaigns/cstop'))[1]{status} eq 'completed' }, 20),
   'the campaign ran to its end');
($s, $d) = ::api(GET => '/campaigns/cstop/stats');
is($d->{runs}, 2, 'two runs');
is_deeply([::texts_to('8613900000006')], ['Deal?'],
          'c6: the first message only, no "Thanks!" after STOP, nothing in run 2');
is(scalar(grep { $_ eq 'Deal?' } ::texts_to('8613900000007')), 2,
   'c7 was messaged in both runs');
ok(($d->{skipped} // 0) >= 1, "skipped counted ($d->{skipped})");
is($d->{by_run}[1]{skipped}, 1, 'the second run skipped c6') or diag(explain($d));
is($d->{replied}, 1, 'STOP counted as a reply');



=== TEST 6: a Viber reply resumes a waiting Viber flow
--- run
::flow('fviber', [
    {id => 'hello', type => 'send_viber', channel_id => 'vb', category => 'promotion',
     message => {type => 'text', text => 'Coupon, {{contact.name}}?'}, next => 'ask'},
    {id => 'ask', type => 'wait_for_reply', timeout_seconds => 60,
     save_as => 'answer', replied => 'check'},
    {id => 'check', type => 'condition',
     branches => [{match => 'all', rules => [
        {variable => 'answer', op => 'string_starts_with', value => 'y',
         ignore_case => JSON::PP::true}], next => 'coupon'}],
     else => 'bye'},
    {id => 'coupon', type => 'send_viber', channel_id => 'vb', category => 'promotion',
     message => {type => 'text', text => 'Code {{vars.code}}'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
::group('gviber', 'c8');
::campaign('cviber', 'fviber', 'gviber', params => {code => 'VB-1'});
ok(wait_for(sub { ::sent_to($::Viber) }, 8), 'the Viber message went');
my ($m) = ::sent_to($::Viber);
like($m->{uri}, qr{^/vb/send_message}, 'to send_message');
is($m->{vtok}, 'vtoken', 'with X-Viber-Auth-Token');
is($m->{json}{text}, 'Coupon, N8?', 'rendered');
ok(wait_for(sub { (::stats('cviber')->{sent} // 0) == 1 }, 3), 'sent recorded');
is(::viber_reply($::Viber, 'yes please', 77001), 200, 'signed Viber reply accepted');
ok(wait_for(sub { grep { $_ eq 'Code VB-1' } ::texts_to($::Viber) }, 2.5),
   'the Viber flow went on to the coupon, promptly');
ok(wait_for(sub { (::stats('cviber')->{replied} // 0) == 1 }, 3), 'replied 1');
is(scalar(::sent_to('8613900000008')), 0, 'nothing went by WhatsApp');

# a test send of the same flow waits; Viber's unsubscribed cancels it
my ($s, $d) = ::api(POST => '/flows/fviber/trigger', {contact_id => 'c8'});
is($s, 202, 'a test send to c8') or diag(explain($d));
my $iid = $d->{instance_id};
ok(wait_for(sub { ((::api(GET => "/flows/fviber/instances/$iid"))[1]{status} // '') eq 'waiting' }, 6),
   'waiting for the answer');
is(::viber_unsubscribe($::Viber, 77002), 200, 'unsubscribed');
ok(wait_for(sub { ((::api(GET => "/flows/fviber/instances/$iid"))[1]{status} // '') eq 'cancelled' }, 3),
   'the waiting instance is cancelled');
ok((::api(GET => '/contacts/c8'))[1]{opted_out}, 'c8 opted out');
is(::viber_reply($::Viber, 'yes', 77003), 200, 'a late yes');
sleep 1.5;
is(scalar(grep { /^Code/ } ::texts_to($::Viber)), 1, 'no coupon after the unsubscribe');



=== TEST 7: a test send: trigger, delay, http_request saving a coupon, the instance completes
--- run
::flow('ftest', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Test {{vars.tag}}'}, next => 'pause'},
    {id => 'pause', type => 'delay', seconds => 2, next => 'fetch'},
    {id => 'fetch', type => 'http_request', method => 'GET',
     url => "http://127.0.0.1:$::Mock/backend/coupon?c={{contact.name}}",
     save => {code => 'coupon', deep => 'n.k.0'}, next => 'coupon', failure => 'sorry'},
    {id => 'coupon', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Coupon {{vars.code}} {{vars.deep}}'}, next => 'bye'},
    {id => 'sorry', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Sorry'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
my ($s, $d) = ::api(POST => '/flows/ftest/trigger', {contact_id => 'c9',
    variables => {tag => 'T1'}});
is($s, 202, 'trigger accepted') or diag(explain($d));
is($d->{status}, 'queued', 'queued');
my $iid = $d->{instance_id};
my %seen;
ok(wait_for(sub {
    my $st = (::api(GET => "/flows/ftest/instances/$iid"))[1]{status} // '';
    $seen{$st} = 1;
    $st eq 'completed' }, 12), 'the instance completed');
ok($seen{waiting}, 'it was seen waiting (the delay)');
is_deeply([::texts_to('8613900000009')], ['Test T1', 'Coupon C-42 7'],
          'two messages: the vars of the trigger, then the backend\'s coupon');
my @m = ::sent_to('8613900000009');
ok($m[1]{ms} - $m[0]{ms} >= 1.9, sprintf('the delay held (%.2f s)', $m[1]{ms} - $m[0]{ms}));
ok(grep({ $_->{uri} eq '/backend/coupon?c=N9' } ::mock()), 'the backend was called, url rendered');
($s, $d) = ::api(GET => "/flows/ftest/instances/$iid");
is($s, 200, 'GET instance');
is(scalar @{$d->{messages}}, 2, 'two messages in the instance');
is_deeply([map { $_->{node_id} } @{$d->{messages}}], ['hello', 'coupon'], 'from hello and coupon');
is_deeply([map { $_->{status} } @{$d->{messages}}], ['sent', 'sent'], 'both sent');
is($d->{variables}{code}, 'C-42', 'the saved variable');
is($d->{variables}{tag}, 'T1', 'the trigger\'s variable');
is($d->{flow_id}, 'ftest', 'its flow');



=== TEST 8: http_request answered 500 goes to failure; without a failure branch the instance fails
--- run
::flow('fbroken', [
    {id => 'fetch', type => 'http_request', method => 'POST',
     url => "http://127.0.0.1:$::Mock/backend/broken", body => '{"c":"{{contact.name}}"}',
     headers => {'Content-Type' => 'application/json'},
     save => {code => 'coupon'}, next => 'coupon', failure => 'sorry'},
    {id => 'coupon', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Coupon {{vars.code}}'}, next => 'bye'},
    {id => 'sorry', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Sorry, no coupon'}, next => 'bye'},
    {id => 'bye', type => 'end'}], 'fetch');
::flow('fbroken2', [
    {id => 'fetch', type => 'http_request', method => 'GET',
     url => "http://127.0.0.1:$::Mock/backend/broken",
     save => {code => 'coupon'}, next => 'coupon'},
    {id => 'coupon', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Coupon {{vars.code}}'}, next => 'bye'},
    {id => 'bye', type => 'end'}], 'fetch');
my ($s, $d) = ::api(POST => '/flows/fbroken/trigger', {contact_id => 'c10'});
is($s, 202, 'trigger with a failure branch') or diag(explain($d));
my $a = $d->{instance_id};
($s, $d) = ::api(POST => '/flows/fbroken2/trigger', {contact_id => 'c11'});
is($s, 202, 'trigger without one') or diag(explain($d));
my $b = $d->{instance_id};
ok(wait_for(sub { ((::api(GET => "/flows/fbroken/instances/$a"))[1]{status} // '') eq 'completed' }, 8),
   'with a failure branch: completed');
is_deeply([::texts_to('8613900000010')], ['Sorry, no coupon'], 'through the failure branch');
my ($posted) = grep { $_->{uri} eq '/backend/broken' && $_->{body} =~ /"c":"N10"/ } ::mock();
ok($posted, 'POSTed with the rendered body');
ok(wait_for(sub { ((::api(GET => "/flows/fbroken2/instances/$b"))[1]{status} // '') eq 'failed' }, 8),
   'without one: failed');
($s, $d) = ::api(GET => "/flows/fbroken2/instances/$b");
like($d->{error}, qr/http_request/, 'the error says why');
is(scalar(::sent_to('8613900000011')), 0, 'and nothing was sent');



=== TEST 8b: an http_request URL that renders to another scheme is never fetched
The URL is a template: a variable may turn it into file:// (a local file)
or gopher:// (a request to any port); only HTTP and HTTPS are fetched.
--- run
::flow('fscheme', [
    {id => 'fetch', type => 'http_request', method => 'GET', url => '{{vars.url}}',
     save => {code => 'root'}, next => 'leak', failure => 'sorry'},
    {id => 'leak', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Leak {{vars.code}}'}, next => 'bye'},
    {id => 'sorry', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Refused'}, next => 'bye'},
    {id => 'bye', type => 'end'}], 'fetch');
# gopher:// writes any bytes to any port: here an HTTP request to the mock
my ($s, $d) = ::api(POST => '/flows/fscheme/trigger', {contact_id => 'c13',
    variables => {url => "gopher://127.0.0.1:$::Mock/_GET%20/backend/smuggled%20HTTP/1.0%0D%0A%0D%0A"}});
is($s, 202, 'trigger with a gopher:// URL') or diag(explain($d));
my $iid = $d->{instance_id};
ok(wait_for(sub { ((::api(GET => "/flows/fscheme/instances/$iid"))[1]{status} // '') eq 'completed' }, 8),
   'the instance completed');
is_deeply([::texts_to('8613900000013')], ['Refused'], 'through the failure branch');
ok(!grep({ $_->{uri} =~ m{/backend/smuggled} } ::mock()), 'and nothing reached the port');
($s, $d) = ::api(POST => '/flows/fscheme/trigger', {contact_id => 'c13',
    variables => {url => 'file:///etc/passwd'}});
$iid = $d->{instance_id};
ok(wait_for(sub { ((::api(GET => "/flows/fscheme/instances/$iid"))[1]{status} // '') eq 'completed' }, 8),
   'a file:// URL: completed');
($s, $d) = ::api(GET => "/flows/fscheme/instances/$iid");
ok(!defined $d->{variables}{code}, 'through the failure branch, no variable from the file');



=== TEST 9: a test send waits for a reply too, and the reply resumes it
--- run
::flow('fask', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Color?'}, next => 'ask'},
    {id => 'ask', type => 'wait_for_reply', timeout_seconds => 60,
     save_as => 'color', replied => 'echo'},
    {id => 'echo', type => 'set_variable', name => 'said', value => 'you said {{vars.color}}',
     next => 'tell'},
    {id => 'tell', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => '{{vars.said}}'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
my ($s, $d) = ::api(POST => '/flows/fask/trigger', {contact_id => 'c12'});
is($s, 202, 'triggered');
my $iid = $d->{instance_id};
ok(wait_for(sub { ((::api(GET => "/flows/fask/instances/$iid"))[1]{status} // '') eq 'waiting' }, 6),
   'waiting for the reply');
is(::wa_reply('8613900000012', 'blue', 'wamid.r12'), 200, 'reply');
ok(wait_for(sub { ((::api(GET => "/flows/fask/instances/$iid"))[1]{status} // '') eq 'completed' }, 4),
   'completed');
is_deeply([::texts_to('8613900000012')], ['Color?', 'you said blue'], 'the reply went into the flow');
($s, $d) = ::api(GET => "/flows/fask/instances/$iid");
is($d->{variables}{color}, 'blue', 'save_as');
is($d->{variables}{incoming_message}, 'blue', 'incoming_message');



=== TEST 10: forward_to_flow goes on in another flow with the same variables
--- run
::flow('fnext', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'Second flow: {{vars.x}}'}, next => 'bye'},
    {id => 'bye', type => 'end'}]);
::flow('ffirst', [
    {id => 'hello', type => 'send_whatsapp', channel_id => 'wa',
     message => {type => 'text', text => 'First flow'}, next => 'set'},
    {id => 'set', type => 'set_variable', name => 'x', value => 'from {{contact.name}}',
     next => 'fwd'},
    {id => 'fwd', type => 'forward_to_flow', flow_id => 'fnext'}]);
my ($s, $d) = ::api(POST => '/flows/ffirst/trigger', {contact_id => 'c3'});
is($s, 202, 'triggered') or diag(explain($d));
my $iid = $d->{instance_id};
ok(wait_for(sub { ((::api(GET => "/flows/ffirst/instances/$iid"))[1]{status} // '') eq 'completed' }, 6),
   'completed, still found under the flow it started in');
my @t = ::texts_to('8613900000003');
is_deeply([@t[-2, -1]], ['First flow', 'Second flow: from N3'], 'both flows sent, the variable kept');
($s, $d) = ::api(GET => "/flows/ffirst/instances/$iid");
is(scalar @{$d->{messages}}, 2, 'both messages in the instance');
is(stop_campaignd(), 0, 'a clean stop');
