# A full store: writes are refused with 507 and change nothing, reads go
# on, and the refusals are logged once an interval, not once a request.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';
use Test::More;
use HTTP::Tiny;
use JSON::PP;

# a bulk import, which CampaignTest's JSON client does not send
sub import_ndjson {
    my ($ndjson) = @_;
    my $port = CampaignTest::server_port();
    my $res = HTTP::Tiny->new(timeout => 30)->request(POST =>
        "http://127.0.0.1:$port/api/contacts/import", {
            headers => {'Content-Type' => 'application/x-ndjson'},
            content => $ndjson});
    return ($res->{status}, eval { decode_json($res->{content}) });
}

fresh_store();

CampaignTest::defaults(
    http_config  => 'campaign_store $TEST_NGINX_CAMPAIGN_STORE max_size=1m;',
    config       => 'location /api/ { campaign_api write=on; '
                    . 'client_max_body_size 16m; } '
                    . 'location = /webhooks/whatsapp { '
                    . 'campaign_webhook whatsapp; }',
    no_error_log => "[alert]\n[crit]",
);
run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a store filled to the last page refuses every write with 507, and logs it once
--- log_level: info
--- request
GET /api/health
--- error_code: 200
--- run
# the channel TEST 2's webhooks are signed for, while writes still fit
my ($s, $d) = ::api(POST => '/channels', {id => 'wa', name => 'WA',
    type => 'whatsapp', whatsapp => {waba_id => '1',
    phone_number_id => '1001', access_token => 't', app_secret => 's3cret'}});
is($s, 201, 'a WhatsApp channel') or diag(explain($d));

# contacts of about 600 bytes each; an import is one transaction, so
# imports of ever fewer of them fill the map to its last free pages
my $next = 0;
my $contact = sub { sprintf(qq({"phone":"+8613%09d","name":"%s","remark":"%s"}),
                            ++$next, 'N' x 120, 'R' x 250) };
for my $lines (2048, 512, 128, 32, 8, 2, 1) {
    do {
        my $ndjson = join '', map { $contact->() . "\n" } 1 .. $lines;
        ($s, $d) = ::import_ndjson($ndjson);
    } while $s == 200;
}
is($s, 507, 'a one-contact import no longer fits') or diag(explain($d));
is($d->{error}{code}, 'storage_full', 'storage_full');

my $errors = sub { scalar(() = ::slurp($Test::Nginx::Util::ErrLogFile)
                                =~ /\[error\].*storage_full/g) };
my $logged = $errors->();
ok($logged >= 1, 'a full store is logged');

for my $i (1 .. 5) {
    ($s, $d) = ::api(POST => '/contacts', $contact->());
    is($s, 507, "the next write is refused too ($i)");
}
is($errors->(), $logged, 'five more refusals within the interval: no more lines');

($s, $d) = ::api(GET => '/contacts?phone=' . sprintf('%%2B8613%09d', $next));
is_deeply($d->{items}, [], 'nothing of them was written');
($s, $d) = ::api(GET => '/contacts?limit=1');
is($s, 200, 'reads go on');
is(scalar @{$d->{items}}, 1, 'and find what was written before');



=== TEST 2: a signed webhook that no longer fits is refused, for Meta to send again, and leaves nothing
--- request
GET /api/health
--- error_code: 200
--- run
# statuses of messages nobody sent are kept in the inbox: a write each,
# smaller than a contact, so they take the last free bytes of the pages
my $status = sub { '"statuses":[{"id":"wamid.FULL' . $_[0] . '",'
                   . '"status":"delivered","timestamp":"1767225600",'
                   . '"recipient_id":"8613800000001"}]' };
my ($code, $n) = (200, 0);
while ($code == 200 && $n < 5000) {
    $code = CampaignTest::wa_webhook($status->(++$n));
}
is($code, 507, 'a status that does not fit is refused: Meta sends it again');
ok($n > 1, "statuses were still kept after the imports filled it: "
           . ($n - 1));

my $inbox = CampaignTest::storectl('inbox');
unlike($inbox, qr/wamid\.FULL$n"/, 'the refused status is not in the inbox');
like($inbox, qr/wamid\.FULL1"/, 'the ones acknowledged before it are');

# refused again, and again nothing kept, the batch run twice each time
for my $i (1 .. 3) {
    is(CampaignTest::wa_webhook($status->($n)), 507, "refused again ($i)");
}
$inbox = CampaignTest::storectl('inbox');
is(scalar(() = $inbox =~ /wamid\.FULL$n"/g), 0, 'still not kept');



=== TEST 3: campaignd grows the full store: nginx adopts the larger map at its next write
--- log_level: info
--- request
GET /api/health
--- error_code: 200
--- run
# more than the pages campaignd's own commits free up again
my $contact = sub { sprintf(qq({"phone":"+8614%09d","name":"%s","remark":"%s"}),
                            $_[0], 'N' x 120, 'R' x 250) };
my ($s, $d) = ::api(POST => '/contacts', $contact->(0));
is($s, 507, 'still full at 1m');
CampaignTest::start_campaignd('--log-file', CampaignTest::store_dir() . '/campaignd.log',
                              '--max-size', '4m');
ok(CampaignTest::wait_for(sub { (::api(GET => '/health'))[1]{scheduler}{alive} }, 10),
   'campaignd runs with --max-size 4m');
my %codes;
for my $i (1 .. 300) {
    ($s, $d) = ::api(POST => '/contacts', $contact->($i));
    $codes{$s}++;
}
is_deeply(\%codes, {201 => 300}, 'every write fits: no 507 after campaignd grew the map');
($s, $d) = ::api(GET => '/health');
is($d->{store}{max_bytes}, 4 * 1024 * 1024, '/health shows the larger map');
like(::slurp($Test::Nginx::Util::ErrLogFile), qr/\[notice\].*map grown to 4194304 bytes/,
     'nginx logs that it adopted it');
is(CampaignTest::stop_campaignd(), 0, 'campaignd stops cleanly');



=== TEST 4: campaignd grows the map while nginx still has room: an import chunk that outgrows nginx's map runs again in the larger one
--- log_level: info
--- request
GET /api/health
--- error_code: 200
--- run
my ($s, $d) = ::api(GET => '/health');
is($d->{store}{max_bytes}, 4 * 1024 * 1024, 'nginx has the 4m map of TEST 3');
CampaignTest::start_campaignd('--log-file', CampaignTest::store_dir() . '/campaignd.log',
                              '--max-size', '32m');
ok(CampaignTest::wait_for(sub { (::api(GET => '/health'))[1]{scheduler}{alive} }, 10),
   'campaignd runs with --max-size 32m');

# some 8 MB of contacts, in chunks of 5,000 lines: a chunk meets the end of
# the 4m map nginx still has, none meets the end of campaignd's 32m
my $ndjson = join '', map {
    sprintf(qq({"phone":"+8615%09d","name":"%s","remark":"%s"}\n),
            $_, 'N' x 120, 'R' x 250) } 1 .. 12000;
($s, $d) = ::import_ndjson($ndjson);
is($s, 200, 'the import is answered 200, not 507') or diag(explain($d));
is($d->{created}, 12000, 'every contact created once');
is($d->{rejected_total}, 0, 'none rejected: the chunk that ran again was not counted twice');
is_deeply($d->{rejected}, [], 'and none listed');

for my $n (1, 5000, 5001, 10000, 12000) {
    ($s, $d) = ::api(GET => '/contacts?phone=' . sprintf('%%2B8615%09d', $n));
    is(scalar @{$d->{items} || []}, 1, "contact $n is stored, once");
}
like(::slurp($Test::Nginx::Util::ErrLogFile), qr/\[notice\].*map grown to 33554432 bytes/,
     'nginx logs that it adopted the 32m map');
($s, $d) = ::api(GET => '/health');
is($d->{store}{max_bytes}, 32 * 1024 * 1024, '/health shows it');
is(CampaignTest::stop_campaignd(), 0, 'campaignd stops cleanly');
