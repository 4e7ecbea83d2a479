package CampaignTest;

# What every campaign .t file shares: a fresh LMDB store of its own, the
# http_config that points the module at it, and campaignd's lifecycle.
# It only sets variables, so the .t files stay plain Test::Nginx files.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename);
use File::Path qw(make_path remove_tree);
use POSIX ":sys_wait_h";

use Exporter 'import';
our @EXPORT = qw(store_dir fresh_store start_campaignd stop_campaignd);

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


sub start_campaignd {
    my @args = @_;
    my $bin = $ENV{CAMPAIGND} || abs_path('build') . '/campaignd';

    $campaignd_pid = fork();
    die "fork: $!" unless defined $campaignd_pid;

    if ($campaignd_pid == 0) {
        exec $bin, '--store', store_dir(), @args
            or die "exec $bin: $!";
    }

    return $campaignd_pid;
}


sub stop_campaignd {
    return unless $campaignd_pid;

    kill 'TERM', $campaignd_pid;

    for (1 .. 100) {
        last if waitpid($campaignd_pid, WNOHANG) == $campaignd_pid;
        select undef, undef, undef, 0.05;
    }

    kill 'KILL', $campaignd_pid;
    waitpid($campaignd_pid, 0);
    undef $campaignd_pid;
}


END { stop_campaignd() }

1;
