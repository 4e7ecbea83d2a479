# Self-test for the in-tree Test::Nginx::Socket subset (t/lib).  Uses only
# stock nginx features, and is also a plain Test::Nginx file that should pass
# under the real openresty/test-nginx.
#
#   TEST_NGINX_BINARY=/usr/sbin/nginx prove -I t/lib t/harness-selftest/

use Test::Nginx::Socket;

repeat_each(2);

plan tests => repeat_each() * 30;

our $HttpConfig = <<'_EOC_';
    map $uri $mapped_value {
        default "mapped:$uri";
    }
_EOC_

# fill in a request for blocks that only give a config
add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->request && !defined $block->must_die
        && !defined $block->pipelined_requests)
    {
        $block->set_value("request", "GET /pre");
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: sanity
--- config
    location = /t {
        return 200 "hello\n";
    }
--- request
    GET /t
--- response_body
hello
--- no_error_log
[error]
--- timeout: 5
--- wait: 0.1



=== TEST 2: more_headers and response_headers (incl. absent header)
--- config
    location = /h {
        add_header X-Echo "got-$http_x_foo";
        return 200 "foo=$http_x_foo\n";
    }
--- request
GET /h
--- more_headers
X-Foo: bar
--- response_headers
X-Echo: got-bar
!X-Missing
--- response_body
foo=bar



=== TEST 3: request body (Content-Length added, body trimmed)
--- config
    location = /echo {
        client_body_in_single_buffer on;
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/got;
    }
    location = /got {
        return 200 "body=[$http_x_body] len=$http_x_len\n";
    }
--- request
POST /echo
hello world
--- response_body
body=[hello world] len=



=== TEST 4: 404 + response_body_like + error_log
--- config
--- request
GET /does-not-exist.html
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log
No such file or directory



=== TEST 5: error_log eval (regex + string array)
--- config
    location /x {
        root html;
    }
--- request eval
"GET /x/nope"
--- error_code: 404
--- error_log eval
[qr/open\(\) ".*?nope" failed/, "No such file"]



=== TEST 6: must_die with a bad directive
--- config
    bogus_directive_here on;
--- must_die
--- error_log
unknown directive "bogus_directive_here"



=== TEST 7: pipelined requests
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 201 "b\n"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["a\n", "b\n"]



=== TEST 8: http_config eval
--- http_config eval: $::HttpConfig
--- config
    location = /m {
        return 200 "$mapped_value\n";
    }
--- request
GET /m
--- response_body
mapped:/m



=== TEST 9: init runs before the requests
--- init
    my $f = html_dir() . "/init.txt";
    open my $out, ">", $f or die "cannot open $f: $!";
    print $out "from init\n";
    close $out;
--- config
--- request
GET /init.txt
--- response_body
from init



=== TEST 10: request filled in by add_block_preprocessor
--- config
    location = /pre {
        return 200 "pre\n";
    }
--- response_body
pre



=== TEST 11: chunked response (ssi) + response_headers_like + user_files
--- user_files
>>> ssi.html
hello <!--# echo var="uri" -->
--- config
    location = /ssi.html {
        ssi on;
        root html;
    }
--- request
GET /ssi.html
--- response_headers_like
Transfer-Encoding: chunk.*
--- response_body
hello /ssi.html



=== TEST 12: skipped block is not run nor counted
--- SKIP
--- config
    location = /t { return 500; }
--- request
GET /t
--- response_body
never
