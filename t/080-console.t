# The console's serving: its files compiled into the module, the headers
# that keep the page safe, revalidation with ETag, gzip, and the directive's
# checks. What the page does in a browser is t/browser/.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

# the ETag the build gives a console file: its CRC and length, as cksum says
sub console_etag {
    my ($file) = @_;
    my ($crc, $len) = split ' ', `cksum < ngx_module/console/$file`;
    die "cksum of $file failed" unless defined $len;
    return sprintf('"%08x-%x"', $crc, $len);
}

our $HttpConfig = <<'_EOC_';
    campaign_store $TEST_NGINX_CAMPAIGN_STORE;
_EOC_

repeat_each(2);
run_tests();

__DATA__

=== TEST 1: the page at the location's prefix, with the headers that keep it safe
--- config
    location /console/ { campaign_console; }
--- request
GET /console/
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
X-Content-Type-Options: nosniff
X-Frame-Options: DENY
Cache-Control: no-cache
--- response_headers_like
Content-Security-Policy: ^default-src 'self'; script-src 'self'; .*frame-ancestors 'none'$
ETag: ^"[0-9a-f]{8}-[0-9a-f]+"$
--- response_body_like: <script type="module" src="app.js"></script>
--- no_error_log
[error]



=== TEST 2: a script is served as JavaScript with the ETag of its bytes
--- config
    location /console/ { campaign_console; }
--- request
GET /console/app.js
--- error_code: 200
--- response_headers eval
"Content-Type: text/javascript; charset=utf-8\nETag: " . ::console_etag('app.js')
--- response_body_like: ^\S
--- no_error_log
[error]



=== TEST 3: If-None-Match with the file's ETag is a 304 without a body
--- config
    location /console/ { campaign_console; }
--- request
GET /console/app.js
--- more_headers eval
"If-None-Match: " . ::console_etag('app.js')
--- error_code: 304
--- response_body:
--- no_error_log
[error]



=== TEST 4: a stale ETag gets the file again
--- config
    location /console/ { campaign_console; }
--- request
GET /console/index.html
--- more_headers
If-None-Match: "00000000-1"
--- error_code: 200
--- response_body_like: <script type="module" src="app.js"></script>



=== TEST 5: the page learns where its API answers (default /api/)
--- config
    location /console/ { campaign_console; }
--- request
GET /console/config.json
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body: {"api":"/api/"}



=== TEST 6: api= is handed to the page, a prefix without "/" joined as a location's
--- config
    location /admin/ { campaign_console api=/v1; }
--- request
GET /admin/config.json
--- error_code: 200
--- response_body: {"api":"/v1/"}



=== TEST 7: a name the console does not have is a JSON 404
--- config
    location /console/ { campaign_console; }
--- request
GET /console/sub/app.js
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"error":{"code":"not_found","message":"no such console file"}}
--- no_error_log
[error]



=== TEST 8: a write to the console is a JSON 405 naming what it takes
--- config
    location /console/ { campaign_console; }
--- request
POST /console/
{"a": 1}
--- more_headers
Content-Type: application/json
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body_like: "code":"method_not_allowed"
--- no_error_log
[error]



=== TEST 9: HEAD answers the headers alone
--- config
    location /console/ { campaign_console; }
--- request
HEAD /console/console.css
--- error_code: 200
--- response_headers
Content-Type: text/css; charset=utf-8
--- response_body:



=== TEST 10: nginx's gzip filter compresses the scripts
--- config
    gzip on;
    gzip_min_length 1;
    gzip_types text/javascript;
    location /console/ { campaign_console; }
--- request
GET /console/app.js
--- more_headers
Accept-Encoding: gzip
--- error_code: 200
--- response_headers
Content-Encoding: gzip
Content-Type: text/javascript; charset=utf-8



=== TEST 11: beside the API it serves, on a store of its own
--- http_config eval: $::HttpConfig
--- config
    location /api/ { campaign_api; }
    location /console/ { campaign_console api=/api/; }
--- request
GET /console/config.json
--- error_code: 200
--- response_body: {"api":"/api/"}



=== TEST 12: api= must be an absolute path
--- config
    location /console/ { campaign_console api=api/; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid api "api\/": an absolute URI path such as "\/api\/" is expected/



=== TEST 13: api= refuses characters the page could not join as a path
--- config
    location /console/ { campaign_console api=/a"b/; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid api "\/a"b\/": a URI path without spaces, quotes/



=== TEST 14: an unknown parameter is refused
--- config
    location /console/ { campaign_console write=on; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "write=on": "api=uri" is expected/



=== TEST 15: twice in one location is refused
--- config
    location /console/ { campaign_console; campaign_console api=/v1/; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_console" directive is duplicate/



=== TEST 16: a regex location has no prefix to serve files under
--- config
    location ~ ^/console/ { campaign_console; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_console" directive cannot be used in a regex location/
