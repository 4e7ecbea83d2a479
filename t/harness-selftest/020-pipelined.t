# How pipelined responses are read: a 204, like any status but 304 and
# 101, is read as a response with a body; with neither Content-Length nor
# chunks that body runs to the end, so the responses after it are lost.
# Ours reads them the same way; a .t file puts a 204 last or sends the
# requests on their own connections (--- request eval [...]).

use Test::Nginx::Socket 'no_plan';

repeat_each(2);

run_tests();

__DATA__

=== TEST 1: after a pipelined 204 the next response is not seen
--- config
    location = /nothing { return 204; }
    location = /a { return 200 "a\n"; }
--- pipelined_requests eval
["GET /nothing", "GET /a"]
--- error_code eval
[204, ""]
--- response_body_like eval
[qr{^HTTP/1\.1 200 OK\r\n.*\r\n\r\na\n\z}s, qr/^\z/]



=== TEST 2: a 204 last in the pipeline is fine
--- config
    location = /nothing { return 204; }
    location = /a { return 200 "a\n"; }
--- pipelined_requests eval
["GET /a", "GET /nothing"]
--- error_code eval
[200, 204]
--- response_body eval
["a\n", ""]



=== TEST 3: requests of an array each have a connection: a 204 loses nothing
--- config
    location = /nothing { return 204; }
    location = /a { return 200 "a\n"; }
--- request eval
["GET /nothing", "GET /a"]
--- error_code eval
[204, 200]
--- response_body eval
["", "a\n"]



=== TEST 4: Content-Length frames the bodies of pipelined responses
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 201 "bb\n"; }
--- pipelined_requests eval
["GET /a", "GET /b", "GET /a"]
--- error_code eval
[200, 201, 200]
--- response_body eval
["a\n", "bb\n", "a\n"]
