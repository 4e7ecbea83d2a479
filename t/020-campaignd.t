# campaignd's process: its heartbeat that GET /health reads, one campaignd
# per store, a clean stop on SIGTERM, SIGHUP, --daemon and its command line.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';
use Test::More;

use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);

fresh_store();

our $HttpConfig = <<'_EOC_';
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
_EOC_

# campaignd names the store by its real path
our $Store = abs_path(store_dir());
our $PidFile = "$Store/campaignd.pid";
our $LogFile = "$Store/campaignd.log";

our $DaemonStore = "$Store-daemon";
our $DaemonPid;


# a wrong command line: exit status 2 and a message saying what is wrong
{
    my ($status, $err) = run_campaignd(['--store', $Store,
                                        '--log-level', 'loud']);
    is($status >> 8, 2, 'a bad --log-level exits 2');
    like($err, qr/invalid --log-level "loud": use error, warn, info or debug/,
         'and says which levels there are');

    ($status, $err) = run_campaignd(['--store', $Store, '--max-size', '1x']);
    is($status >> 8, 2, 'a bad --max-size exits 2');
    like($err, qr/invalid --max-size "1x"/, 'and names the value');

    ($status, $err) = run_campaignd(['--log-level', 'info']);
    is($status >> 8, 2, 'no --store exits 2');
    like($err, qr/--store DIR is required/, 'and says --store is required');

    ($status, $err) = run_campaignd(['--store', "$Store/missing"]);
    is($status >> 8, 1, 'a store that does not exist exits 1');
    like($err, qr/store "\Q$Store\E\/missing" is not a directory/,
         'and names the store');
}


# the campaignd that blocks 1 and 2 see; "started" is logged only after
# its first heartbeat is committed
our $Pid = start_campaignd('--pid-file', $PidFile, '--log-file', $LogFile);

ok(wait_for(sub {
       slurp($LogFile) =~ /^\S+Z \[info\] campaignd: started, store \Q$Store\E, pid $Pid$/m
   }, 10), 'campaignd starts and logs it') or diag(slurp($LogFile));

is(slurp($PidFile), "$Pid\n", 'its pid file holds its pid');


# one campaignd per store: a second one exits at once, naming the first
{
    my ($status, $err) = run_campaignd(['--store', $Store, '--pid-file',
                                        "$Store/second.pid"], 5);
    is($status, 1 << 8, 'a second campaignd on the same store exits 1');
    like($err, qr/another campaignd \(pid $Pid\) is already running on store "\Q$Store\E"/,
         'and names the pid that holds the store');
    ok(!-e "$Store/second.pid", 'it writes no pid file');
    is(slurp($PidFile), "$Pid\n", 'the first pid file is untouched');
}


# SIGHUP reopens the log file, as logrotate needs
{
    rename $LogFile, "$LogFile.1" or die "rename $LogFile: $!";
    kill 'HUP', $Pid;

    ok(wait_for(sub { slurp($LogFile) =~ /\[info\] campaignd: log file reopened$/m },
                10), 'SIGHUP: campaignd writes to a new log file');
}


# --daemon returns once the daemon runs; its SIGTERM removes the pid file
{
    remove_tree($DaemonStore);
    make_path($DaemonStore);

    my ($status, $err) = run_campaignd(['--store', $DaemonStore, '--daemon',
                                        '--pid-file', "$DaemonStore/pid",
                                        '--log-file', "$DaemonStore/log"], 10);
    is($status, 0, '--daemon exits 0 once the daemon has started');
    is($err, '', 'and says nothing on stderr');

    ($DaemonPid) = slurp("$DaemonStore/pid") =~ /^(\d+)\n$/;
    ok(defined $DaemonPid && kill(0, $DaemonPid),
       'the daemon runs and wrote its pid file');
    like(slurp("$DaemonStore/log"),
         qr/\[info\] campaignd: started, store \Q$DaemonStore\E, pid $DaemonPid$/m,
         'and logs to its log file');

    kill 'TERM', $DaemonPid if defined $DaemonPid;

    ok(wait_for(sub { !-e "$DaemonStore/pid" }, 15),
       'SIGTERM: the daemon removes its pid file');
    like(slurp("$DaemonStore/log"), qr/\[info\] campaignd: stopped$/m,
         'and logs that it stopped');
    undef $DaemonPid unless -e "$DaemonStore/pid";
}


END {
    local $?;
    kill 'KILL', $DaemonPid if defined $DaemonPid;
}


no_shuffle();
run_tests();

__DATA__

=== TEST 1: with campaignd running, /health says the scheduler is alive
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health
--- error_code: 200
--- response_body_like: "scheduler":\{"alive":true,"last_heartbeat":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","last_error":null\},"api":\{"write":false\}\}$
--- no_error_log
[error]



=== TEST 1b: a probe that requires the scheduler passes while it beats
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health?scheduler=required
--- error_code: 200
--- response_body_like: "scheduler":\{"alive":true,
--- no_error_log
[error]



=== TEST 2: SIGTERM stops campaignd with status 0; the last heartbeat stays
alive turns false only 10 s after the last beat, so it is not asserted here.
--- init
Test::More::is(CampaignTest::stop_campaignd(), 0, 'SIGTERM: campaignd exits 0');
Test::More::ok(!-e $::PidFile, 'and removes its pid file');
Test::More::like(CampaignTest::slurp($::LogFile),
     qr/\[info\] campaignd: SIGTERM received, stopping\n.*\[info\] campaignd: stopped\n\z/,
     'and logs that it stopped');
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
--- request
GET /api/health
--- error_code: 200
--- response_body_like: "scheduler":\{"alive":(?:true|false),"last_heartbeat":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ","last_error":null\},"api":\{"write":false\}\}$
--- no_error_log
[error]
