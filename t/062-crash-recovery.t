# campaignd's exactly-once promise (README "Provider answers"), exercised:
# requests held in flight by a slow mock provider, kill -9, a fast mock,
# a restart.  Every contact gets its message; only the requests that were
# in flight are sent twice, and exactly those are counted in
# possible_duplicates.  campaign_metrics shows the requests in flight.

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
our $Slow = store_dir() . "-slow";
unlink $Slow;
our $Contacts = 12;
our $InFlight = 4;

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new->canonical;

sub mock_lines {
    open my $fh, '<', $MockLog or return ();
    return grep { /\S/ } <$fh>;
}

# requests per recipient that reached the mock (a request cut off by the
# kill is logged too, when nginx sees its connection gone)
sub per_recipient {
    my %n;
    for (mock_lines()) {
        $n{$1}++ if m{^/wa/slow/\d+/messages\|.*"to":"(\d+)"};
    }
    return \%n;
}

# the mock's own count of requests it is answering right now: nginx's
# "Writing" less the stub_status request itself
sub mock_writing {
    my $res = $http->get("http://127.0.0.1:$Mock/status");
    return -1 unless $res->{success};
    return $res->{content} =~ /Writing: (\d+)/ ? $1 - 1 : -1;
}

sub metric {
    my ($name) = @_;
    my $res = $http->get("http://127.0.0.1:$Port/metrics");
    return undef unless $res->{success};
    return $res->{content} =~ /^\Q$name\E (\d+)$/m ? $1 : undef;
}

sub stats { (api(GET => "/campaigns/$_[0]/stats"))[1] }

# the ledger's messages of a campaign in one status, contact id -> record
sub ledger {
    my ($campaign, $status) = @_;
    my ($s, $d) = api(GET => "/campaigns/$campaign/messages?limit=100"
                             . ($status ? "&status=$status" : ''));
    return { map { $_->{contact_id} => $_ } @{$d->{items} || $d->{data} || []} };
}

# slow: 20 bytes a second, so an answer of ~300 bytes (headers and
# body) keeps its request in flight for ~15 s
our $MockHttpConfig = <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE;
    log_format mock escape=none '\$request_uri|\$http_authorization|\$request_body';
    server {
        listen 127.0.0.1:$Mock;
        location /wa/slow/ {
            access_log $MockLog mock;
            if (-f $Slow) {
                set \$limit_rate 20;
            }
            # through a proxy: \$request_body is read and logged
            rewrite ^ /answer/ok break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location = /answer/ok {
            access_log off;
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
        location = /status {
            access_log off;
            stub_status;
        }
    }
_EOC_

CampaignTest::defaults(more_headers => undef, http_config => $MockHttpConfig,
                       config => "location /api/ { campaign_api write=on; }\n"
                                 . "location = /metrics { campaign_metrics; }",
                       request => "GET /api/health");

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a channel to the slow mock, at most four requests in flight; a group, a flow
--- run
my ($s, $d) = api(POST => '/channels', {id => 'crash', name => 'crash',
    type => 'whatsapp', min_gap_seconds => 0, rate_limit_per_second => 50,
    max_in_flight => $::InFlight,
    whatsapp => {waba_id => '1', phone_number_id => '1',
    access_token => 'good', api_base_url => "http://127.0.0.1:$::Mock/wa/slow"}});
is($s, 201, 'channel') or diag(explain($d));
($s) = api(POST => '/groups', {id => 'gk', name => 'gk'});
is($s, 201, 'group');
for my $i (1 .. $::Contacts) {
    ($s) = api(POST => '/contacts', {id => "k$i", phone => sprintf("+8617%09d", $i)});
    is($s, 201, "contact k$i");
}
($s) = api(POST => '/groups/gk/members',
           {contact_ids => [map { "k$_" } 1 .. $::Contacts]});
ok($s == 200 || $s == 201, "members ($s)");
($s, $d) = api(POST => '/flows', {id => 'f', name => 'f', trigger => 'manual',
    definition => {start => 's', nodes => [
        {id => 's', type => 'send_whatsapp', channel_id => 'crash',
         message => {type => 'text', text => 'Hi'}, next => 'e'},
        {id => 'e', type => 'end'}]}});
is($s, 201, 'flow') or diag(explain($d));
($s, $d) = api(POST => '/flows/f/publish');
is($s, 200, 'published') or diag(explain($d));
is(::metric('campaign_dispatch_in_flight'), 0, 'nothing in flight before campaignd');



=== TEST 2: requests in flight at kill -9 are the only ones sent twice, and are counted
--- run
open my $fh, '>', $::Slow or die; close $fh;
my $start = time + 3;
my ($s, $d) = api(POST => '/campaigns', {id => 'ck', name => 'ck',
    flow_id => 'f', group_id => 'gk', start_time => ::rfc3339($start),
    end_time => ::rfc3339($start + 300),
    execution_plan => {unit => 'day', every => 1}});
is($s, 201, 'campaign') or diag(explain($d));
start_campaignd('--log-file', store_dir() . '/campaignd.log', '--log-level', 'debug');

ok(wait_for(sub { ::mock_writing() >= $::InFlight }, 15),
   "the mock holds $::InFlight requests in flight");
ok(wait_for(sub { (::metric('campaign_dispatch_in_flight') // 0) == $::InFlight }, 5),
   'campaign_dispatch_in_flight shows them');
my $sending = ::ledger('ck', 'sending');
is(scalar keys %$sending, $::InFlight, 'the ledger shows them sending');
is(scalar(() = ::mock_lines()), 0, 'no request has been answered');
is(stats('ck')->{sent} // 0, 0, 'none sent yet');

kill 'KILL', campaignd_pid();
waitpid(campaignd_pid(), 0);

# what the restart will find: campaignd is dead, the ledger stands still
$sending = ::ledger('ck', 'sending');
my $found = scalar keys %$sending;
ok($found >= 1 && $found <= $::InFlight, "$found message(s) left sending");
ok(wait_for(sub { scalar(() = ::mock_lines()) >= $::InFlight }, 10),
   'the cut-off requests are in the mock log');
unlink $::Slow;

start_campaignd('--log-file', store_dir() . '/campaignd.log', '--log-level', 'debug');
ok(wait_for(sub { (stats('ck')->{sent} // 0) == $::Contacts }, 20),
   "all $::Contacts sent after the restart");
$d = stats('ck');
is($d->{failed}, 0, 'none failed');
is($d->{queued}, 0, 'none queued');
is($d->{possible_duplicates}, $found,
   'possible_duplicates is the number found sending at the restart');

my $n = ::per_recipient();
is(scalar keys %$n, $::Contacts, 'every contact reached');
my %phone = map { ("8617" . sprintf("%09d", $_)) => "k$_" } 1 .. $::Contacts;
my ($dups, $bad) = (0, 0);
for my $to (sort keys %$n) {
    my $was = exists $sending->{$phone{$to}};
    if ($n->{$to} > 1) {
        $dups++;
        $bad++ unless $was && $n->{$to} == 2;
    } elsif ($n->{$to} != 1) {
        $bad++;
    }
}
is($bad, 0, 'one request per recipient, two only for those that were in flight');
ok($dups <= $::InFlight, "duplicates ($dups) at most the requests in flight");
is($dups, $found, 'every message found sending went out again once');
is(scalar(() = ::mock_lines()), $::Contacts + $found, 'no other request');
my $ledger = ::ledger('ck');
is(scalar(grep { $_->{status} eq 'sent' && $_->{provider_message_id} }
              values %$ledger), $::Contacts, 'each message sent with a provider id');
ok(wait_for(sub { (::metric('campaign_dispatch_in_flight') // -1) == 0 }, 5),
   'campaign_dispatch_in_flight back to 0');
is(stop_campaignd(), 0, 'a clean stop');
