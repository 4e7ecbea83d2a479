# The ledger's status filter (README "Campaigns", "Internals"):
# GET /campaigns/{id}/messages?status= is served by the status index, in
# key order with its cursor pages, answering what a scan of the ledger
# would; a webhook's status change moves a message between the lists; a
# store from before the index is scanned a bounded page at a time until
# campaignd has built the index.  Ledgers are written by cmp_storectl.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();

our $Log = store_dir() . '/campaignd.log';
our @Statuses = qw(sent failed queued sent delivered sending deferred read
                   skipped);

sub rfc3339 { strftime("%Y-%m-%dT%H:%M:%SZ", gmtime($_[0])) }

# every page of a list, following next_cursor: ([run, contact, status]...)
sub pages {
    my ($path, $limit) = @_;
    my (@items, $cursor, $n);

    while (1) {
        my $sep = $path =~ /\?/ ? '&' : '?';
        my ($s, $d) = api(GET => "$path${sep}limit=$limit"
                                 . (defined $cursor ? "&cursor=$cursor" : ''));
        die "GET $path: $s" unless $s == 200;
        die "a page over its limit" if @{$d->{items}} > $limit;
        push @items, map { [$_->{run}, $_->{contact_id}, $_->{status}] }
                         @{$d->{items}};
        $cursor = $d->{next_cursor};
        last unless defined $cursor;
        die "more pages than messages" if ++$n > 30000;
    }

    return \@items;
}

# what nginx logged since the last call
my $logpos = 0;
sub new_log {
    my $text = CampaignTest::slurp($Test::Nginx::Util::ErrLogFile);
    $logpos = 0 if $logpos > length $text;
    my $new = substr($text, $logpos);
    $logpos = length $text;
    return $new;
}

# contact k00..k14: sorted as written, so key order is (run, contact)
sub mk { sprintf('k%02d', $_[0]) }

CampaignTest::defaults(more_headers => undef, request => "GET /api/health",
                       config => <<'_EOC_');
    location /api/ { campaign_api write=on; }
    location = /webhooks/whatsapp { campaign_webhook whatsapp; }
_EOC_

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a channel, a group, a flow and two campaigns
--- run
my ($s, $d) = api(POST => '/channels', {id => 'wa', name => 'wa',
    type => 'whatsapp', whatsapp => {waba_id => '1',
    phone_number_id => '1001', access_token => 't', app_secret => 's3cret'}});
is($s, 201, 'channel') or diag(explain($d));
is((api(POST => '/groups', {id => 'g1', name => 'g1'}))[0], 201, 'group');
($s, $d) = api(POST => '/flows', {id => 'f1', name => 'f1', trigger => 'manual',
    definition => {start => 's', nodes => [
        {id => 's', type => 'send_whatsapp', channel_id => 'wa',
         message => {type => 'text', text => 'Hi'}, next => 'e'},
        {id => 'e', type => 'end'}]}});
is($s, 201, 'flow') or diag(explain($d));
is((api(POST => '/flows/f1/publish'))[0], 200, 'published');
for my $id (qw(c1 big)) {
    ($s, $d) = api(POST => '/campaigns', {id => $id, name => $id,
        flow_id => 'f1', group_id => 'g1', start_time => ::rfc3339(time + 3600),
        end_time => ::rfc3339(time + 7200),
        execution_plan => {unit => 'day', every => 1}});
    is($s, 201, "campaign $id") or diag(explain($d));
}



=== TEST 2: every status lists exactly its messages, in key order, page by page
--- run
for my $run (2, 1) {
    for my $i (reverse 0 .. 14) {
        my $st = $::Statuses[($i + $run) % @::Statuses];
        CampaignTest::storectl('message', 'c1', $run, ::mk($i), 's', '0',
            $st, $st eq 'sent' ? ("wamid.$run.$i", 'wa') : ());
    }
}
my $all = ::pages('/campaigns/c1/messages', 1000);
is(scalar @$all, 30, 'thirty messages');
is_deeply([map { "$_->[0] $_->[1]" } @$all],
          [sort map { "$_->[0] $_->[1]" } @$all], 'the ledger in key order');
for my $st (qw(queued sending sent delivered read failed skipped deferred)) {
    my @want = grep { $_->[2] eq $st } @$all;
    ok(@want > 0, "some are $st");
    is_deeply(::pages("/campaigns/c1/messages?status=$st", 2), \@want,
              "?status=$st: just those, in order, two a page");
    is_deeply(::pages("/campaigns/c1/messages?status=$st&run=2", 1),
              [grep { $_->[0] == 2 } @want], "?status=$st&run=2, one a page");
}
like(::new_log(), qr/campaign messages: status "deferred" from the index/,
     'the index served them');



=== TEST 3: a webhook's "delivered" moves a message from the sent list to the delivered one
--- run
my $sent = ::pages('/campaigns/c1/messages?status=sent', 3);
my ($first) = grep { $_->[0] == 1 } @$sent;
ok($first, 'a sent message of run 1') or return;
my ($i) = $first->[1] =~ /^k(\d+)$/;
is(CampaignTest::wa_webhook('"statuses":[{"id":"wamid.1.' . ($i + 0) . '",'
    . '"status":"delivered","timestamp":"1767225600",'
    . '"recipient_id":"8613800000001"}]'), 200, 'the webhook: 200');
my $now = ::pages('/campaigns/c1/messages?status=sent', 3);
is(scalar @$now, scalar @$sent - 1, 'one sent message fewer');
ok(!grep({ $_->[0] == 1 && $_->[1] eq $first->[1] } @$now),
   'and not that one');
my $all = ::pages('/campaigns/c1/messages', 1000);
is_deeply(::pages('/campaigns/c1/messages?status=delivered', 2),
          [grep { $_->[2] eq 'delivered' } @$all],
          'the delivered list has it, in its place');
ok(grep({ $_->[0] == 1 && $_->[1] eq $first->[1] }
        @{::pages('/campaigns/c1/messages?status=delivered', 2)}),
   'it is delivered');



=== TEST 4: a status that is none is a 400
--- request
GET /api/campaigns/c1/messages?status=bogus
--- error_code: 400
--- response_body_like: "code":"invalid_argument".*"field":"status"



=== TEST 5: 3 failed among 20,003: the index reads those 3, no scan
--- run
CampaignTest::storectl('messages', 'big', '1', '20000', 'wa');
CampaignTest::storectl('message', 'big', '1', "z$_", 's', '0', 'failed')
    for 1 .. 3;
::new_log();
my ($s, $d) = api(GET => '/campaigns/big/messages?status=failed&limit=10');
is($s, 200, 'answered 200');
is_deeply([map { $_->{contact_id} } @{$d->{items}}], [qw(z1 z2 z3)],
          'the three');
is($d->{next_cursor}, undef, 'and no more');
like(::new_log(), qr/campaign messages: status "failed" from the index, 3 record\(s\) read/,
     'three records read');



=== TEST 6: a store from before the index: bounded scans until campaignd has built it
--- run
CampaignTest::storectl('meta', 'message_status_index', '0');
::new_log();
my ($s, $d) = api(GET => '/campaigns/big/messages?status=failed&limit=10');
is($s, 200, 'answered 200');
is(scalar @{$d->{items}}, 0, 'the first 1000 records hold no failure');
ok(defined $d->{next_cursor}, 'so the page ends with a cursor');
like(::new_log(), qr/status "failed" by a scan \(the index is being built\), 1000 record\(s\) read/,
     'a scan of 1000 records');
is_deeply([map { $_->[1] } @{::pages('/campaigns/big/messages?status=failed', 10)}],
          [qw(z1 z2 z3)], 'its pages still list the three');

start_campaignd('--log-file', $::Log, '--log-level', 'debug');
ok(wait_for(sub {
    my ($s, $d) = api(GET => '/campaigns/big/messages?status=failed&limit=10');
    return $s == 200 && @{$d->{items}} == 3;
}, 20), 'once campaignd has built the index, one page has them');
like(::new_log(), qr/status "failed" from the index, 3 record\(s\) read/,
     'from the index');
is(stop_campaignd(), 0, 'campaignd stopped');
like(CampaignTest::slurp($::Log), qr/status index: \d+ message\(s\) indexed, the index is complete/,
     'campaignd says it built the index');
