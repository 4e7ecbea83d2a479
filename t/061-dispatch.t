# campaignd's dispatch (README "Provider answers"): throttling delays but
# loses nothing, a refused sender stops its channel until a PATCH, refused
# recipients fail at once, suspend stops sending, kill -9 loses nothing.
# The provider is a mock WhatsApp served by the test nginx itself.

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
our $Storm = store_dir() . "-storm";
unlink $Storm;

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new->canonical;

sub mock_lines {
    open my $fh, '<', $MockLog or return ();
    return grep { /\S/ } <$fh>;
}

sub sent_to {
    my ($path) = @_;
    my %n;
    for (mock_lines()) {
        next unless m{^/wa/\Q$path\E/\d+/messages\|[^|]*\|.*"to":"(\d+)"};
        $n{$1}++;
    }
    return \%n;
}

sub contacts {
    my ($group, $from, $to) = @_;
    api(POST => '/groups', {id => $group, name => $group});
    for my $i ($from .. $to) {
        api(POST => '/contacts', {id => "p$i", phone => sprintf("+8615%09d", $i)});
    }
    api(POST => "/groups/$group/members",
        {contact_ids => [map { "p$_" } $from .. $to]});
}

sub channel_flow {
    my ($id, $pnid, %over) = @_;
    my ($s, $d) = api(POST => '/channels', {id => $id, name => $id,
        type => 'whatsapp', min_gap_seconds => 0, %over,
        whatsapp => {waba_id => '1', phone_number_id => '1',
        access_token => 'good', api_base_url => "http://127.0.0.1:$::Mock/wa/$pnid"}});
    is($s, 201, "channel $id") or diag(explain($d));
    ($s, $d) = api(POST => '/flows', {id => "f-$id", name => $id, trigger => 'manual',
        definition => {start => 's', nodes => [
            {id => 's', type => 'send_whatsapp', channel_id => $id,
             message => {type => 'text', text => 'Hi'}, next => 'e'},
            {id => 'e', type => 'end'}]}});
    is($s, 201, "flow f-$id") or diag(explain($d));
    ($s, $d) = api(POST => "/flows/f-$id/publish");
    is($s, 200, "flow f-$id published") or diag(explain($d));
}

sub campaign {
    my ($id, $channel, $group, $len) = @_;
    # whole seconds, and a loaded machine: leave room before "now"
    my $start = time + 3;
    my ($s, $d) = api(POST => '/campaigns', {id => $id, name => $id,
        flow_id => "f-$channel", group_id => $group,
        start_time => ::rfc3339($start), end_time => ::rfc3339($start + ($len || 300)),
        execution_plan => {unit => 'day', every => 1}});
    is($s, 201, "campaign $id") or diag(explain($d));
}

sub stats { (api(GET => "/campaigns/$_[0]/stats"))[1] }

our $MockHttpConfig = <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE;
    log_format mock escape=none '\$request_uri|\$http_authorization|\$request_body';
    server {
        listen 127.0.0.1:$Mock;
        access_log $MockLog mock;
        location /wa/ok/ {
            rewrite ^ /answer/ok break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /wa/storm/ {
            add_header Retry-After 1 always;
            if (-f $Storm) {
                return 429 '{"error":{"message":"throughput","type":"OAuthException","code":130429}}';
            }
            rewrite ^ /answer/ok break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /wa/perm/ {
            return 400 '{"error":{"message":"Message undeliverable","type":"OAuthException","code":131026}}';
        }
        location /wa/long/ {
            return 400 '{"error":{"message":"éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé","type":"OAuthException","code":131047}}';
        }
        location /wa/auth/ {
            if (\$http_authorization = "Bearer bad") {
                return 401 '{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}';
            }
            rewrite ^ /answer/ok break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /wa/cap/ {
            return 500 '{"error":{"message":"(#3) Application does not have the capability to make this API call (Bearer good, token good)","type":"OAuthException","code":3,"fbtrace_id":"AXyZ123"}}';
        }
        location /wa/pay/ {
            return 400 '{"error":{"message":"Business eligibility payment issue","type":"OAuthException","code":131042,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because there were one or more errors related to your payment method."},"fbtrace_id":"AQ1"}}';
        }
        location /wa/pair/ {
            return 400 '{"error":{"message":"(#131056) (Business Account, Consumer Account) pair rate limit hit","type":"OAuthException","code":131056,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."},"fbtrace_id":"AP1"}}';
        }
        location /wa/eco/ {
            return 400 '{"error":{"message":"This message was not delivered to maintain healthy ecosystem engagement.","type":"OAuthException","code":131049,"error_data":{"messaging_product":"whatsapp","details":"In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},"fbtrace_id":"AH1"}}';
        }
        location = /answer/ok {
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

=== TEST 1: a 429 storm delays the run but loses nothing
--- run
open my $fh, '>', $::Storm or die; close $fh;
channel_flow('storm', 'storm');
contacts('gs', 1, 5);
start_campaignd('--log-file', store_dir() . '/campaignd.log', '--log-level', 'debug');
campaign('cs', 'storm', 'gs');
ok(wait_for(sub { (grep { m{^/wa/storm/.*\|\|?$} || m{^/wa/storm/\d+/messages\|[^|]*\|$} } ::mock_lines()) >= 3 }, 10),
   'the provider answered 429 a few times');
unlink $::Storm;
ok(wait_for(sub { (stats('cs')->{sent} // 0) == 5 }, 20), 'then every message went');
my $d = stats('cs');
is($d->{failed}, 0, 'none failed');
is(scalar keys %{sent_to('storm')}, 5, 'five recipients reached');



=== TEST 2: permanent errors fail at once, without a retry
--- run
channel_flow('perm', 'perm');
contacts('gp', 11, 13);
campaign('cp', 'perm', 'gp');
ok(wait_for(sub { (stats('cp')->{failed} // 0) == 3 }, 10), 'three failed');
my @tries = grep { m{^/wa/perm/} } ::mock_lines();
is(scalar @tries, 3, 'one request each: no retry');
my ($s, $d) = api(GET => '/campaigns/cp/messages');
my $items = $d->{items} || $d->{data} || [];
like($items->[0]{error}, qr/131026/, 'the provider code is kept in error');



=== TEST 2b: a provider's text cut to fit the ledger stays readable UTF-8
--- run
channel_flow('long', 'long');
contacts('gl', 71, 71);
campaign('cl', 'long', 'gl');
ok(wait_for(sub { (stats('cl')->{failed} // 0) == 1 }, 10), 'it failed');
my ($s, $d) = api(GET => '/campaigns/cl/messages');
is($s, 200, 'the ledger lists it');
my $items = $d->{items} || $d->{data} || [];
my $e = $items->[0]{error} // '';   # the answer's bytes, undecoded
ok(utf8::decode($e), 'the error is valid UTF-8');
like($e, qr/^131047: \x{e9}+$/, 'the code and whole characters only');
ok(length($e) < 8 + 256, 'cut to fit');



=== TEST 3: a 401 stops the channel, its messages stay queued; a PATCH resumes it
--- run
channel_flow('auth', 'auth');
my ($s, $d) = api(PATCH => '/channels/auth', {whatsapp => {access_token => 'bad'}});
is($s, 200, 'a bad token');
contacts('ga', 21, 24);
campaign('ca', 'auth', 'ga');
ok(wait_for(sub { (api(GET => '/channels/auth'))[1]{status} eq 'error' }, 10),
   'the channel goes to status error');
($s, $d) = api(GET => '/channels/auth');
like($d->{last_error}, qr/190/, 'last_error says why');
$d = stats('ca');
is($d->{failed}, 0, 'no message failed');
is($d->{queued}, 4, 'all four stay queued');
my $ctl = $ENV{CMP_STORECTL} || 'build/cmp-storectl';
is(`$ctl '@{[store_dir()]}' queued ca`, "queued 4 named 4\n",
   'each record names its queue entry, the refused ones\' new one too');
my $bad = grep { m{^/wa/auth/} } ::mock_lines();
ok($bad <= 4, "at most the requests in flight were tried ($bad)");
($s, $d) = api(PATCH => '/channels/auth', {whatsapp => {access_token => 'good'}});
is($s, 200, 'a good token');
ok(wait_for(sub { (stats('ca')->{sent} // 0) == 4 }, 10), 'then all four are sent');
is(scalar keys %{sent_to('auth')}, 4, 'to four recipients');



=== TEST 3b: code 3 comes with HTTP 500: the sender is refused, not throttled
--- run
channel_flow('cap', 'cap');
contacts('gc3', 31, 32);
campaign('cc3', 'cap', 'gc3');
ok(wait_for(sub { (api(GET => '/channels/cap'))[1]{status} eq 'error' }, 10),
   'the channel goes to status error');
my ($s, $d) = api(GET => '/channels/cap');
like($d->{last_error}, qr/^provider refused the sender: 3: \(#3\) Application .*\[fbtrace_id AXyZ123\]$/,
     'last_error keeps the code, the text and the trace id');
like($d->{last_error}, qr/Bearer \[redacted\], token \[redacted\]/, 'the token is cut out');
unlike($d->{last_error}, qr/good/, 'no trace of the token');
ok(!$d->{ready}, 'not ready');
like($d->{not_ready_reason} // '', qr/^provider refused the sender: 3: /, 'with the reason');
$d = stats('cc3');
is($d->{failed}, 0, 'no message failed');
my $n = grep { m{^/wa/cap/} } ::mock_lines();
ok($n <= 2, "no retry as a throttle ($n)");
open my $fh, '<', store_dir() . '/campaignd.log';
my @leak = grep { /token good|Bearer good/ } <$fh>;
is(scalar @leak, 0, 'the log has no token either');



=== TEST 3c: an account-level refusal (131042, payment) stops the channel
--- run
channel_flow('pay', 'pay');
contacts('gpay', 41, 43);
campaign('cpay', 'pay', 'gpay');
ok(wait_for(sub { (api(GET => '/channels/pay'))[1]{status} eq 'error' }, 10),
   'the channel goes to status error');
my ($s, $d) = api(GET => '/channels/pay');
like($d->{last_error}, qr/^provider refused the sender: 131042: Business eligibility payment issue \(Message failed to send because there were one or more errors related to your payment method\.\) \[fbtrace_id AQ1\]$/,
     'details and trace id kept');
ok(!$d->{ready}, 'not ready');
$d = stats('cpay');
is($d->{failed}, 0, 'no message failed one by one');
($s, $d) = api(PATCH => '/channels/pay', {name => 'pay again'});
is($s, 200, 'a PATCH');
is($d->{status}, 'ok', 'resets the status');



=== TEST 3d: 131056 (pair rate) defers that message only, for minutes
--- run
channel_flow('pair', 'pair');
contacts('gpair', 51, 52);
campaign('cpair', 'pair', 'gpair');
my $t0 = time;
my $items;
ok(wait_for(sub {
    $items = (api(GET => '/campaigns/cpair/messages'))[1]{items} || [];
    2 == grep { $_->{status} eq 'deferred' } @$items }, 10), 'both deferred');
for my $m (@$items) {
    ok($m->{next_attempt_at} >= $t0 + 50 && $m->{next_attempt_at} <= $t0 + 90,
       "next attempt in about a minute ($m->{next_attempt_at} - $t0)");
    like($m->{error}, qr/^131056: .*pair rate limit hit \(Message failed/, 'the answer kept');
}
my ($s, $d) = api(GET => '/channels/pair');
is($d->{status}, 'ok', 'the channel goes on');
ok($d->{ready}, 'and is ready');
$d = stats('cpair');
is($d->{failed}, 0, 'none failed');
is(scalar(() = grep { m{^/wa/pair/} } ::mock_lines()), 2, 'one request each');



=== TEST 3e: 131049 (per-user marketing cap) defers for hours
--- run
channel_flow('eco', 'eco');
contacts('geco', 61, 61);
campaign('ceco', 'eco', 'geco', 86400);
my $t0 = time;
my $items;
ok(wait_for(sub {
    $items = (api(GET => '/campaigns/ceco/messages'))[1]{items} || [];
    1 == grep { $_->{status} eq 'deferred' } @$items }, 10), 'deferred');
ok($items->[0]{next_attempt_at} >= $t0 + 3600, 'an hour or more');
is(stats('ceco')->{failed}, 0, 'not failed at once');



=== TEST 4: suspend mid-run: no new request afterwards
--- run
channel_flow('slow', 'ok', rate_limit_per_second => 2);
contacts('gz', 31, 50);
campaign('cz', 'slow', 'gz');
ok(wait_for(sub { (stats('cz')->{sent} // 0) >= 2 }, 10), 'sending started');
my ($s, $d) = api(POST => '/campaigns/cz/suspend');
is($s, 200, 'suspended');
my $at = () = ::mock_lines();
ok(!wait_for(sub { (() = ::mock_lines()) > $at + 2 }, 3),
   'at most the requests already started went after suspend');
ok(wait_for(sub { my $x = stats('cz'); ($x->{queued} // 1) == 0 }, 5),
   'queued messages became skipped');
$d = stats('cz');
ok($d->{skipped} >= 15, "skipped counted ($d->{skipped})");
is($d->{skipped_by_reason}{suspended}, $d->{skipped}, 'every one as suspended');



=== TEST 5: a contact who opts out while its message is queued is not sent it
--- run
channel_flow('trickle', 'ok', rate_limit_per_second => 1);
contacts('go', 61, 66);
campaign('co', 'trickle', 'go');
ok(wait_for(sub { (stats('co')->{sent} // 0) >= 1 }, 10), 'sending started');
my ($s) = api(PATCH => '/contacts/p66', {opted_out => JSON::PP::true});
is($s, 200, 'the last contact opts out');
ok(wait_for(sub { my $x = stats('co'); ($x->{queued} // 1) == 0 }, 15),
   'the queue emptied');
my $d = stats('co');
is($d->{sent}, 5, 'five sent');
ok($d->{skipped} >= 1, 'one skipped');
is($d->{skipped_by_reason}{opted_out}, $d->{skipped}, 'as opted out');
ok(!grep({ /"to":"8615000000066"/ } ::mock_lines()),
   'the opted-out contact received nothing');



=== TEST 6: kill -9 mid-run, restart: everyone got the message, duplicates at most the requests in flight
--- run
channel_flow('crash', 'ok', rate_limit_per_second => 20, max_in_flight => 4);
# the "ok" mock log is shared with TEST 4; count only this group's phones
contacts('gk', 101, 160);
campaign('ck', 'crash', 'gk');
ok(wait_for(sub { (stats('ck')->{sent} // 0) >= 10 }, 10), 'sending started');
kill 'KILL', campaignd_pid();
waitpid(campaignd_pid(), 0);
start_campaignd('--log-file', store_dir() . '/campaignd.log');
ok(wait_for(sub { (stats('ck')->{sent} // 0) == 60 }, 20), 'all 60 sent after the restart');
my %n;
for (::mock_lines()) {
    $n{$1}++ if m{"to":"8615(0000001[0-6]\d)"};
}
is(scalar keys %n, 60, 'every contact reached');
my $dups = 0;
$dups += $_ - 1 for values %n;
ok($dups <= 4, "duplicates ($dups) at most the requests in flight (4)");
my $d = stats('ck');
ok(($d->{possible_duplicates} // 0) >= $dups, "possible_duplicates ($d->{possible_duplicates}) counts them");
is(stop_campaignd(), 0, 'a clean stop');
