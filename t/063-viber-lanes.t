# campaignd's dispatch beyond WhatsApp's happy path (README "Provider
# answers"): Viber's send_message end to end with its status-in-the-body
# answers; min_gap_seconds between two messages to one recipient; a test
# send ahead of a queued bulk run; a live change of the channel's rate.
# The providers are mocks served by the test nginx itself; every check is
# on what they received, waited for with deadlines.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use HTTP::Tiny;
use JSON::PP;
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();


our $Port = CampaignTest::server_port();
our $Mock = CampaignTest::mock_port();
our $MockLog = store_dir() . "-mock.log";
unlink $MockLog;

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new->canonical;

# uri|viber token|bearer token|body, one request a line
sub mock_lines {
    my ($prefix) = @_;
    open my $fh, '<', $MockLog or return ();
    return grep { /\S/ && (!defined $prefix || index($_, $prefix) == 0) } <$fh>;
}

sub field {
    my ($line, $n) = @_;
    chomp $line;
    return (split /\|/, $line, 4)[$n];
}

sub stats { (api(GET => "/campaigns/$_[0]/stats"))[1] }

sub ledger {
    my ($campaign) = @_;
    my ($s, $d) = api(GET => "/campaigns/$campaign/messages?limit=100");
    return { map { $_->{contact_id} => $_ } @{$d->{items} || $d->{data} || []} };
}

sub group {
    my ($id, @contacts) = @_;
    my ($s) = api(POST => '/groups', {id => $id, name => $id});
    is($s, 201, "group $id");
    for my $c (@contacts) {
        ($s, my $d) = api(POST => '/contacts', $c);
        is($s, 201, "contact $c->{id}") or diag(explain($d));
    }
    ($s) = api(POST => "/groups/$id/members",
               {contact_ids => [map { $_->{id} } @contacts]});
    ok($s == 200 || $s == 201, "members of $id ($s)");
}

sub flow {
    my ($id, @nodes) = @_;
    my @def;
    for my $i (0 .. $#nodes) {
        push @def, {%{$nodes[$i]}, id => "n$i", next => $i < $#nodes ? "n" . ($i + 1) : 'e'};
    }
    my ($s, $d) = api(POST => '/flows', {id => $id, name => $id, trigger => 'manual',
        definition => {start => 'n0', nodes => [@def, {id => 'e', type => 'end'}]}});
    is($s, 201, "flow $id") or diag(explain($d));
    ($s, $d) = api(POST => "/flows/$id/publish");
    is($s, 200, "flow $id published") or diag(explain($d));
}

sub campaign {
    my ($id, $flow, $group) = @_;
    # whole seconds, and a loaded machine: leave room before "now"
    my $start = time + 3;
    my ($s, $d) = api(POST => '/campaigns', {id => $id, name => $id,
        flow_id => $flow, group_id => $group,
        start_time => ::rfc3339($start), end_time => ::rfc3339($start + 300),
        execution_plan => {unit => 'day', every => 1}});
    is($s, 201, "campaign $id") or diag(explain($d));
}

sub wa_channel {
    my ($id, %over) = @_;
    my ($s, $d) = api(POST => '/channels', {id => $id, name => $id,
        type => 'whatsapp', min_gap_seconds => 0, %over,
        whatsapp => {waba_id => '1', phone_number_id => '1',
        access_token => 'good', api_base_url => "http://127.0.0.1:$::Mock/wa/$id"}});
    is($s, 201, "channel $id") or diag(explain($d));
}

sub vb_channel {
    my ($id, $path, $token) = @_;
    my ($s, $d) = api(POST => '/channels', {id => $id, name => $id,
        type => 'viber', min_gap_seconds => 0,
        viber => {sender_name => 'ShopCo', auth_token => $token,
                  service_account_status => 'approved',
                  api_base_url => "http://127.0.0.1:$::Mock/vb/$path"}});
    is($s, 201, "channel $id") or diag(explain($d));
}

our $MockHttpConfig = <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE;
    log_format mock escape=none '\$request_uri|\$http_x_viber_auth_token|\$http_authorization|\$request_body';
    server {
        listen 127.0.0.1:$Mock;
        access_log $MockLog mock;
        location /vb/ok/ {
            rewrite ^ /answer/vb break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /vb/refuse/ {
            rewrite ^ /answer/vb-6 break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /vb/token/ {
            set \$answer vb;
            if (\$http_x_viber_auth_token = "bad") {
                set \$answer vb-2;
            }
            rewrite ^ /answer/\$answer break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /wa/ {
            rewrite ^ /answer/wa break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location = /answer/vb {
            access_log off;
            default_type application/json;
            return 200 '{"status":0,"status_message":"ok","message_token":\${connection}000\${connection_requests},"chat_hostname":"SN-CHAT-01_"}';
        }
        location = /answer/vb-6 {
            access_log off;
            default_type application/json;
            return 200 '{"status":6,"status_message":"receiverNotSubscribed","chat_hostname":"SN-CHAT-01_"}';
        }
        location = /answer/vb-2 {
            access_log off;
            default_type application/json;
            return 200 '{"status":2,"status_message":"invalidAuthToken","chat_hostname":"SN-CHAT-01_"}';
        }
        location = /answer/wa {
            access_log off;
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
    }
_EOC_

CampaignTest::defaults(more_headers => undef, http_config => $MockHttpConfig,
                       request => "GET /api/health");

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: Viber end to end: token header, receiver, sender, tracking_data; no viber_id: skipped, nothing sent
--- run
vb_channel('vb', 'ok', 'vtok');
group('gv', (map { {id => "v$_", phone => "+8618000000$_", viber_id => "vid$_="} } 1 .. 3),
      {id => 'v4', phone => '+86180000004'});
flow('fv', {type => 'send_viber', channel_id => 'vb', category => 'promotion',
            message => {type => 'text', text => 'Hi {{contact.phone}}'}});
start_campaignd('--log-file', store_dir() . '/campaignd.log', '--log-level', 'debug');
campaign('cv', 'fv', 'gv');
ok(wait_for(sub { (stats('cv')->{sent} // 0) == 3 }, 10), 'three sent');
my $d = stats('cv');
is($d->{skipped}, 1, 'one skipped');
is($d->{skipped_by_reason}{no_address}, 1, 'for no address');
is($d->{failed}, 0, 'none failed');
my $ledger = ::ledger('cv');
is($ledger->{v4}{status}, 'skipped', 'the contact without viber_id: skipped');
is($ledger->{v4}{error}, 'no_viber_id', 'with reason no_viber_id');
my @lines = ::mock_lines('/vb/ok/');
is(scalar @lines, 3, 'three requests in all');
my %got;
for my $l (@lines) {
    is(::field($l, 0), '/vb/ok/send_message', 'send_message');
    is(::field($l, 1), 'vtok', 'X-Viber-Auth-Token');
    is(::field($l, 2), '', 'no Authorization header');
    my $b = eval { JSON::PP->new->decode(::field($l, 3)) } || {};
    $got{$b->{receiver} // ''} = $b;
}
is_deeply([sort keys %got], ['vid1=', 'vid2=', 'vid3='], 'receiver: each viber_id once');
for my $i (1 .. 3) {
    my $b = $got{"vid$i="} or next;
    is($b->{sender}{name}, 'ShopCo', "sender.name (v$i)");
    is($b->{tracking_data}, $ledger->{"v$i"}{id}, "tracking_data is our message id (v$i)");
    is($b->{type}, 'text', 'type text');
    is($b->{text}, "Hi +8618000000$i", 'the text rendered');
    like($ledger->{"v$i"}{provider_message_id}, qr/^\d+$/,
         'message_token kept as provider_message_id');
}



=== TEST 2: a Viber error status in a 200 answer fails the message, without a retry
--- run
vb_channel('vbr', 'refuse', 'vtok');
group('gr', map { {id => "r$_", phone => "+8618100000$_", viber_id => "rid$_="} } 1 .. 2);
flow('fr', {type => 'send_viber', channel_id => 'vbr', category => 'promotion',
            message => {type => 'text', text => 'Hi'}});
campaign('cr', 'fr', 'gr');
ok(wait_for(sub { (stats('cr')->{failed} // 0) == 2 }, 10), 'both failed');
my $ledger = ::ledger('cr');
like($ledger->{r1}{error}, qr/^6: receiverNotSubscribed/, 'Viber status and text kept in error');
is($ledger->{r1}{attempts}, 1, 'one attempt');
ok(!wait_for(sub { ::mock_lines('/vb/refuse/') > 2 }, 2), 'no retry reached the mock');
is(scalar(() = ::mock_lines('/vb/refuse/')), 2, 'one request each');
is((api(GET => '/channels/vbr'))[1]{status}, 'ok', 'the channel is fine');



=== TEST 3: Viber status 2 (invalid token) stops the channel, messages stay queued; a PATCH resumes it
--- run
vb_channel('vbt', 'token', 'bad');
group('gt', map { {id => "t$_", phone => "+8618200000$_", viber_id => "tid$_="} } 1 .. 4);
flow('ft', {type => 'send_viber', channel_id => 'vbt', category => 'promotion',
            message => {type => 'text', text => 'Hi'}});
campaign('ct', 'ft', 'gt');
ok(wait_for(sub { (api(GET => '/channels/vbt'))[1]{status} eq 'error' }, 10),
   'the channel goes to status error');
my ($s, $d) = api(GET => '/channels/vbt');
like($d->{last_error}, qr/2: invalidAuthToken/, 'last_error says why');
$d = stats('ct');
is($d->{failed}, 0, 'no message failed');
is($d->{queued}, 4, 'all four stay queued');
my $bad = () = ::mock_lines('/vb/token/');
ok($bad >= 1 && $bad <= 4, "at most the requests in flight were tried ($bad)");
ok(!wait_for(sub { ::mock_lines('/vb/token/') > $bad }, 2),
   'no request while the channel is stopped');
($s) = api(PATCH => '/channels/vbt', {viber => {auth_token => 'good'}});
is($s, 200, 'a good token');
ok(wait_for(sub { (stats('ct')->{sent} // 0) == 4 }, 10), 'then all four are sent');
my %to = map { (JSON::PP->new->decode(::field($_, 3))->{receiver} => 1) }
         grep { ::field($_, 1) eq 'good' } ::mock_lines('/vb/token/');
is(scalar keys %to, 4, 'to four receivers, with the new token');



=== TEST 4: min_gap_seconds: a flow's second message to a recipient waits for the gap
--- run
wa_channel('gap', min_gap_seconds => 4);
group('gg', map { {id => "g$_", phone => "+8618300000$_"} } 1 .. 3);
flow('fg', {type => 'send_whatsapp', channel_id => 'gap',
            message => {type => 'text', text => 'one'}},
           {type => 'send_whatsapp', channel_id => 'gap',
            message => {type => 'text', text => 'two'}});
campaign('cg', 'fg', 'gg');
my $one = sub { scalar grep { /"body":"one"/ } ::mock_lines('/wa/gap/') };
my $two = sub { scalar grep { /"body":"two"/ } ::mock_lines('/wa/gap/') };
ok(wait_for(sub { $one->() == 3 }, 10), 'the first messages arrived');
is($two->(), 0, 'none of the second ones with them');
ok(!wait_for(sub { $two->() > 0 }, 1), 'nor just after');
is((stats('cg')->{sent} // 0), 3, 'the first three are sent: the seconds are waiting');
ok(wait_for(sub { $two->() == 3 }, 15), 'the second messages arrive later');
my @lines = ::mock_lines('/wa/gap/');
is(scalar @lines, 6, 'six requests in all');
for my $i (1 .. 3) {
    my @seq = map { /"body":"(one|two)"/ ? $1 : () }
              grep { /"to":"8618300000$i"/ } @lines;
    is("@seq", 'one two', "recipient $i: one, then two");
}



=== TEST 5: a test send goes ahead of a queued bulk run on a rate-limited channel
--- run
wa_channel('lane', rate_limit_per_second => 1);
group('gl', map { {id => "l$_", phone => sprintf("+86184%06d", $_)} } 1 .. 15);
my ($s, $d) = api(POST => '/contacts', {id => 'vip', phone => '+86185000001'});
is($s, 201, 'a contact outside the group');
flow('fl', {type => 'send_whatsapp', channel_id => 'lane',
            message => {type => 'text', text => 'Hi'}});
campaign('cl', 'fl', 'gl');
my $bulk = sub { scalar grep { /"to":"86184/ } ::mock_lines('/wa/lane/') };
ok(wait_for(sub { $bulk->() >= 2 }, 10), 'the bulk run is under way');
($s, $d) = api(POST => '/flows/fl/trigger', {contact_id => 'vip'});
is($s, 202, 'a test send') or diag(explain($d));
my $at = $bulk->();
ok(wait_for(sub { grep { /"to":"86185000001"/ } ::mock_lines('/wa/lane/') }, 10),
   'the test send reached the mock');
my @lines = ::mock_lines('/wa/lane/');
my ($pos) = grep { $lines[$_] =~ /"to":"86185000001"/ } 0 .. $#lines;
ok($pos <= $at + 3, "it went after at most a few more bulk messages ($at then $pos)");
ok($pos < 15 - 3, 'well before the bulk run ended');
$d = stats('cl');
ok(($d->{queued} // 0) >= 5, "bulk messages were still queued ($d->{queued})");
($s) = api(POST => '/campaigns/cl/suspend');
is($s, 200, 'the bulk run suspended');



=== TEST 6: a PATCH of rate_limit_per_second takes effect mid-run
--- run
wa_channel('rate', rate_limit_per_second => 1);
group('gq', map { {id => "q$_", phone => sprintf("+86186%06d", $_)} } 1 .. 40);
flow('fq', {type => 'send_whatsapp', channel_id => 'rate',
            message => {type => 'text', text => 'Hi'}});
campaign('cq', 'fq', 'gq');
ok(wait_for(sub { (stats('cq')->{sent} // 0) >= 2 }, 10), 'sending at one a second');
my $d = stats('cq');
ok($d->{sent} <= 4, "slowly ($d->{sent} sent)");
my ($s) = api(PATCH => '/channels/rate', {rate_limit_per_second => 500});
is($s, 200, 'the rate raised to 500/s');
# at one a second the rest would take ~38 s
ok(wait_for(sub { (stats('cq')->{sent} // 0) == 40 }, 8), 'the rest go at once');
is(scalar(() = ::mock_lines('/wa/rate/')), 40, 'forty requests, one each');
($s) = api(PATCH => '/channels/rate', {rate_limit_per_second => 1});
is($s, 200, 'and back to 1/s');
group('gq2', map { {id => "w$_", phone => sprintf("+86187%06d", $_)} } 1 .. 20);
campaign('cq2', 'fq', 'gq2');
ok(wait_for(sub { (stats('cq2')->{sent} // 0) >= 1 }, 10), 'a second run starts');
ok(!wait_for(sub { (stats('cq2')->{sent} // 0) >= 8 }, 3), 'and goes slowly again');
($s) = api(POST => '/campaigns/cq2/suspend');
is($s, 200, 'suspended');
is(stop_campaignd(), 0, 'a clean stop');
