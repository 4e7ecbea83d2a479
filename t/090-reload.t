# nginx -s reload under write load loses no request and no write: every
# create that was answered 201 is in the store afterwards, and no request
# failed.  A plain Test::More file: it runs its own nginx with a master
# process, which Test::Nginx's blocks do not reload mid-request.

use strict;
use warnings;

use lib 't/lib-campaign';
use CampaignTest;
use Cwd qw(abs_path);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use POSIX ":sys_wait_h";
use Test::More;

my $nginx  = $ENV{TEST_NGINX_BINARY} || 'nginx';
my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');
my $port   = CampaignTest::server_port() + 100;
my $root   = ($ENV{TEST_NGINX_SERVROOT} || abs_path('t') . '/servroot')
             . '-reload';

plan skip_all => 'TEST_NGINX_LOAD_MODULES names no module' unless $module;

remove_tree($root);
make_path("$root/logs", "$root/store", "$root/body");
chmod 0755, $root;

# as root, workers run as root too (as Test::Nginx does): the clone may
# sit where nginx's unprivileged user cannot reach
my $user = ($> == 0) ? 'user root;' : '';

open my $conf, '>', "$root/nginx.conf" or die $!;
print $conf <<"_EOC_";
load_module $module;
$user
worker_processes 2;
daemon on;
master_process on;
error_log $root/logs/error.log info;
pid $root/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $root/body;
    campaign_store $root/store;
    server {
        listen 127.0.0.1:$port;
        location /api/ { campaign_api write=on; }
    }
}
_EOC_
close $conf;

system($nginx, '-p', $root, '-c', "$root/nginx.conf") == 0
    or BAIL_OUT("nginx did not start");

wait_for(sub { IO::Socket::INET->new("127.0.0.1:$port") }, 5)
    or BAIL_OUT("nginx does not listen on $port");

sub request {
    my ($method, $path, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 10) or return (0, '');
    $body //= '';
    print $s "$method $path HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Type: application/json\r\n"
             . "Content-Length: " . length($body) . "\r\n"
             . "Connection: close\r\n\r\n$body";
    local $/;
    my $res = <$s> // '';
    my ($code) = $res =~ m{^HTTP/1\.1 (\d+)};
    my ($content) = $res =~ m{\r\n\r\n(.*)}s;
    return ($code || 0, $content // '');
}

# four writers create channels while the master reloads five times
my @writers;
my $file = "$root/answers";

for my $w (1 .. 4) {
    my $pid = fork();
    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open my $out, '>', "$file.$w" or die $!;
        my $end = time + 4;
        my $n = 0;
        while (time < $end) {
            $n++;
            my ($code) = request('POST', '/api/channels',
                "{\"id\":\"w$w-$n\",\"name\":\"reload\",\"type\":\"viber\"}");
            print $out "w$w-$n $code\n";
        }
        close $out;
        exit 0;
    }

    push @writers, $pid;
}

for (1 .. 5) {
    select undef, undef, undef, 0.6;
    system($nginx, '-p', $root, '-c', "$root/nginx.conf", '-s', 'reload');
}

waitpid($_, 0) for @writers;

my (%answered, %codes);

for my $w (1 .. 4) {
    open my $in, '<', "$file.$w" or die $!;
    while (<$in>) {
        my ($id, $code) = split;
        $codes{$code}++;
        $answered{$id} = 1 if $code == 201;
    }
}

my $total = 0;
$total += $_ for values %codes;

ok($total > 50, "writers made $total requests during five reloads");
is_deeply([sort keys %codes], [201], 'every request was answered 201')
    or diag explain \%codes;

# every acknowledged create is in the store: page through the list
my (%stored, $cursor);
while (1) {
    my ($code, $body) = request('GET', '/api/channels?limit=1000'
                                       . ($cursor ? "&cursor=$cursor" : ''));
    last unless $code == 200;
    $stored{$1} = 1 while $body =~ /\{"id":"([^"]+)","name"/g;
    ($cursor) = $body =~ /"next_cursor":"([^"]+)"/ or last;
}

my @lost = grep { !$stored{$_} } keys %answered;
is(scalar @lost, 0, scalar(keys %answered) . ' acknowledged creates, none lost')
    or diag "lost: @lost[0 .. ($#lost < 9 ? $#lost : 9)]";

open my $pidf, '<', "$root/nginx.pid";
my $master = <$pidf>;
chomp $master if defined $master;
kill 'QUIT', $master if $master;
wait_for(sub { !kill(0, $master) }, 10) if $master;

done_testing();
