# What t/lib refuses where it is a subset of the real Test::Nginx: a
# section or function of the real one it does not implement stops the file
# with a message that says so, never runs with it silently dropped; a
# section neither knows is ignored by both.  Runs small .t files under
# t/lib (-I t/lib comes before any PERL5LIB), whichever harness runs this.

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::More;

my $dir = tempdir(CLEANUP => 1);

# runs a .t file's text under t/lib: (exit status, its output)
sub run_t {
    my ($name, $text) = @_;
    my $file = "$dir/$name.t";
    open my $out, '>', $file or die "$file: $!";
    print $out $text;
    close $out;
    local $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot";
    my $got = `$^X -I t/lib $file 2>&1`;
    return ($? >> 8, $got);
}

my $head = "use Test::Nginx::Socket 'no_plan';\nrun_tests();\n__DATA__\n";

my ($status, $out) = run_t('tcp', $head . <<'EOF_T');
=== TEST 1: a mock TCP server
--- config
    location = /t { return 200; }
--- tcp_listen: 12345
--- tcp_reply: hi
--- request
GET /t
EOF_T
isnt($status, 0, 'a block with --- tcp_listen fails');
like($out, qr/TEST 1: a mock TCP server - --- tcp_listen is a section of the real Test::Nginx that t\/lib does not implement/,
     'and names the section and why');
unlike($out, qr/^ok /m, 'before any request is made');

($status, $out) = run_t('hup', <<'EOF_T');
use Test::Nginx::Socket 'no_plan';
use_hup();
run_tests();
__DATA__
=== TEST 1: x
--- config
--- request
GET /
EOF_T
isnt($status, 0, 'use_hup() fails');
like($out, qr/use_hup\(\) is part of the real Test::Nginx that t\/lib does not implement/,
     'and says so');

($status, $out) = run_t('noconfig', $head . <<'EOF_T');
=== TEST 1: the first block has no --- config
--- request
GET /
EOF_T
isnt($status, 0, 'a first block without --- config fails');
like($out, qr/No '--- config' section specified and could not get previous one/,
     'with the real one\'s message');

($status, $out) = run_t('unknown', $head . <<'EOF_T');
=== TEST 1: a section neither harness knows is ignored
--- config
    location = /t { return 200 "t\n"; }
--- no_such_section
anything
--- request
GET /t
--- response_body
t
EOF_T
is($status, 0, 'a section no harness knows is ignored, as by the real one')
    or diag($out);

done_testing();
