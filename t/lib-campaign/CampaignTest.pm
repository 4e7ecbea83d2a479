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
use Digest::SHA qw(hmac_sha256_hex);

use Exporter 'import';
our @EXPORT = qw(store_dir fresh_store start_campaignd stop_campaignd
                 campaignd_bin campaignd_pid run_campaignd wait_for
                 api run_perl_sections defaults server_port mock_port
                 mock_whatsapp_config mock_log_lines
                 storectl slurp text_flow);

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
# so that a test waits on a condition, never on a fixed time.  A condition
# that dies counts as not yet: a request can find no answer while nginx
# or campaignd is starting or stopping, and the caller's own assertion is
# what fails.
sub wait_for {
    my ($cond, $seconds) = @_;
    my $end = time + ($seconds || 10);
    my $died;

    while (1) {
        my $r = eval { $cond->() };
        $died = $@;
        return $r if $r;
        if (time >= $end) {
            Test::More::diag("wait_for: the condition died: $died") if $died;
            return $r;
        }
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
    openapi_check_call($res, @_);
    return ($res->{status}, $data);
}


# a published flow $id that sends one WhatsApp text through $channel and
# ends: (status of the create, status of the publish)
# the http_config of a block whose mock WhatsApp (on mock_port()) accepts
# every send under /wa/ and logs "uri|authorization|body" lines to $log
sub mock_whatsapp_config {
    my ($log) = @_;
    my $mock = mock_port();
    return <<"_EOC_";
    campaign_store \$TEST_NGINX_CAMPAIGN_STORE;
    log_format mock escape=none '\$request_uri|\$http_authorization|\$request_body';
    server {
        listen 127.0.0.1:$mock;
        location /wa/ {
            access_log $log mock;
            rewrite ^ /answer/ok break;
            proxy_pass http://127.0.0.1:$mock;
        }
        location = /answer/ok {
            access_log off;
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.\$request_id"}]}';
        }
    }
_EOC_
}


# the lines of a mock provider's log, as mock_whatsapp_config() writes it
sub mock_log_lines {
    my ($log) = @_;
    open my $fh, '<', $log or return ();
    return grep { /\S/ } <$fh>;
}


sub text_flow {
    my ($id, $channel) = @_;
    my ($created) = api(POST => '/flows', {id => $id, name => $id,
        trigger => 'manual', definition => {start => 's', nodes => [
            {id => 's', type => 'send_whatsapp', channel_id => $channel,
             message => {type => 'text', text => 'Hi {{contact.name}}'},
             next => 'e'},
            {id => 'e', type => 'end'}]}});
    my ($published) = api(POST => "/flows/$id/publish");
    return ($created, $published);
}


# a WhatsApp webhook POST for phone number id 1001 carrying $value (the
# change's members after metadata), signed with the channel's app secret
# (default "s3cret"); returns the HTTP status
sub wa_webhook {
    my ($value, $secret) = @_;
    my $port = server_port();
    my $body = '{"object":"whatsapp_business_account","entry":[{"id":"WABA1",'
             . '"changes":[{"field":"messages","value":{"messaging_product":'
             . '"whatsapp","metadata":{"display_phone_number":"15550001",'
             . '"phone_number_id":"1001"},' . $value . '}}]}]}';
    my $res = $http->request('POST', "http://127.0.0.1:$port/webhooks/whatsapp", {
        headers => { 'Content-Type' => 'application/json',
                     'X-Hub-Signature-256' => 'sha256='
                         . hmac_sha256_hex($body, $secret // 's3cret') },
        content => $body });
    return $res->{status};
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


# ---------------------------------------------------------------- OpenAPI
#
# Every block's requests to a campaign_api location are checked against the
# OpenAPI document (ngx_module/ngx_http_campaign_openapi.json): the response
# body against the schema of the response the document gives for the
# operation (method + path template) and the status the block expects, and
# a JSON request body the block expects to succeed (2xx) against the
# operation's requestBody schema. The check Test::Nginx gives a block sees
# the body only, so a body that is not JSON passes where the document gives
# a media type besides JSON; api() calls are checked with the status and
# Content-Type they got. A mismatch is an ordinary failure; a block with
# "--- no_openapi_check" is not checked (one that sends what the document
# calls invalid, or whose answer shows a bug elsewhere: its description
# says which). CAMPAIGN_OPENAPI_DOC names another document,
# CAMPAIGN_OPENAPI_DEBUG=1 lists the requests left to other locations.
#
# The document is JSON Schema 2020-12 (OpenAPI 3.1); Debian's
# JSON::Validator (5.14) knows neither 2020-12 nor unevaluatedProperties,
# so Debian's python3-jsonschema validates: one process per .t file,
# started at the first body, each schema compiled once, one line of JSON
# each way per body. Only failures are reported, so a file's test count
# does not change.

my $OpenApiFile = $ENV{CAMPAIGN_OPENAPI_DOC} || 'ngx_module/ngx_http_campaign_openapi.json';
my $OpenApiPython = <<'_PY_';
import json, sys
import jsonschema
doc = json.load(open(sys.argv[1], encoding="utf-8"))
try:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012
    reg = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(doc))
    make = lambda s: jsonschema.Draft202012Validator(s, registry=reg)
except ImportError:
    res = jsonschema.RefResolver("urn:openapi", doc)
    make = lambda s: jsonschema.Draft202012Validator(s, resolver=res)
for name, schema in doc["components"]["schemas"].items():
    jsonschema.Draft202012Validator.check_schema(schema)
cache = {}
print("ready", flush=True)
for line in sys.stdin:
    ptr, value = json.loads(line)
    v = cache.get(ptr)
    if v is None:
        v = cache[ptr] = make({"$ref": "urn:openapi#" + ptr})
    errs = sorted(v.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    print(json.dumps(["/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message[:240]
                      for e in errs[:3]]), flush=True)
_PY_

my ($OpenApi, @OpenApiOps);
my ($ValidatorPid, $ValidatorIn, $ValidatorOut, $ValidatorOwner, $ValidatorBroken);
my %OpenApiCount = (responses => 0, requests => 0, media => 0, opted_out => 0);
my $Unfiltered;
my $bytes_json = JSON::PP->new->utf8->canonical->allow_nonref;

sub openapi_doc {
    return $OpenApi if $OpenApi;

    $OpenApi = $bytes_json->decode(slurp($OpenApiFile) || die "$OpenApiFile: cannot read\n");

    for my $tpl (sort keys %{ $OpenApi->{paths} }) {
        (my $rx = quotemeta $tpl) =~ s/\\\{[^}]+?\\\}/[^\/]+/g;
        my $params = () = $tpl =~ /\{/g;
        my $item = $OpenApi->{paths}{$tpl};
        for my $m (sort keys %$item) {
            next if $m eq 'parameters';
            (my $ptr = $tpl) =~ s/~/~0/g;
            $ptr =~ s{/}{~1}g;
            push @OpenApiOps, { method => uc $m, tpl => $tpl, rx => qr/^$rx$/,
                                params => $params, op => $item->{$m},
                                ptr => "/paths/$ptr/$m" };
        }
    }

    return $OpenApi;
}

# the object at a JSON pointer of the document, and that of its $ref chain
sub openapi_at {
    my ($ptr) = @_;
    my $node = openapi_doc();

    for my $part (grep { length } split m{/}, $ptr) {
        $part =~ s/~1/\//g;
        $part =~ s/~0/~/g;
        $node = ref $node eq 'ARRAY' ? $node->[$part] : $node->{$part};
        return undef unless defined $node;
    }

    while (ref $node eq 'HASH' && defined $node->{'$ref'}) {
        $ptr = substr $node->{'$ref'}, 1;
        ($node, $ptr) = openapi_at($ptr);
    }

    return wantarray ? ($node, $ptr) : $node;
}

# the validator's errors for $value against the schema at $ptr (at most 3)
sub openapi_errors {
    my ($ptr, $value) = @_;

    return () if $ValidatorBroken;

    unless ($ValidatorPid && $ValidatorOwner == $$) {
        require IPC::Open2;
        $ValidatorOwner = $$;
        $ValidatorPid = eval {
            IPC::Open2::open2($ValidatorOut, $ValidatorIn, '/usr/bin/python3', '-c',
                              $OpenApiPython, $OpenApiFile);
        };
        my $ready = $ValidatorPid ? readline($ValidatorOut) : undef;
        unless (defined $ready && $ready eq "ready\n") {
            $ValidatorBroken = 1;
            Test::More::fail("OpenAPI check: /usr/bin/python3 with jsonschema (Debian's "
                             . "python3-jsonschema) cannot validate $OpenApiFile");
            return ();
        }
    }

    print {$ValidatorIn} $bytes_json->encode([$ptr, $value]), "\n";
    my $line = readline($ValidatorOut);

    unless (defined $line) {
        $ValidatorBroken = 1;
        Test::More::fail("OpenAPI check: the validator stopped");
        return ();
    }

    return @{ $bytes_json->decode($line) };
}

# the block's requests as the harness sends them: method, URI, the body
# (trimmed as the harness trims it) and the Content-Type of more_headers
sub block_requests {
    my ($block) = @_;
    my @texts;

    if (defined(my $p = $block->pipelined_requests)) {
        @texts = @$p if ref $p eq 'ARRAY';
    } elsif (defined(my $r = $block->request)) {
        if (!ref $r) {
            1 while $r =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
            @texts = ($r);
        } elsif (ref $r eq 'ARRAY') {
            @texts = map { ref $_ eq 'ARRAY'
                           ? join('', map { ref $_ ? $_->{value} : $_ } @$_) : $_ } @$r;
        }
    }

    my $more = $block->more_headers;
    my @reqs;

    for my $i (0 .. $#texts) {
        my $text = $texts[$i];
        next unless defined $text && !ref $text;
        $text =~ s/\$(TEST_NGINX_[_A-Z0-9]+)/defined $ENV{$1} ? $ENV{$1} : "\$$1"/ge;
        my ($first, $content) = split /\n/, $text, 2;
        my ($method, $uri) = ($first // '') =~ /^\s*(\S+)\s*(\S+)?/;
        next unless defined $method;
        $content = '' unless defined $content;
        $content =~ s/^\s+|\s+$//gs;

        my $h = ref $more eq 'ARRAY' ? $more->[$i] : $more;
        my ($ctype) = grep { defined } map { /^\s*content-type\s*:\s*(.*?)\s*$/i ? $1 : undef }
                      grep { !/^\s*#/ } split /\n+/, $h // '';

        push @reqs, { method => uc $method, uri => $uri // '/', body => $content,
                      ctype => $ctype };
    }

    return \@reqs;
}

# the campaign_api location prefix a URI goes to, or undef when nginx
# gives it to another location (webhooks, metrics, console, mocks)
sub api_prefix {
    my ($config, $path) = @_;
    my (@exact, @prefix, @regex);

    while ($config =~ /\blocation\s+(?:(=|\^~|~\*?)\s*)?("[^"]*"|[^\s{]+)\s*\{/g) {
        my ($mod, $name, $start) = ($1 // '', $2, pos $config);
        $name =~ s/^"|"$//g;
        my ($depth, $i) = (1, $start);
        while ($depth && $i < length $config) {
            my $c = substr $config, $i++, 1;
            $depth += $c eq '{' ? 1 : $c eq '}' ? -1 : 0;
        }
        my $body = substr $config, $start, $i - $start - 1;
        1 while $body =~ s/\{[^{}]*\}//g;     # its own directives only
        my $loc = { name => $name, api => scalar($body =~ /(?:^|[\s;])campaign_api[\s;]/) };
        push @{ $mod eq '=' ? \@exact : $mod =~ /~/ ? \@regex : \@prefix },
             { %$loc, mod => $mod };
        pos($config) = $start;
    }

    my ($loc) = grep { $_->{name} eq $path } @exact;
    unless ($loc) {
        ($loc) = sort { length $b->{name} <=> length $a->{name} }
                 grep { index($path, $_->{name}) == 0 } @prefix;
        unless ($loc && $loc->{mod} eq '^~') {
            my ($re) = grep { my $rx = $_->{mod} eq '~*' ? qr/$_->{name}/i : qr/$_->{name}/;
                              $path =~ $rx } @regex;
            $loc = $re if $re;
        }
    }

    return undef unless $loc && $loc->{api} && $loc->{mod} ne '~' && $loc->{mod} ne '~*';
    return $loc->{name};
}

# the document's operation for a method and a path below the API's prefix:
# (operation, or undef and the status nginx answers: 404 no such path, 405)
sub find_operation {
    my ($method, $path) = @_;
    openapi_doc();

    my @found = sort { $a->{params} <=> $b->{params} }
                grep { $path =~ $_->{rx} } @OpenApiOps;
    return (undef, 404) unless @found;

    my ($op) = grep { $_->{method} eq $method } @found;
    return $op ? ($op) : (undef, 405);
}

sub expected_statuses {
    my ($block, $idx, $n) = @_;
    my $pick = sub {
        my $v = shift;
        $v = $v->[$n > 1 ? $idx : 0] if ref $v eq 'ARRAY';
        $v = '' unless defined $v;
        $v =~ s/^\s+|\s+$//g;
        return $v;
    };

    if (defined(my $e = $block->error_code)) {
        return ($pick->($e));
    }
    if (defined(my $l = $block->error_code_like)) {
        my $rx = $pick->($l);
        return grep { /$rx/ } 100 .. 599;
    }
    return (200);
}

sub openapi_response {
    my ($op, $status) = @_;
    my $rs = $op->{op}{responses};

    for my $key ($status, substr($status, 0, 1) . 'XX', $status >= 400 ? 'default' : ()) {
        next unless $rs->{$key};
        (my $k = $key) =~ s/~/~0/g;
        return openapi_at("$op->{ptr}/responses/$k");
    }

    return;
}

# the response body against the document: '' when it matches, else why not
sub check_response_against {
    my ($op, $method, $status, $body, $ctype) = @_;
    my ($r, $rptr) = openapi_response($op, $status);

    return "status $status is not documented" unless $r;
    return '' if $method eq 'HEAD';

    my $content = $r->{content};
    unless ($content && %$content) {
        return length $body ? "a body where the document has none" : '';
    }

    # the media type: the answer's Content-Type where it is known (api()),
    # else JSON when the body is JSON (a block's check sees no headers)
    if (defined $ctype) {
        $ctype = lc($ctype =~ s/;.*//sr) =~ s/\s+//gr;
        return "Content-Type '$ctype', the document has "
               . join(', ', sort keys %$content) unless $content->{$ctype};
        unless ($ctype eq 'application/json') {
            $OpenApiCount{media}++;
            return '';
        }
    }

    my $value = eval { $bytes_json->decode($body) };
    unless ($@ eq '' && exists $content->{'application/json'}) {
        if (!defined $ctype && grep { $_ ne 'application/json' } keys %$content) {
            $OpenApiCount{media}++;
            return '';
        }
        return "not JSON: " . substr($body, 0, 120);
    }

    my $ptr = "$rptr/content/application~1json/schema";
    my @errs = openapi_errors($ptr, $value);
    $OpenApiCount{responses}++;

    return @errs ? "response body does not match $ptr: " . join('; ', @errs) : '';
}

sub check_request_against {
    my ($op, $req) = @_;
    my ($rb, $rbptr) = $op->{op}{requestBody}
        ? openapi_at("$op->{ptr}/requestBody") : ();

    unless (length $req->{body}) {
        return $rb && $rb->{required} ? "the document requires a request body" : '';
    }
    return "the document has no request body here" unless $rb;

    my $type = lc(($req->{ctype} // '') =~ s/;.*//sr);
    $type =~ s/\s+//g;
    return "request Content-Type '$type' is not one the document gives"
        unless $rb->{content}{$type};
    unless ($type eq 'application/json') {
        $OpenApiCount{media}++;
        return '';
    }

    my $value = eval { $bytes_json->decode($req->{body}) };
    return "the request body is not JSON: $@" if $@;

    my $ptr = "$rbptr/content/application~1json/schema";
    my @errs = openapi_errors($ptr, $value);
    $OpenApiCount{requests}++;

    return @errs ? "request body does not match $ptr: " . join('; ', @errs) : '';
}

sub openapi_check {
    my ($block, $body, $idx, $rep_idx, $dry_run) = @_;
    my $unfiltered = $Unfiltered;
    undef $Unfiltered;

    return if $dry_run || defined $block->must_die;

    if (defined $block->no_openapi_check) {
        $OpenApiCount{opted_out}++;
        return;
    }

    my $reqs = block_requests($block);
    my $req = $reqs->[$idx] or return;
    my ($uri_path) = split /\?/, $req->{uri}, 2;
    $uri_path =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    $uri_path =~ s{/{2,}}{/}g;

    my $prefix = api_prefix($block->config // '', $uri_path);
    unless (defined $prefix) {
        Test::More::diag("OpenAPI check: not the API: $req->{method} $req->{uri}")
            if $ENV{CAMPAIGN_OPENAPI_DEBUG};
        return;
    }

    my $rest = substr $uri_path, length $prefix;
    return if $prefix !~ m{/$} && length $rest && $rest !~ m{^/};
    $rest =~ s{^/+|/+$}{}g;

    if (defined $block->response_body_filters) {
        Test::More::diag("OpenAPI check: no unfiltered body: $req->{method} $req->{uri}")
            if $ENV{CAMPAIGN_OPENAPI_DEBUG} && !defined $unfiltered;
        return unless defined $unfiltered;
        $body = $unfiltered;
    }
    $body = '' unless defined $body;

    my $method = $req->{method};
    my ($op, $nginx_status) = find_operation($method, "/$rest");
    my @statuses = expected_statuses($block, $idx, scalar @$reqs);
    my $what = sprintf "%s - OpenAPI: %s %s -> %s", $block->name, $method,
                       $req->{uri}, join('|', @statuses) || '?';

    unless ($op) {
        # no operation: the module's JSON 404 or 405, an Error
        my $value = eval { $bytes_json->decode($body) };
        return if $method eq 'HEAD' && $body eq '';
        unless (grep { $_ == $nginx_status } @statuses) {
            Test::More::fail("$what: no operation $method /$rest in the document"
                             . " (the path answers $nginx_status)");
            return;
        }
        my @errs = ref $value eq 'HASH' ? openapi_errors('/components/schemas/Error', $value)
                                        : ("not JSON");
        $OpenApiCount{responses}++;
        Test::More::fail("$what: not an Error: " . join('; ', @errs)) if @errs;
        return;
    }

    $what .= " ($op->{op}{operationId})";

    if (@statuses && !grep { !/^2/ } @statuses) {
        my $why = check_request_against($op, $req);
        Test::More::fail("$what: $why") if $why;
    }

    my @why;
    for my $st (@statuses) {
        my $why = check_response_against($op, $method, $st, $body);
        return unless $why;
        push @why, @statuses > 1 ? "$st: $why" : $why;
    }
    Test::More::fail("$what: " . join(' | ', @why)) if @why;
}

# the block that runs (for api() calls of its "--- run"), and the
# unfiltered body of a block with response_body_filters, for the check
my $CurrentBlock;

sub openapi_preprocess {
    my ($block) = @_;
    $CurrentBlock = $block;
    my $f = $block->response_body_filters;
    return unless defined $f;

    my $keep = sub { $Unfiltered = $_[0]; return $_[0] };
    if (!ref $f) {
        (my $s = $f) =~ s/^\s+|\s+$//gs;
        $f = [ $keep, split /\s+/, $s ];
    } elsif (ref $f eq 'ARRAY' && ref $f->[0] eq 'ARRAY') {
        $f = [ map { [ $keep, @$_ ] } @$f ];
    } elsif (ref $f eq 'ARRAY') {
        $f = [ $keep, @$f ];
    } else {
        $f = [ $keep, $f ];
    }
    $block->set_value('response_body_filters', $f);
}

# an api() call (a block's "--- run", a file's set-up) against the
# document, with the status and Content-Type it was answered
sub openapi_check_call {
    my ($res, $method, $path, $body, $type) = @_;

    return if $res->{status} == 599;          # HTTP::Tiny's own: no answer
    if ($CurrentBlock && defined $CurrentBlock->no_openapi_check) {
        $OpenApiCount{opted_out}++;
        return;
    }

    $method = uc $method;
    my ($p) = split /\?/, $path, 2;
    $p =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    $p =~ s{/{2,}}{/}g;
    $p =~ s{^/+|/+$}{}g;

    my $status = $res->{status};
    my $content = $res->{content} // '';
    my ($op, $nginx_status) = find_operation($method, "/$p");
    my $what = sprintf "%sOpenAPI: api(%s %s) -> %d", $CurrentBlock
                       ? $CurrentBlock->name . ' - ' : '', $method, $path, $status;

    unless ($op) {
        return if $method eq 'HEAD';
        my $value = eval { $bytes_json->decode($content) };
        my @errs = $status != $nginx_status
            ? ("no operation $method /$p in the document (the path answers $nginx_status)")
            : ref $value eq 'HASH' ? openapi_errors('/components/schemas/Error', $value)
            : ("not JSON");
        $OpenApiCount{responses}++ if $status == $nginx_status;
        Test::More::fail("$what: " . join('; ', @errs)) if @errs;
        return;
    }

    $what .= " ($op->{op}{operationId})";

    if ($status =~ /^2/ && defined $body) {
        my $why = check_request_against($op, {
            body => ref $body ? $bytes_json->encode($body) : $body,
            ctype => $type || 'application/json' });
        Test::More::fail("$what: $why") if $why;
    }

    my $why = check_response_against($op, $method, $status, $content,
                                     $res->{headers}{'content-type'} // '');
    Test::More::fail("$what: $why") if $why;
}


# installed once the .t file is compiled, so that every file using
# Test::Nginx::Socket has it, whether or not it calls defaults()
INIT {
    if (defined &Test::Nginx::Socket::add_response_body_check) {
        Test::Nginx::Util::add_block_preprocessor(\&openapi_preprocess);
        Test::Nginx::Socket::add_response_body_check(\&openapi_check);
    }
}

sub openapi_done {
    return unless $ValidatorPid && $ValidatorOwner == $$;
    close $ValidatorIn;
    waitpid $ValidatorPid, 0;
    undef $ValidatorPid;
    Test::More::note(sprintf "OpenAPI check: %d response(s) and %d request body(ies) "
                     . "validated, %d non-JSON body(ies) of a documented type, "
                     . "%d response(s) opted out",
                     @OpenApiCount{qw(responses requests media opted_out)});
}


# local $?: the END block must not turn a failing test file's exit status
# into campaignd's
END { local $?; stop_campaignd(); openapi_done() }

1;
