# A store filled by campaignd and grown by nginx with campaignd running
# (README "campaign_store", "campaignd"): campaignd backs off instead of
# retrying four times a second, says why in the campaign's last_error, in
# GET /health and in /metrics, and once nginx comes back with a larger
# max_size it adopts the larger map and sends the rest, without a restart.
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
our $Contacts = $ENV{T065_CONTACTS} || 1200;
our $Log = store_dir() . '/campaignd.log';

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

sub http_config {
    my ($size) = @_;
    return <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE max_size=$size;
    server {
        listen 127.0.0.1:$Mock;
        access_log off;
        location /wa/ {
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
    }
_EOC_
}

sub import_ndjson {
    my ($query, $ndjson) = @_;
    my $res = HTTP::Tiny->new(timeout => 30)->request(POST =>
        "http://127.0.0.1:$Port/api/contacts/import$query", {
            headers => {'Content-Type' => 'application/x-ndjson'},
            content => $ndjson});
    return $res->{status};
}

# {} for an answer that is no JSON (a connection the server just closed)
sub health { (api(GET => '/health'))[1] || {} }

sub metric {
    my ($name) = @_;
    my $res = HTTP::Tiny->new(timeout => 5)->get("http://127.0.0.1:$Port/metrics");
    return $res->{content} =~ /^\Q$name\E (\S+)$/m ? $1 : undef;
}

sub full_lines {
    return scalar(() = CampaignTest::slurp($Log) =~ /store is (?:still )?full|MDB_MAP_FULL/g);
}

our $Small = http_config('2m');
our $Large = http_config('8m');

CampaignTest::defaults(more_headers => undef, request => 'GET /api/health',
    config => 'location /api/ { campaign_api write=on; '
              . 'client_max_body_size 16m; } '
              . 'location = /metrics { campaign_metrics; }');

run_perl_sections();

END {
    local $?;
    CampaignTest::stop_campaignd();
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: campaignd fills a 2m store with a run: it backs off, and says so in last_error, /health and /metrics
--- http_config eval: $::Small
--- run
my ($s, $d);
($s) = api(POST => '/channels', {id => 'wa', name => 'WA', type => 'whatsapp',
    min_gap_seconds => 0, rate_limit_per_second => 100000,
    whatsapp => {waba_id => '1', phone_number_id => '1',
    access_token => 'tok', api_base_url => "http://127.0.0.1:$::Mock/wa"}});
is($s, 201, 'channel');
($s) = api(POST => '/groups', {id => 'g', name => 'G'});
is($s, 201, 'group');
my $ndjson = join '', map { sprintf(qq({"phone":"+8613%09d","name":"N%d"}\n), $_, $_) }
                      1 .. $::Contacts;
is(::import_ndjson('?group_id=g', $ndjson), 200, "$::Contacts contacts in the group");
is_deeply([text_flow('f', 'wa')], [201, 200], 'a flow, published');
my $start = time + 2;
($s, $d) = api(POST => '/campaigns', {id => 'big', name => 'big',
    flow_id => 'f', group_id => 'g', start_time => ::rfc3339($start),
    end_time => ::rfc3339($start + 3600),
    execution_plan => {unit => 'day', every => 1}});
is($s, 201, 'campaign') or diag(explain($d));
ok(::health()->{store}{used_bytes} < 1536 * 1024, "the data leaves room for part of a run")
    or diag(::health()->{store}{used_bytes});

start_campaignd('--log-file', $::Log, '--max-size', '2m');

ok(wait_for(sub { (::health()->{scheduler}{last_error} // '') =~ /storage_full/ }, 20),
   '/health: the scheduler reports the full store')
    or diag(explain(::health()), CampaignTest::slurp($::Log));
($s, $d) = api(GET => '/campaigns/big');
is($d->{status}, 'running', 'the campaign is running');
like($d->{last_error} // '', qr/storage_full/, 'and its last_error says why');
($s, $d) = api(GET => '/campaigns/big/stats');
ok($d->{targeted} < $::Contacts, "part of the run started ($d->{targeted})");
is(::metric('campaign_store_full'), '1', 'the metric says so');
is(::health()->{scheduler}{alive}, JSON::PP::true, 'campaignd is still alive');

my $before = ::full_lines();
sleep 6;
my $more = ::full_lines() - $before;
ok($more <= 3, "backing off: $more lines in 6 s, not 24")
    or diag(CampaignTest::slurp($::Log));



=== TEST 2: nginx comes back with max_size=8m: campaignd adopts the larger map and finishes the run by itself
--- http_config eval: $::Large
--- run
my ($s, $d);
ok(wait_for(sub { (api(GET => '/campaigns/big/stats'))[1]{sent} == $::Contacts }, 40),
   "every contact was sent to, without a restart")
    or diag(explain((api(GET => '/campaigns/big/stats'))[1]),
            explain(::health()), CampaignTest::slurp($::Log));
# the next heartbeat says so, within a second
ok(wait_for(sub { !defined ::health()->{scheduler}{last_error} }, 3),
   '/health: no error any more');
($s, $d) = api(GET => '/campaigns/big');
is($d->{last_error}, undef, 'the campaign\'s last_error is cleared');
is($d->{status}, 'running', 'still running');
ok(wait_for(sub { (::metric('campaign_store_full') // '') eq '0' }, 3),
   'the metric is 0 again');
like(CampaignTest::slurp($::Log), qr/map grown to 8388608 bytes/,
     'campaignd logs the larger map');
is(CampaignTest::stop_campaignd(), 0, 'a clean stop');
