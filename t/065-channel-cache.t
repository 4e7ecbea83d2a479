# campaignd's copy of the channels (README "campaignd", "Internals"): many
# channels are read a chunk at a time at the start, and after that only the
# channels that changed are read again; a PATCH reaches the next send, a
# deleted channel is dropped.  The provider is a mock WhatsApp served by the
# test nginx itself.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();


our $Mock = CampaignTest::mock_port();
our $MockLog = store_dir() . "-mock.log";
unlink $MockLog;
our $Log;

# more than two of campaignd's chunks (1,000 channels a read txn)
our $Many = 2500;

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

sub mock_lines { mock_log_lines($::MockLog) }

# campaignd with its own log file, so that a test reads only its own lines
sub start {
    $::Log = store_dir() . "/campaignd-$_[0].log";
    start_campaignd('--log-file', $::Log, '--log-level', 'debug');
}

sub log_lines {
    open my $fh, '<', $Log or return ();
    return <$fh>;
}

sub channel {
    my ($id, $token) = @_;
    return api(POST => '/channels', {id => $id, name => $id,
        type => 'whatsapp', min_gap_seconds => 0,
        whatsapp => {waba_id => '1', phone_number_id => '1',
        access_token => $token || 'good',
        api_base_url => "http://127.0.0.1:$::Mock/wa/$id"}});
}

# a published flow that sends on $channel, a group of one, a campaign
sub campaign_on {
    my ($channel, $n) = @_;
    text_flow("f-$channel", $channel);
    api(POST => '/contacts', {id => "k-$channel",
                              phone => sprintf("+8615%09d", $n)});
    api(POST => '/groups', {id => "g-$channel", name => $channel});
    api(POST => "/groups/g-$channel/members",
        {contact_ids => ["k-$channel"]});
    my $start = time + 3;
    my ($s, $d) = api(POST => '/campaigns', {id => "c-$channel",
        name => $channel, flow_id => "f-$channel", group_id => "g-$channel",
        start_time => ::rfc3339($start), end_time => ::rfc3339($start + 300),
        execution_plan => {unit => 'day', every => 1}});
    is($s, 201, "campaign on $channel") or diag(explain($d));
}

sub sent_on {
    my ($channel) = @_;
    return scalar grep { m{^/wa/\Q$channel\E/\d+/messages\|} } ::mock_lines();
}

our $MockHttpConfig = mock_whatsapp_config($MockLog);

CampaignTest::defaults(more_headers => undef, http_config => $MockHttpConfig,
                       request => "GET /api/health");

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: 2,500 channels are read in chunks at the start, all of them
--- run
my $bad = 0;
for my $i (1 .. $::Many) {
    my ($s) = channel(sprintf("ch%04d", $i));
    $bad++ unless $s == 201;
}
is($bad, 0, "$::Many channels created");
campaign_on('ch0001', 1);
campaign_on(sprintf("ch%04d", $::Many), 2);
start(1);
ok(wait_for(sub { grep { /channels: \Q$::Many\E read, \Q$::Many\E can send/ }
                  ::log_lines() }, 20),
   'every channel read, once, and each can send')
    or diag(join '', ::log_lines());
ok(!grep({ /channels: \d+ read/ && !/channels: \Q$::Many\E read/ }
         ::log_lines()), 'no summary of a partial walk');
ok(wait_for(sub { sent_on('ch0001') == 1 && sent_on("ch$::Many") == 1 }, 20),
   'the first created and the last created channel both sent');
ok(!grep({ /dispatch on/ } ::log_lines()),
   'the start does not log each channel');
is(stop_campaignd(), 0, 'a clean stop');



=== TEST 2: a PATCH is read again alone, and the next send uses it
--- run
start(2);
ok(wait_for(sub { grep { /channels: \d+ read/ } ::log_lines() }, 20),
   'campaignd read the channels');
my ($s) = api(PATCH => '/channels/ch2400',
              {whatsapp => {access_token => 'fresh'}});
is($s, 200, 'token changed');
ok(wait_for(sub { grep { /channels: 1 changed, read again/ } ::log_lines() },
            10), 'campaignd read that one channel again, not all of them')
    or diag(join '', grep { /channels:/ } ::log_lines());
ok(!grep({ /channels: (\d+) changed/ && $1 > 1 } ::log_lines()),
   'never more than the changed one');
# the first read in the walk (newest first), so hashed before every growth
# of campaignd's table
my $bad = 0;
for my $i (2490 .. 2499) {
    my ($s) = api(PATCH => "/channels/ch$i", {max_in_flight => 32});
    $bad++ unless $s == 200;
}
is($bad, 0, 'ten more channels changed');
ok(wait_for(sub { my $n = 0;
                  for (::log_lines()) { $n += $1 if /channels: (\d+) changed/ }
                  $n >= 11 }, 10), 'all eleven read again');
ok(!grep({ /channel ch\d+: dispatch/ } ::log_lines()),
   'each found where it was: no second copy of a channel turns "on"');
campaign_on('ch2400', 3);
ok(wait_for(sub { sent_on('ch2400') == 1 }, 20), 'its campaign sent');
ok(grep({ m{^/wa/ch2400/\d+/messages\|Bearer fresh\|} } ::mock_lines()),
   'with the new token');
ok(!grep({ m{^/wa/ch2400/\d+/messages\|Bearer good\|} } ::mock_lines()),
   'never with the old one');
is(stop_campaignd(), 0, 'a clean stop');



=== TEST 3: a deleted channel is dropped, and a new one after it still sends
--- run
start(3);
ok(wait_for(sub { grep { /channels: \d+ read/ } ::log_lines() }, 20),
   'campaignd read the channels');
my ($s) = api(DELETE => '/channels/ch0200');
is($s, 204, 'channel deleted');
ok(wait_for(sub { grep { /channel ch0200: deleted/ } ::log_lines() }, 10),
   'campaignd dropped it');
($s) = channel('late');
is($s, 201, 'a new channel');
campaign_on('late', 4);
ok(wait_for(sub { sent_on('late') == 1 }, 20), 'the new channel sent');
is(stop_campaignd(), 0, 'a clean stop');



=== TEST 4: a store of schema 1 gets every channel's webhook indexes again, a chunk at a time
--- run
CampaignTest::storectl('meta', 'schema_version', '1');
CampaignTest::storectl('meta', 'channel_index', '0');
start(4);
my $n = 0;
ok(wait_for(sub { $n = 0;
                  for (::log_lines()) {
                      $n += $1 if /channels' webhook indexes: (\d+) channel/;
                  }
                  grep { /channels' webhook indexes: .*every channel is/ }
                       ::log_lines() }, 20),
   'campaignd indexed the channels and said when it was through')
    or diag(join '', ::log_lines());
# TEST 3 deleted one and made one
is($n, $::Many, 'each channel once');
ok((grep { /channels' webhook indexes/ } ::log_lines()) >= 3,
   'in chunks of at most 1,000');
is(stop_campaignd(), 0, 'a clean stop');
start(5);
ok(wait_for(sub { grep { /channels: \d+ read/ } ::log_lines() }, 20),
   'campaignd started again on the upgraded store');
ok(!grep({ /webhook indexes/ } ::log_lines()), 'and had nothing to index');
is(stop_campaignd(), 0, 'a clean stop');
