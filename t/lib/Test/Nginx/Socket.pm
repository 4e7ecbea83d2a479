package Test::Nginx::Socket;

# Minimal in-tree re-implementation of the subset of openresty/test-nginx's
# Test::Nginx::Socket used by this project's tests.  Only used when the real
# Test::Nginx is not installed (the Makefile adds -I t/lib in that case).
#
# NOTE: "use Test::Base -Base" enables Spiffy's source filter, which injects
# "my $self = shift;" into every named sub declared as "sub name {".  All
# named subs below therefore carry an explicit (non-empty) prototype.

use v5.10.1;
use Test::Base -Base;

our $VERSION = '0.33_local';

use Time::HiRes qw(sleep time);
use IO::Socket::INET ();
use IO::Select ();
use POSIX qw(EAGAIN EINTR);
use HTTP::Response ();
use List::Util qw(min);
use Test::LongString ();

use Test::Nginx::Util;

our @EXPORT = qw( env_to_nginx is_str plan run_tests run_test
  repeat_each config_preamble worker_connections
  master_process_enabled
  no_long_string workers master_on master_off
  log_level no_shuffle no_root_location
  server_name
  server_addr server_root html_dir server_port server_port_for_client
  timeout check_accum_error_log
  add_block_preprocessor bail_out add_cleanup_handler
  add_response_body_check
  use_hup no_nginx_manager add_test_cleanup_handler
);

our @ResponseBodyChecks;

sub value_contains ($$);

$Test::Nginx::Util::RunTestHelper = \&run_test_helper;
$Test::Nginx::Util::CheckErrorLog = \&check_error_log;

sub run_test ($) {
    Test::Nginx::Util::run_test($_[0]);
}

sub use_hup () { Test::Nginx::Util::unsupported_function('use_hup') }
sub no_nginx_manager () {
    Test::Nginx::Util::unsupported_function('no_nginx_manager');
}
sub add_test_cleanup_handler ($) {
    Test::Nginx::Util::unsupported_function('add_test_cleanup_handler');
}

sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}

# ------------------------------------------------------------- requests

sub parse_more_headers ($) {
    my ($in) = @_;
    my ($out, $is_chunked) = ('', undef);
    for my $h (split /\n+/, $in) {
        next if $h =~ /^\s*#/;
        my ($key, $val) = split /:\s*/, $h, 2;
        $val = '' unless defined $val;
        $is_chunked = 1
            if lc($key) eq 'transfer-encoding' && $val eq 'chunked';
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

# Build the raw request bytes from a "request" string: first line is
# "METHOD [URI [VERSION]]", everything after it is the body.
sub build_request ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn, $req) = @_;

    $req = '' unless defined $req;
    my ($first, $content) = split /\n/, $req, 2;
    if (!defined $first || $first !~ /\S/) {
        bail_out("$name - Request line should be non-empty");
    }

    my ($meth, $url, $ver);
    if ($first =~ /^\s*(\S+) *(?:(\S+) *)?(?:(\S+) *)?\s*$/) {
        ($meth, $url, $ver) = ($1, $2, $3);
    } else {
        bail_out("$name - Request line is not valid. Should be "
                 . "'meth [url [version]]' but got \"$first\".");
    }
    $url = '/' unless defined $url;
    $ver = 'HTTP/1.1' unless defined $ver;
    $content = '' unless defined $content;

    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($content) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/g;

    my $headers = '';
    $headers .= "Host: $Test::Nginx::Util::ServerName\r\n"
        if $more_headers !~ /(?:^|\n)Host:/msi;
    $headers .= "Connection: $conn\r\n"
        if $more_headers !~ /(?:^|\n)Connection/msi;
    $headers .= "$more_headers$len_header\r\n";

    return "$meth $url $ver\r\n$headers$content";
}

sub headers_for ($$$) {
    my ($more_headers, $i, $what) = @_;
    if (ref $more_headers eq 'ARRAY') {
        my $h = $more_headers->[$i];
        bail_out("--- more_headers lacks data for the $what") unless defined $h;
        return parse_more_headers($h);
    }
    return parse_more_headers($more_headers);
}

# returns a list of raw request strings, one per connection
sub get_req_from_block ($) {
    my ($block) = @_;
    my $name = $block->name;

    if (defined $block->raw_request) {
        my $rr = $block->raw_request;
        return [ ref $rr eq 'ARRAY' ? join('', @$rr) : $rr ];
    }

    my $request = $block->request;
    if (defined $request && !ref $request) {
        1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
    }

    my $more_headers = $block->more_headers;
    $more_headers = '' unless defined $more_headers;

    if (defined(my $reqs = $block->pipelined_requests)) {
        if (!ref $reqs || ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }
        my $all = '';
        for my $i (0 .. $#$reqs) {
            my $conn = $i == $#$reqs ? 'close' : 'keep-alive';
            my ($hdr, $chunked) =
                headers_for($more_headers, $i, "$i pipelined request");
            my $r = Test::Nginx::Util::expand_env_in_text($reqs->[$i], $name);
            $all .= build_request($name, $hdr, $chunked, $conn, $r);
        }
        return [$all];
    }

    if (!defined $request) {
        bail_out("$name - No '--- request' section specified");
    }

    if (!ref $request) {
        my ($hdr, $chunked) = headers_for($more_headers, 0, 'request');
        return [ build_request($name, $hdr, $chunked, 'close', $request) ];
    }

    if (ref $request eq 'ARRAY') {
        my @list;
        for my $i (0 .. $#$request) {
            my ($hdr, $chunked) = headers_for($more_headers, $i,
                                              "${i}th request");
            my $r = $request->[$i];
            if (ref $r eq 'ARRAY') {
                $r = join '', map { ref $_ ? $_->{value} : $_ } @$r;
            }
            push @list, build_request($name, $hdr, $chunked, 'close', $r);
        }
        return \@list;
    }

    bail_out("$name - invalid --- request: MUST be string or array of requests");
}

sub send_request ($$$) {
    my ($req, $timeout, $block) = @_;
    my $name = $block->name;

    my $sock;
    my $deadline = time + 5;
    while (1) {
        $sock = IO::Socket::INET->new(
            PeerAddr => $Test::Nginx::Util::ServerAddr,
            PeerPort => $Test::Nginx::Util::ServerPortForClient,
            Proto    => 'tcp',
            Timeout  => $timeout,
        );
        last if $sock;
        if (time >= $deadline) {
            my $tb = Test::More->builder;
            $tb->no_ending(1);
            Test::More::fail("$name - Can't connect to "
                . "$Test::Nginx::Util::ServerAddr:"
                . "$Test::Nginx::Util::ServerPortForClient: $! (aborted)\n");
            return undef;
        }
        sleep 0.05;
    }

    $sock->blocking(0);
    binmode $sock;

    my $resp = '';
    my $off = 0;
    my $sel = IO::Select->new($sock);
    my $end = time + $timeout;
    my $writing = 1;

    while (1) {
        my $left = $end - time;
        if ($left <= 0) {
            close $sock;
            if (!defined $block->abort) {
                my $tb = Test::More->builder;
                $tb->no_ending(1);
                Test::More::fail("ERROR: client socket timed out - $name\n");
            }
            last;
        }

        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef,
                                         undef, $left);
        if ($w && @$w) {
            my $n = syswrite($sock, $req, length($req) - $off, $off);
            if (defined $n) {
                $off += $n;
                if ($off >= length $req) {
                    $writing = 0;
                    if (defined(my $sd = $block->shutdown)) {
                        $sd = 1 if $sd =~ /^\s*$/;
                        shutdown($sock, $sd);
                    }
                }
            } elsif ($! != EAGAIN && $! != EINTR) {
                warn "write failed: $!\n";
                $writing = 0;
            }
        }
        if ($r && @$r) {
            my $n = sysread($sock, my $buf, 16384);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EINTR;
                warn "WARNING: $name - HTTP response read failure: $!\n";
                close $sock;
                last;
            }
            if ($n == 0) {
                close $sock;
                last;
            }
            $resp .= $buf;
        }
    }

    return $resp;
}

# Read as the real harness reads: a 304 or 101 ends the data; any other
# status (204 too) has a body, framed by chunks or Content-Length or, with
# neither, running to the end, so that pipelined responses after it are not
# seen.  A HEAD's missing body only silences the truncation warning.
sub parse_response ($$$) {
    my ($name, $raw, $head_req) = @_;

    my $left;
    my $raw_headers = '';
    if ($raw =~ /(.*?\r\n)\r\n/s) {
        $raw_headers = $1;
    }

    my $res = HTTP::Response->parse($raw);
    my $code = $res->code;
    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');
    my @trailers = $res->header('Trailer');

    if ($code && $code !~ /^\d+$/) {
        undef $code;
        $res->code(undef);
    }

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    if (defined $enc && $enc eq 'chunked') {
        my $body = $res->content;
        $body = '' unless defined $body;
        my $decoded = '';
        pos($body) = 0;
        while (1) {
            my $last = @trailers
                ? $body =~ /\G0[ \t]*\r\n/gc
                : $body =~ /\G0[ \t]*\r\n\r\n/gc;
            if ($last) {
                for my $t (@trailers) {
                    next if $body =~ /\G\Q$t\E: [^\n]*\r\n/gc;
                    return chunk_failure($name,
                        "invalid trailer data received (expected $t).");
                }
                if (@trailers && $body !~ /\G\r\n/gc) {
                    return chunk_failure($name,
                        "invalid chunked data received (expected CRLF).");
                }
                $left = substr($body, pos($body)) if pos($body) < length $body;
                last;
            }
            if ($body =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                my $p = pos($body);
                if (length($body) - $p < $size) {
                    return chunk_failure($name, "invalid chunked data "
                        . "received (not enought octets for the data section)");
                }
                $decoded .= substr($body, $p, $size);
                pos($body) = $p + $size;
                if ($body !~ /\G\r\n/gc) {
                    return chunk_failure($name,
                        "invalid chunked data received (expected CRLF).");
                }
            } elsif ($body =~ /\G(.+)/gcs) {
                return chunk_failure($name, "invalid chunked body received: $1");
            } else {
                return chunk_failure($name, "no last chunk found - $body");
            }
        }
        $res->content($decoded);

    } elsif (defined $len && $len ne '' && $len >= 0) {
        my $body = $res->content;
        $body = '' unless defined $body;
        if (length $body < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
                 . "but got ", length $body, "\n" unless $head_req;
        } elsif (length $body > $len) {
            $left = substr($body, $len);
            $res->content(substr($body, 0, $len));
        }
    }

    return ($res, $raw_headers, $left);
}

sub chunk_failure ($$) {
    my ($name, $why) = @_;
    my $tb = Test::More->builder;
    $tb->no_ending(1);
    Test::More::fail("$name - $why");
    return;
}

# ------------------------------------------------------------- checks

sub get_indexed_value ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;
    if ($need_array) {
        return $value->[$idx] if ref $value && ref $value eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected "
                 . "results should be arrays as well.");
    }
    if (ref $value && ref $value eq 'ARRAY') {
        return $value->[0];
    }
    return $value;
}

sub subst_ports ($) {
    my $s = shift;
    return $s if !defined $s || ref $s;
    $s =~ s/\$ServerPortForClient\b/$Test::Nginx::Util::ServerPortForClient/g;
    $s =~ s/\$ServerPort\b/$Test::Nginx::Util::ServerPort/g;
    return $s;
}

sub check_error_code ($$$$) {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $got = ($res && $res->code) || '';
    if (defined $block->error_code_like) {
        my $val = get_indexed_value($name, $block->error_code_like, $idx,
                                    $need_array);
        Test::More::like($got, qr/$val/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        my $val = get_indexed_value($name, $block->error_code, $idx,
                                    $need_array);
        Test::More::is($got, $val, "$name - status code ok");
    } else {
        Test::More::is($got, 200, "$name - status code ok");
    }
}

sub check_raw_response_headers ($$$$) {
    my ($block, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;
    if (defined $block->raw_response_headers_like) {
        my $pat = get_indexed_value($name, $block->raw_response_headers_like,
                                    $idx, $need_array);
        Test::More::like($raw_headers, qr/$pat/s,
                         "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $pat = get_indexed_value($name,
                                    $block->raw_response_headers_unlike,
                                    $idx, $need_array);
        Test::More::unlike($raw_headers, qr/$pat/s,
                           "$name - raw resp headers unlike");
    }
}

sub check_response_headers ($$$$$) {
    my ($block, $res, $raw_headers, $idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;

    if (defined $block->response_headers) {
        my $spec = get_indexed_value($name, $block->response_headers, $idx,
                                     $need_array);
        my %seen;
        for my $pair (Test::Nginx::Util::parse_headers_list($spec)) {
            my ($key, $val) = @$pair;
            next if $seen{$key}++;   # the real one keeps them in a hash
            if (!defined $val) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                    "$name - header $key not present in the raw headers");
                next;
            }
            $val = subst_ports($val);
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            Test::More::is($actual, $val, "$name - header $key ok");
        }

    } elsif (defined $block->response_headers_like) {
        my $spec = get_indexed_value($name, $block->response_headers_like,
                                     $idx, $need_array);
        my %seen;
        for my $pair (Test::Nginx::Util::parse_headers_list($spec)) {
            my ($key, $val) = @$pair;
            next if $seen{$key}++;
            $val = '' unless defined $val;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            Test::More::like($actual, qr/^$val$/,
                             "$name - header $key like ok");
        }
    }
}

sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;
    return $filter->($content) if ref $filter eq 'CODE';
    require Digest::MD5;
    require Digest::SHA;
    my %f = (
        md5_hex  => sub { Digest::MD5::md5_hex($_[0]) },
        sha1_hex => sub { Digest::SHA::sha1_hex($_[0]) },
        uc => sub { uc $_[0] }, lc => sub { lc $_[0] },
        ucfirst => sub { ucfirst $_[0] }, lcfirst => sub { lcfirst $_[0] },
        length => sub { length $_[0] },
    );
    my $code = $f{$filter}
        or bail_out($block->name . " - unknown filter, \"$filter\", "
                    . "specified in the --- response_body_filters section");
    return $code->($content);
}

sub transform_response_body ($$$) {
    my ($block, $res, $idx) = @_;
    return unless $res && defined $res->content;
    my $filters = $block->response_body_filters;
    return unless defined $filters;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//g;
        $filters = [ split /\s+/, $filters ];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }
    if (ref $filters->[0] eq 'ARRAY') {
        $filters = $filters->[$idx];
        bail_out($block->name . " - the --- response_body_filters two-"
                 . "dimensional array unmatch the specified request($idx)")
            unless defined $filters;
    }
    my $c = $res->content;
    $c = run_filter_helper($block, $_, $c) for @$filters;
    $res->content($c);
}

sub check_response_body ($$$$$) {
    my ($block, $res, $idx, $rep_idx, $need_array) = @_;
    my $name = $block->name;

    my $content = $res ? $res->content : undef;
    if (defined $content) {
        $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
        $content =~ s/^Connection: TE, close\r\n//gms;
    }

    if (defined $block->response_body) {
        my $expected = get_indexed_value($name, $block->response_body, $idx,
                                         $need_array);
        $expected = subst_ports($expected);
        $expected = Test::Nginx::Util::expand_env_in_text($expected, $name)
            if defined $expected && !ref $expected;
        my $desc = "$name - response_body - response is expected "
                   . "(repeated req $rep_idx, req $idx)";
        if (ref $expected) {
            Test::More::like($content, $expected,
                "$name - response_body - like (repeated req $rep_idx, req $idx)");
        } elsif ($Test::Nginx::Util::NoLongString) {
            Test::More::is($content, $expected, $desc);
        } else {
            Test::LongString::is_string($content, $expected, $desc);
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my ($pats, $type) = defined $block->response_body_like
            ? ($block->response_body_like, 'like')
            : ($block->response_body_unlike, 'unlike');
        my $pat = get_indexed_value($name, $pats, $idx, $need_array);
        $pat = subst_ports($pat);
        my $summary = Test::Nginx::Util::trim($content);
        $summary = '' unless defined $summary;
        my $desc = "$name - response_body_$type - response is expected "
                   . "($summary)";
        if ($type eq 'like') {
            Test::More::like($content, qr/$pat/s, $desc);
        } else {
            Test::More::unlike($content, qr/$pat/s, $desc);
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res->content, $idx, $rep_idx, 0);
    }
}

sub fmt_str ($) {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    return $s;
}

sub value_contains ($$) {
    my ($val, $pat) = @_;
    return $val =~ /\Q$pat\E/ if !ref $val || ref $val eq 'Regexp';
    if (ref $val eq 'ARRAY') {
        for (@$val) { return 1 if value_contains($_, $pat) }
    }
    return undef;
}

sub normalize_patterns ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [ split /\n+/, $pats ];
    }
    return [$pats] if ref $pats eq 'Regexp';
    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return (ref $pat && $line =~ /$pat/) || $line =~ /\Q$pat\E/;
}

sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $rep_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;
    my %warn_on = (alert => 1, crit => 1, emerg => 1);

    my $grep_pats = $block->grep_error_log;
    if (defined $grep_pats) {
        my $grep_pat = ref $grep_pats eq 'ARRAY'
                       ? $grep_pats->[$rep_idx] : $grep_pats;
        my $expected = $block->grep_error_log_out;
        bail_out("$name - No --- grep_error_log_out defined but "
                 . "--- grep_error_log is defined") unless defined $expected;
        $expected = $expected->[$rep_idx] if ref $expected eq 'ARRAY';
        $lines ||= Test::Nginx::Util::error_log_data();
        my $matched = '';
        for my $line (@$lines) {
            if ((ref $grep_pat && $line =~ /$grep_pat/)
                || $line =~ /\Q$grep_pat\E/)
            {
                my $m = $&;
                $matched .= "$m\n" if $m !~ /\n/;
            }
        }
        my $desc = "$name - grep_error_log_out (req $rep_idx)";
        if (ref $expected eq 'Regexp') {
            Test::More::like($matched, $expected, $desc);
        } else {
            is_str($matched, $expected, $desc);
        }
    }

    if (defined $block->error_log) {
        my $pats = $block->error_log;
        for my $lvl (keys %warn_on) {
            delete $warn_on{$lvl} if value_contains($pats, "[$lvl");
        }
        $pats = normalize_patterns($pats);
        $lines ||= Test::Nginx::Util::error_log_data();
        for my $line (@$lines) {
            for my $pat (@$pats) {
                next unless defined $pat;
                if (line_matches($line, $pat)) {
                    Test::More::pass("$name - pattern \"$pat\" matches a "
                                     . "line in error.log (req $rep_idx)");
                    undef $pat;
                }
            }
        }
        for my $pat (@$pats) {
            next unless defined $pat;
            Test::More::fail("$name - pattern \"$pat\" should match a line "
                             . "in error.log (req $rep_idx)");
        }
    }

    if (defined $block->no_error_log) {
        my $pats = $block->no_error_log;
        for my $lvl (keys %warn_on) {
            delete $warn_on{$lvl} if value_contains($pats, "[$lvl");
        }
        $pats = normalize_patterns($pats);
        $lines ||= Test::Nginx::Util::error_log_data();
        my %found;
        for my $i (0 .. $#$lines) {
            my $line = $lines->[$i];
            for my $pat (@$pats) {
                next unless defined $pat;
                next unless line_matches($line, $pat);
                if ($found{$pat}++) {
                    my $tb = Test::More->builder;
                    $tb->no_ending(1);
                }
                my @more = @$lines[$i + 1 .. min($i + 9, $#$lines)];
                Test::More::fail("$name - pattern \"" . fmt_str($pat)
                    . "\" should not match any line in error.log but "
                    . "matches line \"" . fmt_str($line)
                    . "\" (req $rep_idx)\n" . join('', @more));
            }
        }
        for my $pat (@$pats) {
            next if !defined $pat || $found{$pat};
            Test::More::pass("$name - pattern \"" . fmt_str($pat)
                . "\" does not match a line in error.log (req $rep_idx)");
        }
    }

    if (%warn_on) {
        $lines ||= Test::Nginx::Util::error_log_data();
        for my $line (@$lines) {
            for my $lvl (sort keys %warn_on) {
                if ($line =~ /\[$lvl\]/) {
                    warn "WARNING: $name - " . fmt_str($line) . "\n";
                }
            }
        }
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            my $tb = Test::More->builder;
            $tb->no_ending(1);
            my $l = $line;
            chomp $l;
            Test::More::fail("$name - $l\n");
        }
    }
}

sub check_access_log ($$) {
    my ($block, $rep_idx) = @_;
    my $name = $block->name;
    my $lines;

    if (defined $block->access_log) {
        my $pats = normalize_patterns($block->access_log);
        $lines ||= Test::Nginx::Util::access_log_data();
        for my $line (@$lines) {
            for my $pat (@$pats) {
                next unless defined $pat;
                if (line_matches($line, $pat)) {
                    Test::More::pass("$name - pattern \"$pat\" matches a "
                                     . "line in access.log (req $rep_idx)");
                    undef $pat;
                }
            }
        }
        for my $pat (@$pats) {
            next unless defined $pat;
            Test::More::fail("$name - pattern \"$pat\" should match a line "
                             . "in access.log (req $rep_idx)");
        }
    }

    if (defined $block->no_access_log) {
        my $pats = normalize_patterns($block->no_access_log);
        $lines ||= Test::Nginx::Util::access_log_data();
        my %found;
        for my $line (@$lines) {
            for my $pat (@$pats) {
                next unless defined $pat && line_matches($line, $pat);
                $found{$pat}++;
                Test::More::fail("$name - pattern \"" . fmt_str($pat)
                    . "\" should not match any line in access.log but "
                    . "matches line \"" . fmt_str($line)
                    . "\" (req $rep_idx)");
            }
        }
        for my $pat (@$pats) {
            next if !defined $pat || $found{$pat};
            Test::More::pass("$name - pattern \"" . fmt_str($pat)
                . "\" does not match a line in access.log (req $rep_idx)");
        }
    }
}

# ------------------------------------------------------------- driver

sub run_test_helper ($$$) {
    my ($block, $dry_run, $rep_idx) = @_;
    my $name = $block->name;

    my $reqs = get_req_from_block($block);
    bail_out("$name - request empty") unless @$reqs;

    my $timeout = Test::Nginx::Util::parse_time($block->timeout);
    $timeout = Test::Nginx::Util::timeout() unless defined $timeout;

    my ($res, $need_array, $n);
    my $req_idx = 0;

    for my $req (@$reqs) {
        my $head_req = $req =~ /^\s*HEAD\s+/ ? 1 : 0;
        my $raw_resp = send_request($req, $timeout, $block);

        if (defined $block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = @$reqs > 1;
        }

        while (1) {
            $raw_resp = '' unless defined $raw_resp;
            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                ($res, $raw_headers, $left) =
                    parse_response($name, $raw_resp, $head_req);
            }

            if (!$n) {
                if ($left) {
                    (my $l = $left) =~
                        s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last "
                         . "chunk in response: \"$l\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $req_idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $req_idx,
                                           $need_array);
                check_response_headers($block, $res, $raw_headers, $req_idx,
                                       $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $req_idx, $rep_idx,
                                    $need_array);
            }

            if ($n || $req_idx < @$reqs - 1) {
                sleep $block->wait if $block->wait;
                check_error_log($block, $res, $dry_run, $rep_idx,
                                $need_array);
                check_access_log($block, $rep_idx)
                    unless defined $block->ignore_response;
            }

            $req_idx++;
            last unless $n;
        }
    }

    sleep $block->wait if $block->wait;

    check_error_log($block, $res, $dry_run, $rep_idx, $need_array);
    check_access_log($block, $rep_idx) unless defined $block->ignore_response;
}

1;
