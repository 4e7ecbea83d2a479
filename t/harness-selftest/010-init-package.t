# Where "--- init" runs: in package Test::Nginx::Util, under both the real
# Test::Nginx and t/lib, so a .t file's own helpers are called fully
# qualified and only the names that package imports are there unqualified.

use Test::Nginx::Socket 'no_plan';

our $Seen = '';

sub helper { $::Seen .= "helper " }

repeat_each(2);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: init sees Test::Nginx::Util, and calls main's helpers qualified
--- init
$::Seen = __PACKAGE__ . ' ';
main::helper();
Test::More::ok(!defined &Test::Nginx::Util::helper,
               'an unqualified helper() would not be found');
Test::More::ok(defined &Test::Nginx::Util::is_string,
               'Test::LongString is imported, as in the real one');
Test::More::is(time =~ /^\d+$/ ? 'int' : 'float', 'int',
               'time is the core one, not Time::HiRes');
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body eval
"ok\n"



=== TEST 2: init ran once before the repeats, in that package
--- init
Test::More::is($::Seen, 'Test::Nginx::Util helper ', 'the package init ran in');
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
