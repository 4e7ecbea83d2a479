# Deleted ids (README "The API", "Internals"): an id is never reused, so a
# create with a deleted resource's id is 409; what the resource owned is
# purged by campaignd in chunks, and until then nothing of it is visible:
# not to the API, not to webhooks (acknowledged, counted nowhere), not to
# the sends.  The provider is a mock WhatsApp served by the test nginx.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();


our $Mock = CampaignTest::mock_port();
our $Log = store_dir() . '/campaignd.log';
our $MockLog = store_dir() . '-mock.log';
unlink $MockLog;

# requests of channel "hold" the mock provider got with this Authorization
sub mock_requests {
    my ($auth) = @_;
    return scalar grep { m{^/wa/auth/.*\|\Q$auth\E$} }
        split /\n/, CampaignTest::slurp($MockLog);
}

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

sub late_read {
    my ($wamid, $opaque) = @_;
    return CampaignTest::wa_webhook('"statuses":[{"id":"' . $wamid . '",'
        . '"status":"read",'
        . '"timestamp":"1767225600","recipient_id":"8615000000001",'
        . '"biz_opaque_callback_data":"' . $opaque . '"}]');
}

sub reply {
    my ($wamid) = @_;
    return CampaignTest::wa_webhook('"contacts":[{"profile":{"name":"P"},"wa_id":'
        . '"8615000000001"}],"messages":[{"from":"8615000000001","id":'
        . '"wamid.in' . time . rand() . '","timestamp":"1767225700","type":'
        . '"text","text":{"body":"YES"},"context":{"id":"' . $wamid . '"}}]');
}

# what of a deleted id is still in the store: "total N" of cmp-storectl
sub left {
    my ($id) = @_;
    my $ctl = $ENV{CMP_STORECTL} || 'build/cmp-storectl';
    my $out = `$ctl '@{[store_dir()]}' left '$id'`;
    return $out =~ /^total (\d+)$/m ? $1 : -1;
}

sub stats { (api(GET => "/campaigns/$_[0]/stats"))[1] }

sub campaign {
    my ($id, $start) = @_;
    return api(POST => '/campaigns', {id => $id, name => $id, flow_id => 'f1',
        group_id => 'g1', start_time => rfc3339($start),
        end_time => rfc3339($start + 3600),
        execution_plan => {unit => 'day', every => 1}});
}

our $MockHttpConfig = <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE;
    log_format mock escape=none '\$request_uri|\$http_authorization';
    server {
        listen 127.0.0.1:$Mock;
        access_log $MockLog mock;
        location /wa/auth/ {
            if (\$http_authorization = "Bearer bad") {
                return 401 '{"error":{"message":"Invalid OAuth access token","type":"OAuthException","code":190}}';
            }
            rewrite ^ /answer break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location /wa/ {
            rewrite ^ /answer break;
            proxy_pass http://127.0.0.1:$Mock;
        }
        location = /answer {
            access_log off;
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
    }
_EOC_

CampaignTest::defaults(more_headers => undef, http_config => $MockHttpConfig,
                       config => <<'_EOC_', request => "GET /api/health");
    location /api/ { campaign_api write=on; }
    location = /webhooks/whatsapp { campaign_webhook whatsapp; }
_EOC_

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a channel, a group of three and a flow that sends, then waits for a reply
--- run
my ($s, $d) = api(POST => '/channels', {id => 'wa', name => 'wa',
    type => 'whatsapp', min_gap_seconds => 0, whatsapp => {waba_id => '1',
    phone_number_id => '1001', access_token => 'good', app_secret => 's3cret',
    api_base_url => "http://127.0.0.1:$::Mock/wa"}});
is($s, 201, 'channel') or diag(explain($d));
api(POST => '/groups', {id => 'g1', name => 'g1'});
for my $i (1 .. 3) {
    api(POST => '/contacts', {id => "p$i", phone => "+861500000000$i"});
}
($s, $d) = api(POST => '/groups/g1/members', {contact_ids => [qw(p1 p2 p3)]});
is($d->{contact_count}, 3, 'three members');
($s, $d) = api(POST => '/flows', {id => 'f1', name => 'f1', trigger => 'manual',
    definition => {start => 's', nodes => [
        {id => 's', type => 'send_whatsapp', channel_id => 'wa',
         message => {type => 'text', text => 'Hi'}, next => 'w'},
        {id => 'w', type => 'wait_for_reply', timeout_seconds => 3600,
         replied => 'e', timeout => 'e'},
        {id => 'e', type => 'end'}]}});
is($s, 201, 'flow') or diag(explain($d));
($s, $d) = api(POST => '/flows/f1/publish');
is($s, 200, 'published') or diag(explain($d));



=== TEST 2: a campaign that ran, deleted: its id is refused, its webhooks change nothing, then its data is purged
--- run
my ($s, $d) = campaign('old', time + 3);
is($s, 201, 'campaign old') or diag(explain($d));
start_campaignd('--log-file', $::Log, '--log-level', 'debug');
ok(wait_for(sub { (stats('old')->{sent} // 0) == 3 }, 20), 'three sent');
# stopped: nothing cancels the instances waiting for replies, so the
# delete leaves instances, their timers and "#wait" entries behind
is(stop_campaignd(), 0, 'campaignd stopped');

($s, $d) = api(GET => '/campaigns/old/messages');
my @old = map { [$_->{provider_message_id}, $_->{id}] } @{$d->{items}};
is(scalar @old, 3, 'three messages, with their provider ids');

is((api(POST => '/campaigns/old/suspend'))[0], 200, 'suspended');
is((api(DELETE => '/campaigns/old'))[0], 204, 'deleted');
my $left = left('old');
ok($left > 3 * 3, "its data is still in the store ($left keys)");

is((api(GET => "/campaigns/old$_"))[0], 404, "GET /campaigns/old$_ is 404")
    for ('', '/stats', '/messages');

($s, $d) = campaign('old', time + 3600);
is($s, 409, 'its id is refused');
is($d->{error}{code}, 'conflict', 'as a conflict');
is($d->{error}{field}, 'id', 'of the id');
like($d->{error}{message}, qr/^id "old" belonged to a deleted campaign; ids are never reused$/,
     'saying the id belonged to a deleted campaign');

($s, $d) = campaign('new', time + 3);
is($s, 201, 'the campaign again, under a new id');

# the old campaign's late webhooks: acknowledged, and nowhere counted
is(late_read($_->[0], $_->[1]), 200, 'a late read of an old message: 200')
    for @old;
is(reply($old[0][0]), 200, 'a reply to an old message: 200');
is(left('old'), $left, 'nothing of the old campaign changed');

start_campaignd('--log-file', $::Log, '--log-level', 'debug');
ok(wait_for(sub { left('old') == 0 }, 20), 'campaignd purges all of it');
ok(wait_for(sub { (stats('new')->{sent} // 0) == 3 }, 20),
   'the new campaign sends to the same three');
is(late_read($_->[0], $_->[1]), 200, 'an old message\'s read after the purge: 200')
    for @old;
is(reply($old[1][0]), 200, 'and a reply');
$d = stats('new');
is($d->{read} + $d->{delivered} + $d->{replied} + $d->{failed}, 0,
   'the new campaign counts none of them') or diag(explain($d));
($s, $d) = api(GET => '/campaigns/new/messages');
my %ids = map { $_->[1] => 1 } @old;
is(scalar(grep { $ids{$_->{id}} } @{$d->{items}}), 0,
   'no new message carries an old biz_opaque_callback_data');
is(scalar(grep { $_->{status} ne 'sent' } @{$d->{items}}), 0,
   'every new message is still just sent');
is(stop_campaignd(), 0, 'a clean stop');
like(CampaignTest::slurp($::Log), qr/campaign old: the purge of what it left is complete/,
     'the log says the purge is complete');



=== TEST 3: a ledger larger than a chunk is purged over several write txns, the API answering meanwhile
--- run
my ($s, $d) = campaign('big', time + 3600);
is($s, 201, 'campaign big');
CampaignTest::storectl('messages', 'big', '1', '2500', 'wa');
is(stats('big')->{sent}, 2500, '2500 messages sent');
is((api(DELETE => '/campaigns/big'))[0], 204, 'deleted');
ok(left('big') > 2 * 2500, 'the ledger and its provider ids are still there');
unlink $::Log;
start_campaignd('--log-file', $::Log, '--log-level', 'debug');
my $answered = 0;
ok(wait_for(sub {
        $answered++ if (api(GET => '/campaigns/big/messages'))[0] == 404;
        left('big') == 0 }, 30), 'all of it purged');
ok($answered > 0, 'GET answered (404) while the purge ran');
is(stop_campaignd(), 0, 'a clean stop');
my @chunks = CampaignTest::slurp($::Log) =~ /campaign big: (\d+) key\(s\) purged/g;
ok(@chunks >= 5, scalar(@chunks) . ' chunks');
is(scalar(grep { $_ > 1000 } @chunks), 0, 'none of more than 1000 keys');



=== TEST 4: every kind keeps its deleted ids; a deleted group's members go with the purge
--- run
my ($s, $d);
api(POST => '/groups', {id => 'gdel', name => 'Doomed'});
($s, $d) = api(POST => '/groups/gdel/members', {contact_ids => [qw(p1 p2 p3)]});
is($d->{contact_count}, 3, 'a group of three');
api(POST => '/contacts', {id => 'pdel', phone => '+8615000000099'});
api(POST => '/channels', {id => 'chdel', name => 'x', type => 'viber'});
api(POST => '/flows', {id => 'fdel', name => 'x'});
for (qw(groups/gdel contacts/pdel channels/chdel flows/fdel)) {
    is((api(DELETE => "/$_"))[0], 204, "DELETE /$_");
}
for (['groups', {id => 'gdel', name => 'Other'}],
     ['contacts', {id => 'pdel', phone => '+8615000000099'}],
     ['channels', {id => 'chdel', name => 'x', type => 'viber'}],
     ['flows', {id => 'fdel', name => 'x'}]) {
    ($s, $d) = api(POST => "/$_->[0]", $_->[1]);
    is($s, 409, "POST /$_->[0] with the deleted id: 409");
    like($d->{error}{message}, qr/belonged to a deleted/, 'saying why');
}
($s, $d) = api(POST => '/groups', {id => 'gnew', name => 'Doomed'});
is($s, 201, 'the name is free again, under another id');
is($d->{contact_count}, 0, 'with none of the old members');
is((api(GET => '/contacts/p1'))[0], 200, 'the members themselves stay');
ok(left('gdel') > 0, 'the memberships wait for the purge');
is((api(GET => '/groups/gdel/members'))[0], 404, 'and no one lists them');
start_campaignd('--log-file', $::Log);
ok(wait_for(sub { left('gdel') == 0 }, 20), 'then they are gone, both ways');
is(stop_campaignd(), 0, 'a clean stop');
is((api(DELETE => '/contacts/p1'))[0], 204, 'a former member deletes cleanly');



=== TEST 5: a deleted flow's test sends are purged, with their messages
--- run
my ($s, $d) = api(POST => '/flows', {id => 'ftest', name => 'ftest',
    trigger => 'manual', definition => {start => 's', nodes => [
        {id => 's', type => 'send_whatsapp', channel_id => 'wa',
         message => {type => 'text', text => 'T'}, next => 'e'},
        {id => 'e', type => 'end'}]}});
is($s, 201, 'flow ftest') or diag(explain($d));
is((api(POST => '/flows/ftest/publish'))[0], 200, 'published');
($s, $d) = api(POST => '/flows/ftest/trigger', {contact_id => 'p2'});
is($s, 202, 'a test send') or diag(explain($d));
my $iid = $d->{instance_id};
start_campaignd('--log-file', $::Log);
ok(wait_for(sub { ((api(GET => "/flows/ftest/instances/$iid"))[1]{status}
                   // '') eq 'completed' }, 20), 'sent, and done');
is(stop_campaignd(), 0, 'campaignd stopped');
ok(left("#$iid") >= 2, 'its message and provider id are in the store');
ok(left($iid) >= 1, 'and its record');
is((api(POST => '/flows/ftest/unpublish'))[0], 200, 'unpublished');
is((api(DELETE => '/flows/ftest'))[0], 204, 'deleted');
is((api(GET => "/flows/ftest/instances/$iid"))[0], 404, 'its test send is 404');
start_campaignd('--log-file', $::Log);
ok(wait_for(sub { left("#$iid") == 0 && left($iid) == 0 }, 20),
   'all of it purged');
is(stop_campaignd(), 0, 'a clean stop');



=== TEST 6: a deleted campaign's queued messages are never sent, even once their channel can send again
--- run
my ($s, $d) = api(POST => '/channels', {id => 'hold', name => 'hold',
    type => 'whatsapp', min_gap_seconds => 0, whatsapp => {waba_id => '1',
    phone_number_id => '1002', access_token => 'bad',
    api_base_url => "http://127.0.0.1:$::Mock/wa/auth"}});
is($s, 201, 'a channel whose token the provider refuses') or diag(explain($d));
($s, $d) = api(POST => '/flows', {id => 'fhold', name => 'fhold',
    trigger => 'manual', definition => {start => 's', nodes => [
        {id => 's', type => 'send_whatsapp', channel_id => 'hold',
         message => {type => 'text', text => 'Held'}, next => 'e'},
        {id => 'e', type => 'end'}]}});
is((api(POST => '/flows/fhold/publish'))[0], 200, 'its flow published');
my $start = time + 3;
($s, $d) = api(POST => '/campaigns', {id => 'held', name => 'held',
    flow_id => 'fhold', group_id => 'g1', start_time => rfc3339($start),
    end_time => rfc3339($start + 3600),
    execution_plan => {unit => 'day', every => 1}});
is($s, 201, 'campaign held');
my $n = (api(GET => '/groups/g1'))[1]{contact_count};
start_campaignd('--log-file', $::Log);
ok(wait_for(sub { (stats('held')->{queued} // 0) == $n
                  && (api(GET => '/channels/hold'))[1]{status} eq 'error' }, 20),
   "the channel is refused, its $n messages stay queued");
is(stop_campaignd(), 0, 'campaignd stopped before it cancels anything');
is((api(POST => '/campaigns/held/suspend'))[0], 200, 'suspended');
is((api(DELETE => '/campaigns/held'))[0], 204, 'deleted');
($s, $d) = api(PATCH => '/channels/hold', {whatsapp => {access_token => 'good'}});
is($s, 200, 'the channel is given a good token');
ok(left('held') > 0, 'the queued messages are still in the store');
start_campaignd('--log-file', $::Log);
ok(wait_for(sub { left('held') == 0 }, 20), 'then purged');
# a dispatch pass or two more: what the purge removed cannot go out either
sleep 1.5;
is(stop_campaignd(), 0, 'a clean stop');
is(mock_requests('Bearer good'), 0, 'none was ever sent');
ok(mock_requests('Bearer bad') > 0, 'the refused attempts were all');
