# campaignd's scheduler (README "campaignd"): a campaign starts on
# time and sends each contact one message, nothing after its end; runs on
# the plan; a pending campaign whose end passed; one catch-up after downtime.
# The provider is a mock WhatsApp served by the test nginx itself.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use HTTP::Tiny;
use JSON::PP;
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();

# a plan's "minute" is 3 s here, so that runs come quickly
$ENV{CAMPAIGND_TEST_MINUTE} = 3;

our $Port = CampaignTest::server_port();
our $Mock = CampaignTest::mock_port();
our $MockLog = store_dir() . "-mock.log";
unlink $MockLog;

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new->canonical;

sub mock_lines { mock_log_lines($::MockLog) }

our $MockHttpConfig = mock_whatsapp_config($MockLog);

CampaignTest::defaults(more_headers => undef, http_config => $MockHttpConfig,
                       request => "GET /api/health");

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a channel to the mock, five contacts (one opted out), a flow
--- run
my ($s, $d);
($s) = api(POST => '/channels', {id => 'wa', name => 'WA', type => 'whatsapp',
    min_gap_seconds => 0, whatsapp => {waba_id => '1', phone_number_id => '1',
    access_token => 'tok-ok', api_base_url => "http://127.0.0.1:$::Mock/wa/ok"}});
is($s, 201, 'channel');
for my $i (1 .. 5) {
    ($s) = api(POST => '/contacts', {id => "c$i", phone => "+861380000000$i",
                                     name => "N$i"});
    is($s, 201, "contact c$i");
}
($s) = api(PATCH => '/contacts/c5', {opted_out => JSON::PP::true});
is($s, 200, 'c5 opts out');
($s) = api(POST => '/groups', {id => 'g', name => 'G'});
is($s, 201, 'group');
($s) = api(POST => '/groups/g/members', {contact_ids => [map { "c$_" } 1 .. 5]});
ok($s == 200 || $s == 201, "members ($s)");
is_deeply([text_flow('f', 'wa')], [201, 200], 'a flow, published');



=== TEST 2: a campaign starting in 2 s sends one message per contact, on time, and nothing after its end
--- run
my $start = time + 2;
my ($s, $d) = api(POST => '/campaigns', {id => 'once', name => 'once',
    flow_id => 'f', group_id => 'g', start_time => ::rfc3339($start),
    end_time => ::rfc3339($start + 5),
    execution_plan => {unit => 'hour', every => 1}});
is($s, 201, 'campaign created') or diag(explain($d));
start_campaignd('--log-file', store_dir() . '/campaignd.log',
                '--log-level', 'debug');
ok(wait_for(sub { ::mock_lines() >= 4 }, 8), 'four messages reached the mock');
ok(wait_for(sub { (api(GET => '/campaigns/once'))[1]{status} eq 'completed' }, 10),
   'completed at its end');
my @lines = ::mock_lines();
is(scalar @lines, 4, 'exactly four requests in all: none after the end');
my %to = map { /"to":"(\d+)"/ ? ($1 => 1) : () } @lines;
is_deeply([sort keys %to], [map { "861380000000$_" } 1 .. 4],
          'each contact once, the opted-out one never');
like($lines[0], qr{^/wa/ok/1/messages\|Bearer tok-ok\|}, 'path and token');
like($lines[0], qr/"messaging_product":"whatsapp"/, 'WhatsApp body');
like($lines[0], qr/"biz_opaque_callback_data":"[0-9a-f]+"/, 'our message id rides along');
like(join('', @lines), qr/"text":\{"body":"Hi N1"\}/, 'the template rendered');
($s, $d) = api(GET => '/campaigns/once/stats');
is($d->{targeted}, 5, 'targeted 5');
is($d->{sent}, 4, 'sent 4');
is($d->{skipped}, 1, 'skipped 1 (opted out)');
is($d->{skipped_by_reason}{opted_out}, 1, 'by reason: opted out');
is($d->{by_run}[0]{skipped_by_reason}{opted_out}, 1, 'in its run too');
like(CampaignTest::slurp(store_dir() . '/campaignd.log'),
     qr/campaign once run 1: every contact of group g started, skipped 1 \(opted_out 1, live_instance 0, no_address 0, deferred_past_end 0, suspended 0\)/,
     'the run\'s log line counts the skips by reason');
is($d->{queued}, 0, 'none queued');
is($d->{runs}, 1, 'one run');
($s, $d) = api(GET => '/campaigns/once/messages');
is(scalar @{$d->{items} || $d->{data} || []}, 4, 'four messages in the ledger')
    or diag(explain($d));



=== TEST 3: runs fire on the plan (every "minute", 3 s here) until the end
--- run
# whole seconds, and a loaded machine: leave room before "now"
my $start = time + 2;
my ($s, $d) = api(POST => '/campaigns', {id => 'plan', name => 'plan',
    flow_id => 'f', group_id => 'g', start_time => ::rfc3339($start),
    end_time => ::rfc3339($start + 7),
    execution_plan => {unit => 'minute', every => 1}});
is($s, 201, 'campaign created') or diag(explain($d));
my $before = () = ::mock_lines();
ok(wait_for(sub { (api(GET => '/campaigns/plan'))[1]{status} eq 'completed' }, 15),
   'completed');
($s, $d) = api(GET => '/campaigns/plan/stats');
is($d->{runs}, 3, 'three runs: start, +3 s, +6 s');
is($d->{sent}, 12, 'four messages a run');
is(scalar @{$d->{by_run}}, 3, 'three runs in by_run');
ok($d->{by_run}[0]{fired_at}, 'fired_at recorded');
my $after = () = ::mock_lines();
is($after - $before, 12, 'twelve requests reached the mock');



=== TEST 4: downtime: a pending campaign whose end passed completes with a reason; a running one catches up once
--- run
is(stop_campaignd(), 0, 'campaignd stops cleanly');
# whole seconds, and a loaded machine: leave room before "now"
my $now = time;
my ($s, $d) = api(POST => '/campaigns', {id => 'late', name => 'late',
    flow_id => 'f', group_id => 'g', start_time => ::rfc3339($now + 3),
    end_time => ::rfc3339($now + 4),
    execution_plan => {unit => 'hour', every => 1}});
is($s, 201, 'a campaign with a short window');
($s, $d) = api(POST => '/campaigns', {id => 'catch', name => 'catch',
    flow_id => 'f', group_id => 'g', start_time => ::rfc3339($now + 3),
    end_time => ::rfc3339($now + 60),
    execution_plan => {unit => 'minute', every => 1}});
is($s, 201, 'a campaign running every 3 s');
sleep 8;    # campaignd is down: what is being tested is the downtime
start_campaignd('--log-file', store_dir() . '/campaignd.log');
ok(wait_for(sub { (api(GET => '/campaigns/late'))[1]{status} eq 'completed' }, 5),
   'the late one is completed');
($s, $d) = api(GET => '/campaigns/late');
is($d->{runs}, 0, 'with no run');
like($d->{last_error}, qr/end_time passed before the campaign started/,
     'and says why');
ok(wait_for(sub { ((api(GET => '/campaigns/catch/stats'))[1]{sent} // 0) >= 4 }, 5),
   'the running one fired a catch-up run');
($s, $d) = api(GET => '/campaigns/catch');
is($d->{runs}, 1, 'exactly one run for the missed time, no burst');
ok($d->{missed_runs} >= 1, "the skipped fire times are counted ($d->{missed_runs})");
($s, $d) = api(POST => '/campaigns/catch/suspend');
is($s, 200, 'suspended');
