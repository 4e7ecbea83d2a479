package CampaignTest;

# What every campaign .t file shares: a fresh LMDB store of its own, the
# per-block defaults (http_config, config, more_headers, no_error_log) from
# one add_block_preprocessor, the store tool, and campaignd's lifecycle.
# The .t files stay plain Test::Nginx files: under the real harness
# "--- init" runs in package Test::Nginx::Util, so blocks call these
# helpers fully qualified (CampaignTest::storectl(...)).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempfile);
use POSIX ":sys_wait_h";
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use JSON::PP;

use Exporter 'import';
our @EXPORT = qw(store_dir fresh_store start_campaignd stop_campaignd
                 campaignd_bin campaignd_pid run_campaignd wait_for
                 api run_perl_sections defaults server_port mock_port
                 storectl slurp);

my $store;
my $campaignd_pid;


# one store per .t file, beside (not inside) servroot, so that nginx
# restarts between blocks keep the data that later blocks build on
sub store_dir {
    return $store if defined $store;

    my $root = $ENV{TEST_NGINX_SERVROOT} || abs_path('t') . '/servroot';
    my $name = basename($0, '.t');

    $store = "$root-stores/$name";

    return $store;
}


sub fresh_store {
    my $dir = store_dir();

    remove_tree($dir);
    make_path($dir) or die "cannot create $dir: $!";

    $ENV{TEST_NGINX_CAMPAIGN_STORE} = $dir;

    return $dir;
}


# the test nginx's port, and the one its mock provider server listens on
sub server_port {
    return $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
}


sub mock_port {
    return server_port() + 1;
}


# the blocks' defaults: the module on this file's store, the API on /api/,
# JSON bodies, and no error in the log; a file overrides any of them, and
# a block's own section always wins (an empty one means "none")
my %defaults;
my $preprocessor;

sub defaults {
    my (%over) = @_;

    %defaults = (
        http_config  => 'campaign_store $TEST_NGINX_CAMPAIGN_STORE;',
        config       => 'location /api/ { campaign_api write=on; }',
        more_headers => 'Content-Type: application/json',
        no_error_log => "[error]\n[alert]\n[crit]",
        %over,
    );

    return if $preprocessor++;

    Test::Nginx::Util::add_block_preprocessor(sub {
        my ($block) = @_;

        for my $section (sort keys %defaults) {
            next unless defined $defaults{$section};
            next if defined $block->$section;
            # a config nginx must refuse says itself what it must not log
            next if $section eq 'no_error_log' && defined $block->must_die;
            $block->set_value($section, $defaults{$section});
        }
    });
}


# the store tool (t/tools/cmp_storectl) on this file's store: moves it into
# states only time or campaignd reach; dies when the tool refuses
sub storectl {
    my @args = @_;
    my $ctl = $ENV{CMP_STORECTL} || abs_path('build') . '/cmp-storectl';

    if (@args == 1 && $args[0] eq 'inbox') {
        my $out = `$ctl '@{[store_dir()]}' inbox`;
        die "$ctl inbox failed" if $? != 0;
        return $out;
    }

    system($ctl, store_dir(), @args) == 0
        or die "$ctl @args: failed\n";

    return 1;
}


sub slurp {
    my ($file) = @_;

    open my $fh, '<', $file or return '';
    local $/;
    my $text = <$fh>;

    return defined $text ? $text : '';
}


sub campaignd_bin {
    return $ENV{CAMPAIGND} || abs_path('build') . '/campaignd';
}


sub campaignd_pid {
    return $campaignd_pid;
}


sub start_campaignd {
    my @args = @_;
    my $bin = campaignd_bin();

    $campaignd_pid = fork();
    die "fork: $!" unless defined $campaignd_pid;

    if ($campaignd_pid == 0) {
        exec $bin, '--store', store_dir(), @args
            or die "exec $bin: $!";
    }

    return $campaignd_pid;
}


# returns campaignd's wait status: 0 when SIGTERM made it exit 0 within
# 15 s (its promise is 10 s for requests in flight), else it was killed
sub stop_campaignd {
    return unless $campaignd_pid;

    my $status;

    kill 'TERM', $campaignd_pid;

    for (1 .. 300) {
        if (waitpid($campaignd_pid, WNOHANG) == $campaignd_pid) {
            $status = $?;
            last;
        }
        sleep 0.05;
    }

    # only a child not yet reaped: its pid may be someone else's after that
    unless (defined $status) {
        kill 'KILL', $campaignd_pid;
        waitpid($campaignd_pid, 0);
        $status = $? || -1;
    }

    undef $campaignd_pid;

    return $status;
}


# runs campaignd to its end (for starts that must fail) and returns its
# wait status and stderr; a run past $deadline seconds is killed: status -1
sub run_campaignd {
    my ($args, $deadline) = @_;
    $deadline ||= 10;

    my ($fh, $errfile) = tempfile(UNLINK => 1);

    my $pid = fork();
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDERR, '>', $errfile or die "open $errfile: $!";
        exec campaignd_bin(), @$args or die "exec: $!";
    }

    my $status;

    wait_for(sub {
        return 0 unless waitpid($pid, WNOHANG) == $pid;
        $status = $?;
        return 1;
    }, $deadline);

    unless (defined $status) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        $status = -1;
    }

    local $/;
    my $err = <$fh>;
    close $fh;

    return ($status, defined $err ? $err : '');
}


# polls $cond until it returns true or $seconds pass; returns its result,
# so that a test waits on a condition, never on a fixed time
sub wait_for {
    my ($cond, $seconds) = @_;
    my $end = time + ($seconds || 10);

    while (1) {
        my $r = $cond->();
        return $r if $r;
        return $r if time >= $end;
        sleep 0.05;
    }
}


# a call of the test nginx's API: (status, decoded JSON answer)
my $http = HTTP::Tiny->new(timeout => 5);
my $json = JSON::PP->new->canonical;

sub api {
    my ($method, $path, $body) = @_;
    my $port = server_port();
    my $res = $http->request($method, "http://127.0.0.1:$port/api$path", {
        headers => { 'Content-Type' => 'application/json' },
        defined $body ? (content => ref $body ? $json->encode($body) : $body)
                      : () });
    my $data = eval { $json->decode($res->{content}) };
    return ($res->{status}, $data);
}


# a block's "--- run" section is Perl run (in main) while nginx is up;
# tests of campaignd drive it and the API from there
sub run_perl_sections {
    Test::Nginx::Socket::add_response_body_check(sub {
        my ($block) = @_;
        my $code = $block->run or return;
        my $sub = eval "package main; sub { $code }";
        die $@ if $@;
        $sub->();
    });
}


# local $?: the END block must not turn a failing test file's exit status
# into campaignd's
END { local $?; stop_campaignd() }

1;
