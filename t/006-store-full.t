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
                    . 'client_max_body_size 16m; }',
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
# contacts of about 600 bytes each; an import is one transaction, so
# imports of ever fewer of them fill the map to its last free pages
my $next = 0;
my $contact = sub { sprintf(qq({"phone":"+8613%09d","name":"%s","remark":"%s"}),
                            ++$next, 'N' x 120, 'R' x 250) };
my ($s, $d);
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



=== TEST 2: campaignd grows the full store: nginx adopts the larger map at its next write
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
