# A list filter that matches little (GET /groups?name=, GET /campaigns with
# name, flow_id or group_id) reads its index a page at a time: after 1000
# records that do not match, the page ends (short of its limit, or empty)
# with a cursor, and following the cursors finds every match once.  So one
# request's work on the event loop is at most one full page, however rare
# the match (README "The API", lists).

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Test::Nginx::Socket 'no_plan';
use Test::More;

fresh_store();

our $Others = 1005;
our $Start = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 3600));
our $End   = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 86400));

# every page of $path (a query string already in it), by its cursors:
# (the pages' item ids, one list a page)
sub pages {
    my ($path) = @_;
    my ($cursor, @pages) = (undef);

    for (1 .. 10) {
        my ($s, $d) = api(GET => $path . (defined $cursor
                                          ? "&cursor=$cursor" : ''));
        is($s, 200, "GET $path" . (defined $cursor ? " after $cursor" : ''))
            or return @pages;
        push @pages, [map { $_->{id} } @{$d->{items}}];
        $cursor = $d->{next_cursor};
        last unless defined $cursor;
    }

    return @pages;
}

sub campaign {
    my ($id, $name, $group) = @_;
    return (api(POST => '/campaigns', {id => $id, name => $name,
        flow_id => 'f1', group_id => $group, start_time => $Start,
        end_time => $End, execution_plan => {unit => 'day'}}))[0];
}

CampaignTest::defaults(request => 'GET /api/health');

run_perl_sections();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a group name that one group of 1006 has: an empty page with a cursor first, then that group
--- run
is((api(POST => '/groups', {id => 'rare', name => 'The Rare One'}))[0], 201,
   'the oldest group');
my $made = grep { (api(POST => '/groups', {id => "g$_", name => "common $_"}))[0]
                  == 201 } 1 .. $::Others;
is($made, $::Others, "$::Others newer groups");

my @pages = pages('/groups?name=rare&limit=5');
is(scalar @pages, 2, 'two pages: 1000 refused, then the rest');
is_deeply($pages[0], [], 'the first holds no group, and has a cursor');
is_deeply($pages[1], ['rare'], 'the second holds the match, and ends the list');

# a match on every record pages by the limit as before
@pages = pages('/groups?name=common&limit=1000');
is(scalar @pages, 2, 'a common name: two pages');
is(scalar @{$pages[0]}, 1000, 'a full first page');
is(scalar @{$pages[1]}, $::Others - 1000, 'and the rest');



=== TEST 2: campaigns by name and by group: every match once, however far apart, and at most 1000 refused a page
--- run
my ($s) = api(POST => '/channels', {id => 'wa', name => 'WA', type => 'whatsapp',
    whatsapp => {waba_id => '1', phone_number_id => '2', access_token => 't'}});
is($s, 201, 'channel');
is((api(POST => '/groups', {id => 'cg', name => 'CG'}))[0], 201, 'group cg');
($s) = api(POST => '/flows', {id => 'f1', name => 'F1', trigger => 'manual',
    definition => {start => 's', nodes => [
        {id => 's', type => 'send_whatsapp', channel_id => 'wa',
         message => {type => 'text', text => 'hi'}, next => 'e'},
        {id => 'e', type => 'end'}]}});
is($s, 201, 'flow');
is((api(POST => '/flows/f1/publish'))[0], 200, 'published');

is(campaign('c-old', 'Black Friday', 'cg'), 201, 'the oldest campaign');
my $made = grep { campaign("c$_", "weekly $_", 'rare') == 201 } 1 .. $::Others;
is($made, $::Others, "$::Others newer campaigns, in another group");
is(campaign('c-new', 'black friday again', 'cg'), 201, 'the newest campaign');

my @pages = pages('/campaigns?name=FRIDAY&limit=20');
is(scalar @pages, 2, 'two pages for the name');
is_deeply($pages[0], ['c-new'], 'the first ends after 1000 refused, with the newest');
is_deeply($pages[1], ['c-old'], 'the second has the oldest and ends the list');

@pages = pages('/campaigns?group_id=cg&limit=20');
is_deeply([map { @$_ } @pages], ['c-new', 'c-old'],
          'by group: both, once each, in order');

@pages = pages('/campaigns?group_id=cg&name=again&limit=20');
is_deeply([map { @$_ } @pages], ['c-new'], 'both filters: the one that has both');
