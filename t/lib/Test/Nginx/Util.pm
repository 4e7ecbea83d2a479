package Test::Nginx::Util;

# Minimal in-tree re-implementation of the parts of openresty/test-nginx's
# Test::Nginx::Util that this project's tests use.  It is only put on @INC
# when the real Test::Nginx is not installed.  The semantics follow the real
# module (section names, test names, config layout, environment variables),
# but the code is independent.

use strict;
use warnings;

our $VERSION = '0.33_local';

use base 'Exporter';

# "--- init" code runs in this package: it sees the same imported names
# as in the real module (and no others, e.g. Time::HiRes's time)
use POSIX qw(SIGQUIT SIGKILL SIGTERM SIGHUP);
use POSIX ":sys_wait_h";
use Cwd qw(cwd);
use File::Spec ();
use File::Path qw(make_path remove_tree);
use File::Find qw(find);
use File::Temp qw(tempfile :POSIX);
use HTTP::Response;
use List::Util qw(shuffle);
use Scalar::Util qw(looks_like_number);
use Time::HiRes qw(sleep);
use Test::More ();
use Test::LongString;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Carp qw(croak);

our @EXPORT = qw(
    env_to_nginx is_str no_long_string $NoLongString
    server_addr server_name $ServerAddr $ServerName
    parse_time sleep_time verbose bail_out add_cleanup_handler
    error_log_data access_log_data setup_server_root write_config_file
    get_canon_version get_nginx_version trim show_all_chars parse_headers
    run_tests get_pid_from_pidfile expand_env_in_text
    $ServerPortForClient $ServerPort $NginxVersion $PidFile $ServRoot
    $ConfFile $ErrLogFile $RunTestHelper $CheckErrorLog $RepeatEach
    add_block_preprocessor timeout worker_connections workers master_on
    master_off config_preamble repeat_each master_process_enabled log_level
    no_shuffle no_root_location html_dir server_root server_port
    server_port_for_client check_accum_error_log is_running
);

# ---------------------------------------------------------------- settings

our $Verbose          = $ENV{TEST_NGINX_VERBOSE};
our $NoLongString;
our $RepeatEach       = 1;
our $NoShuffle        = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $UseValgrind      = $ENV{TEST_NGINX_USE_VALGRIND};
our $LoadModules      = $ENV{TEST_NGINX_LOAD_MODULES};
our $Timeout          = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $NginxBinary      = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers          = 1;
our $WorkerConnections = 64;
our $LogLevel         = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled    = 'on';
our $ServerPort       = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                        || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $NoRootLocation   = 0;
our $TestNginxSleep   = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestartOnTest = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST}
                          ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $ServerAddr       = '127.0.0.1';
our $ServerName       = 'localhost';
our $ConfigPreamble   = '';
our $WorkerUser       = $ENV{TEST_NGINX_WORKER_USER};

our (@EnvToNginx, @BlockPreprocessors, @CleanupHandlers);
our ($RunTestHelper, $CheckErrorLog);
our ($NginxVersion, $NginxRawVersion, $NginxV);
our ($PrevConfig, $PrevConfText, $FirstTime, $ChildPid, $NginxPid);
our $ErrLogFilePos = 0;
our $InSubprocess;
$FirstTime = 1;

if ($UseValgrind) {
    $DaemonEnabled = 'off';
}

our $ServRoot = $ENV{TEST_NGINX_SERVROOT}
                || File::Spec->rel2abs('t/servroot');
$ServRoot = File::Spec->rel2abs($ServRoot);
$ServRoot =~ s{/+$}{};

our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";
# inside logs/, which is wiped with the rest: the real harness refuses to
# start on a servroot holding anything it did not make itself
our $StderrFile = "$LogDir/nginx.stderr";

# usable from the .t file's Perl code before run_tests() is called
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
$ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
    unless defined $ENV{TEST_NGINX_SERVER_PORT};

srand $$;

# ------------------------------------------------------ simple accessors

sub _getset { my ($ref, @v) = @_; $$ref = $v[0] if @v; return $$ref }

sub no_long_string ()        { $NoLongString = 1 }
sub no_shuffle ()            { $NoShuffle = 1 }
sub no_root_location ()      { $NoRootLocation = 1 }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub master_on ()             { $MasterProcessEnabled = 'on' }
sub master_off ()            { $MasterProcessEnabled = 'off' }
sub html_dir ()              { $HtmlDir }
sub server_root ()           { $ServRoot }
sub sleep_time ()            { $TestNginxSleep }
sub verbose ()               { $Verbose }
sub config_preamble ($)      { $ConfigPreamble = shift }
sub add_cleanup_handler ($)  { unshift @CleanupHandlers, shift }
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }

sub server_addr (@)          { _getset(\$ServerAddr, @_) }
sub server_name (@)          { _getset(\$ServerName, @_) }
sub timeout (@)              { _getset(\$Timeout, @_) }
sub workers (@)              { _getset(\$Workers, @_) }
sub worker_connections (@)   { _getset(\$WorkerConnections, @_) }
sub log_level (@)            { _getset(\$LogLevel, @_) }
sub server_port_for_client (@) { _getset(\$ServerPortForClient, @_) }

sub server_port (@) {
    if (@_) {
        $ServerPort = shift;
        $ServerPortForClient = $ServerPort
            unless $ENV{TEST_NGINX_CLIENT_PORT};
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }
    return $ServerPort;
}

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub master_process_enabled (@) {
    if (@_) {
        $MasterProcessEnabled = shift() ? 'on' : 'off';
        return;
    }
    return $MasterProcessEnabled;
}

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        croak "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub is_running ($) {
    my $pid = shift;
    return 0 unless $pid && kill(0, $pid);
    # a zombie (e.g. a daemonized nginx nobody reaps) counts as gone
    if (open my $fh, '<', "/proc/$pid/stat") {
        my $st = <$fh>;
        close $fh;
        return 0 if defined $st && $st =~ /^\d+ \(.*\) [ZX]/s;
    }
    return 1;
}

sub parse_time ($) {
    my $tm = shift;
    return $tm unless defined $tm;
    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        $tm /= 1000;
    } else {
        $tm =~ s/([^_a-zA-Z])s$/$1/;
    }
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /g;
    $s =~ s/\s{2,}/ /g;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    return $s;
}

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    if ($NoLongString) {
        return Test::More::is($got, $expected, $desc);
    }
    return Test::LongString::is_string($got, $expected, $desc);
}

# returns an ordered list of [name, value-or-undef] pairs
sub parse_headers_list ($) {
    my $s = shift;
    my @list;
    for my $line (split /\n/, defined $s ? $s : '') {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            push @list, [$line, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            push @list, [$k, defined $v ? $v : ''];
        }
    }
    return @list;
}

sub parse_headers ($) {
    return { map { ($_->[0] => $_->[1]) } parse_headers_list(shift) };
}

# ---------------------------------------------------------------- sections

# Sections the real Test::Nginx (0.33) acts on that this subset does not: a
# block using one is refused, never run with the section silently dropped.
# A name neither knows is ignored by both (Test::Base keeps any section).
our @Unsupported = qw(
    charset curl curl_error curl_options curl_protocol error_log_file
    http09 http2 http3 no_shutdown_error_log post_setup_server_root
    quic_max_idle_timeout raw_request_middle_delay reload_fails
    req_headers request_eval resp_title response_body_eval
    response_body_json_sort server_addr_for_client shutdown_error_log
    skip_nginx2 skip_openssl skip_slave stap stap_out stap_out_like
    stap_out_unlike tcp_listen tcp_no_close tcp_query
    tcp_query_auto_timeout tcp_query_len tcp_reply tcp_reply_delay
    tcp_shutdown tcp_shutdown_delay test_nginx_enabled_http2
    test_nginx_enabled_http3 todo todo_nginx udp_listen udp_query
    udp_reply udp_reply_delay write_resp_body_file
);

sub check_sections ($) {
    my ($block) = @_;
    for my $sec (@Unsupported) {
        next unless defined $block->$sec;
        bail_out($block->name . " - --- $sec is a section of the real "
                 . "Test::Nginx that t/lib does not implement; run this "
                 . "file with the real one (PERL5LIB=/path/to/test-nginx/lib)");
    }
}

# functions of the real interface this subset refuses rather than ignores
sub unsupported_function ($) {
    my ($fn) = @_;
    croak "$fn() is part of the real Test::Nginx that t/lib does not "
          . "implement; run this file with the real one";
}

# ---------------------------------------------------------------- process

sub cleanup () {
    for my $h (@CleanupHandlers) { $h->() }
    if (defined $ChildPid) {
        kill_process($ChildPid, 1, 'cleanup');
        undef $ChildPid;
    }
}

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub kill_process ($$$) {
    my ($pid, $wait, $name) = @_;
    return unless $pid;

    if ($wait) {
        kill SIGQUIT, $pid;
        my $left = $Timeout;
        while ($left > 0 && is_running($pid)) {
            waitpid($pid, WNOHANG);
            sleep 0.02;
            $left -= 0.02;
        }
    }

    my $step = $TestNginxSleep;
    for (1 .. 20) {
        waitpid($pid, WNOHANG);
        return unless is_running($pid);
        kill SIGTERM, $pid;
        $step *= 1.2;
        $step = 0.5 if $step > 0.5;
        sleep $step;
    }

    waitpid($pid, WNOHANG);
    return unless is_running($pid);
    warn "$name - WARNING: killing the process $pid with force...\n";
    kill SIGKILL, $pid;
    for (1 .. 50) {
        waitpid($pid, WNOHANG);
        last unless is_running($pid);
        sleep 0.02;
    }
}

sub get_pid_from_pidfile ($) {
    my ($name) = @_;
    open my $in, '<', $PidFile or return undef;
    my $pid = do { local $/; <$in> };
    close $in;
    return undef unless defined $pid;
    $pid =~ s/\s+//g;
    return $pid =~ /^\d+$/ ? $pid : undef;
}

sub stop_nginx ($) {
    my ($name) = @_;
    my $pid = get_pid_from_pidfile($name);
    if ($pid && is_running($pid)) {
        kill_process($pid, 1, $name);
    }
    if (defined $ChildPid) {
        kill_process($ChildPid, 1, $name) if is_running($ChildPid);
        waitpid($ChildPid, WNOHANG);
        undef $ChildPid;
    }
    unlink $PidFile if -f $PidFile;
    undef $NginxPid;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_nginx_version () {
    return $NginxVersion if defined $NginxVersion;
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the nginx binary "
                 . "\"$NginxBinary\": " . ($out // ''));
    }
    $NginxV = $out;
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        $NginxVersion = get_canon_version($1, $2, $3);
        return $NginxVersion;
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub can_run ($) {
    my ($cmd) = @_;
    if ($cmd =~ m{/}) {
        return (-f $cmd && -x $cmd) ? $cmd : undef;
    }
    for my $dir (split /:/, $ENV{PATH} // '') {
        next if $dir eq '';
        my $abs = "$dir/$cmd";
        return $abs if -f $abs && -x $abs;
    }
    return undef;
}

# ---------------------------------------------------------------- servroot

# every (re)start begins from an empty servroot, as in the real harness: a
# file a block leaves in html/ or logs/ is gone for the next block
sub setup_server_root ($) {
    my ($first_time) = @_;

    if (-d $ServRoot) {
        # only what we create ourselves, so that a mistaken
        # TEST_NGINX_SERVROOT cannot take the user's data with it
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_temp"), glob("$ServRoot/*_cache"));
        rmdir $ServRoot
            or bail_out("Can't remove $ServRoot (not empty?): $!");
    }

    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $d;
        make_path($d) or bail_out("Failed to do mkdir $d: $!\n");
    }

    my $index = "$HtmlDir/index.html";
    open my $out, '>', $index
        or bail_out("Can't open $index for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;
}


sub write_user_files ($) {
    my ($block) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);
        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if defined $fname;
                ($fname, $date, $body) = ($1, $2, undef);
            } else {
                $body .= $line;
            }
        }
        push @list, [$fname, $body, $date] if defined $fname;
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type for --- user_files");
    }

    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        $body = '' unless defined $body;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/}) {
            make_path($1) unless -d $1;
        }
        $body = expand_env_in_text($body, $name);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("$name - failed to touch $path\n");
        }
    }
}

our %RandPorts;

sub gen_rand_port () {
    my %used = ($ServerPort => 1, map { $_ => 1 } values %RandPorts);
    for (1 .. 1000) {
        my $port = int(rand 63550) + 1985;
        next if $used{$port};
        my $sock = IO::Socket::INET->new(LocalAddr => $ServerAddr,
                                         LocalPort => $port,
                                         Proto => 'tcp');
        if ($sock) {
            close $sock;
            return $port;
        }
    }
    return undef;
}

sub expand_env_in_text ($$) {
    my ($text, $name) = @_;
    return undef unless defined $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_\d+$/) {
            $RandPorts{$var} //= gen_rand_port()
                // bail_out("$name - Cannot find an available port for $var\n");
            $val = $RandPorts{$var};
        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $val = $ENV{$var};
        }
        $val;
    }ge;
    return $text;
}

sub _nginx_has_module ($) {
    my $mod = shift;
    get_nginx_version();
    return ($NginxV // '') !~ /--without-\Q$mod\E\b/;
}

sub gen_config ($$) {
    my ($block, $config) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config, $name);
    my $main_config = expand_env_in_text($block->main_config, $name);
    my $post_main_config =
        expand_env_in_text($block->post_main_config, $name);
    $http_config      = '' unless defined $http_config;
    $main_config      = '' unless defined $main_config;
    $post_main_config = '' unless defined $post_main_config;
    $config           = '' unless defined $config;

    my $log_level = $block->log_level || $LogLevel;
    my $server_name = $block->server_name;
    $server_name = $ServerName unless defined $server_name;

    my $modules = '';
    if ($LoadModules) {
        $modules = join '', map { "load_module $_;\n" }
                            grep { length } split /\s+/, $LoadModules;
    }

    my $env = '';
    for my $v (qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN
                  MOCKEAGAIN_WRITE_TIMEOUT_PATTERN LD_PRELOAD
                  LD_LIBRARY_PATH ASAN_OPTIONS), @EnvToNginx)
    {
        my $q = $v =~ /\s/ ? "'$v'" : $v;
        $env .= "env $q;\n";
    }

    # Distribution builds (e.g. Debian) compile in absolute temp paths
    # outside the server root; keep everything under servroot unless the
    # test configures it itself.
    my $temp = '';
    my $all = "$http_config\n$config";
    for my $t ([client_body => 'http_core'], [proxy => 'http_proxy_module'],
               [fastcgi => 'http_fastcgi_module'],
               [uwsgi => 'http_uwsgi_module'], [scgi => 'http_scgi_module'])
    {
        my ($prefix, $mod) = @$t;
        next if $all =~ /\b${prefix}_temp_path\b/;
        next if $mod ne 'http_core' && !_nginx_has_module($mod);
        $temp .= "    ${prefix}_temp_path $ServRoot/${prefix}_temp;\n";
    }

    my $user = '';
    if (defined $WorkerUser) {
        $user = "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $user = "user root;\n";
    }

    my $root_loc = $NoRootLocation ? '' : <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    return <<_EOC_;
${modules}worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $log_level;
pid       $PidFile;
$env$user
$main_config

http {
    access_log $AccLogFile;

    default_type text/plain;
    keepalive_timeout  68;
$temp
$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_loc    }
}

$post_main_config

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
}
_EOC_
}

sub write_config_file ($$) {
    my ($block, $text) = @_;
    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out $text;
    close $out;
}

# ---------------------------------------------------------------- logs

sub _file_size ($) { my @st = stat $_[0]; return @st ? $st[7] : 0 }

sub error_log_data () {
    # give nginx a chance to flush log-phase messages
    sleep $TestNginxSleep * 3;

    my @lines;
    if (open my $in, '<', $ErrLogFile) {
        seek $in, $ErrLogFilePos, 0
            if !$CheckAccumErrLog && $ErrLogFilePos > 0
               && $ErrLogFilePos <= _file_size($ErrLogFile);
        @lines = <$in>;
        $ErrLogFilePos = tell($in) unless $CheckAccumErrLog;
        close $in;
    }

    return \@lines;
}

sub access_log_data () {
    sleep $TestNginxSleep * 3;
    open my $in, '<', $AccLogFile or return [];
    my @lines = <$in>;
    close $in;
    return \@lines;
}

sub _read_file ($) {
    my $f = shift;
    open my $in, '<', $f or return '';
    local $/;
    my $s = <$in>;
    close $in;
    return defined $s ? $s : '';
}

# ---------------------------------------------------------------- start

sub _nginx_cmd () {
    # -e: what nginx says before it reads error_log is in error.log too
    return ($NginxBinary, '-e', $ErrLogFile, '-p', "$ServRoot/",
            '-c', $ConfFile);
}

sub _valgrind_prefix () {
    my @cmd = ('valgrind', '-q');
    if ($UseValgrind =~ /^\d+$/) {
        push @cmd, '--num-callers=100', '--tool=memcheck',
                   '--leak-check=full', '--show-possibly-lost=no',
                   '--gen-suppressions=all';
        push @cmd, '--suppressions=valgrind.suppress'
            if -f 'valgrind.suppress';
    } else {
        push @cmd, split ' ', $UseValgrind;
    }
    return @cmd;
}

# runs nginx in daemon mode and returns (exit status, stderr text)
sub _run_nginx_daemon () {
    my @cmd = _nginx_cmd();
    my $pid = fork();
    bail_out("fork() failed: $!") unless defined $pid;
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $StderrFile;
        exec @cmd or POSIX::_exit(127);
    }
    waitpid($pid, 0);
    my $status = $?;
    return ($status, _read_file($StderrFile));
}

# starts nginx in the foreground under valgrind (or plain, when daemon off)
sub _spawn_nginx_foreground () {
    my @cmd = _nginx_cmd();
    @cmd = (_valgrind_prefix(), @cmd) if $UseValgrind;
    my $pid = fork();
    bail_out("fork() failed: $!") unless defined $pid;
    if ($pid == 0) {
        $InSubprocess = 1;
        setpgrp(0, 0);
        open STDOUT, '>', '/dev/null';
        exec @cmd or POSIX::_exit(127);
    }
    $ChildPid = $pid;
    return $pid;
}

sub _wait_listening ($) {
    my ($max) = @_;
    my $deadline = Time::HiRes::time() + $max;
    while (Time::HiRes::time() < $deadline) {
        if (defined $ChildPid) {
            my $r = waitpid($ChildPid, WNOHANG);
            if ($r == $ChildPid || $r == -1) {
                undef $ChildPid;
                return 0;
            }
        }
        my $s = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => 0.5);
        if ($s) {
            close $s;
            return 1;
        }
        sleep 0.05;
    }
    return 0;
}

# ---------------------------------------------------------------- driver

sub run_tests () {
    get_nginx_version();

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        for my $h (@BlockPreprocessors) {
            $h->($block);
        }
        $block->set_value('name', "$0 " . $block->name);
        run_test($block);
    }

    cleanup();
}

sub _skip_spec ($) {
    my ($block) = @_;
    my $name = $block->name;

    if (defined(my $spec = $block->skip_eval)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            my ($n, $code) = ($1, $2);
            my $r = eval $code;
            bail_out("$name - skip_eval - failed to eval \"$code\": $@")
                if $@;
            return ($n, 'skip_eval') if $r;
        }
    }

    if (defined(my $spec = $block->skip_nginx)) {
        if ($spec =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                      (?:\s*:\s*(.*))?\s*$/x)
        {
            my ($n, $op, @v) = ($1, $2, $3, $4, $5);
            my $reason = $6 || "nginx version $op $v[0].$v[1].$v[2]";
            my $ver = get_canon_version(@v);
            return ($n, $reason) if eval "$NginxVersion $op $ver";
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $spec");
        }
    }

    return;
}

# A block restarts nginx when it has a --- config (TEST_NGINX_FORCE_RESTART_
# ON_TEST=0: when its --- config differs from the last one); a block without
# one talks to the nginx of the block before, whose http_config it keeps.
sub run_test ($) {
    my ($block) = @_;
    return if defined $block->SKIP;

    my $name = $block->name;
    %RandPorts = ();
    my $first_time = $FirstTime;
    undef $FirstTime;

    check_sections($block);

    my $config = expand_env_in_text($block->config, $name);
    my $must_die = $block->must_die;
    my ($tests_to_skip, $skip_reason) = _skip_spec($block);

    my $restart;
    if (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not "
                 . "get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?")
            unless defined $PrevConfig;
        $restart = 0;
    } else {
        $restart = !defined $PrevConfig || $config ne $PrevConfig
                   || $ForceRestartOnTest;
    }
    $restart = 1 if defined $must_die || $UseValgrind;

    # must_die blocks never run under valgrind and must not stay in the
    # foreground should nginx unexpectedly accept the config
    local $DaemonEnabled = defined $must_die ? 'on' : $DaemonEnabled;

    if (!defined $tests_to_skip && !$restart
        && (!$NginxPid || !is_running($NginxPid)))
    {
        # the nginx of the block before died: start it again as it was
        $restart = 1;
    }

    if (!defined $tests_to_skip && $restart) {
        my $conf_text = defined $config ? gen_config($block, $config)
                                        : $PrevConfText;
        $PrevConfig = $config if defined $config;
        $PrevConfText = $conf_text;

        stop_nginx($name);
        setup_server_root($first_time);
        write_user_files($block);
        write_config_file($block, $conf_text);

        if (!can_run($NginxBinary)) {
            bail_out("$name - Cannot find the nginx executable "
                     . "\"$NginxBinary\"");
        }

        if (defined $must_die) {
            _run_must_die($block, $must_die);
            return;
        }

        _start_nginx($block);
    }

    # in this package, as the real harness does: a .t file's helpers are
    # called fully qualified; it runs for skipped blocks too
    if (defined(my $init = $block->init)) {
        eval $init;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;

    for my $i (0 .. $RepeatEach - 1) {
        if ($i > 0) {
            write_user_files($block);
        }
        if (defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
            }
            next;
        }
        $RunTestHelper->($block, 0, $i);
    }

    if ($UseValgrind) {
        stop_nginx($name);
        undef $PrevConfig;
    }
}

# nginx -t must refuse the config: once a repeat, its error log checked
sub _run_must_die ($$) {
    my ($block, $must_die) = @_;
    my $name = $block->name;

    $ErrLogFilePos = 0;

    for my $i (0 .. $RepeatEach - 1) {
        my ($status) = _run_nginx_daemon();
        my $exit_code = $status >> 8;
        if ($status == -1 || $exit_code == 127) {
            Test::More::fail("$name - failed to execute the nginx command line");
        } elsif ($status & 128) {
            Test::More::fail("$name - nginx core dumped");
        } elsif ($must_die =~ /^\s*\d+\s*$/) {
            Test::More::is($must_die, $exit_code,
                           "$name - die with the expected exit code");
        } else {
            Test::More::isnt($status, 0, "$name - die as expected");
        }

        $CheckErrorLog->($block, undef, 0, $i, 0);

        if ($status == 0) {
            warn "WARNING: $name - nginx must die but it does not; "
                 . "killing it (req $i)\n";
            for (1 .. 20) {
                last if -f $PidFile;
                sleep $TestNginxSleep;
            }
            stop_nginx($name);
        }
    }

    undef $PrevConfig;   # force a fresh start for the next block
}

# a start that fails is retried a little (a port not yet free), then the
# whole file stops, as the real harness stops it
sub _start_nginx ($) {
    my ($block) = @_;
    my $name = $block->name;
    my $failure;

    for my $try (1 .. 10) {
        undef $failure;

        if ($DaemonEnabled eq 'on') {
            my ($status, $stderr) = _run_nginx_daemon();
            if ($status != 0) {
                $failure = "exit status " . ($status >> 8) . ": $stderr";
            } else {
                for (1 .. 100) {
                    last if get_pid_from_pidfile($name);
                    sleep 0.01;
                }
                $NginxPid = get_pid_from_pidfile($name);
            }
        } else {
            warn "$name\n" if $UseValgrind;
            _spawn_nginx_foreground();
            if (!_wait_listening($UseValgrind ? 30 : 10)) {
                $failure = "nginx did not listen in the foreground";
            }
            $NginxPid = get_pid_from_pidfile($name) || $ChildPid;
        }

        last unless $failure;
        sleep 0.1 * $try;
    }

    if ($failure) {
        undef $PrevConfig;
        bail_out("$name - Cannot start nginx using command \""
                 . join(' ', _nginx_cmd()) . "\" ($failure)");
    }

    sleep $TestNginxSleep;
}

END {
    return if $InSubprocess;
    cleanup();
    if ($UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN}) {
        local $?;
        stop_nginx('END');
    }
}

1;
