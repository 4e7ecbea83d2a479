# Section semantics a .t file can see: $TEST_NGINX_* in response_body and
# in pipelined requests, error_code compared as written (chomp it), a block
# without --- config talking to the nginx (and error log) of the block
# before, and a servroot emptied at each restart.

use Test::Nginx::Socket 'no_plan';

$ENV{TEST_NGINX_GREETING} = 'hello';

repeat_each(1);
no_shuffle();

run_tests();

__DATA__

=== TEST 1: $TEST_NGINX_ variables in a response_body and a pipeline
--- config
    location = /echo { return 200 "$arg_g $server_port\n"; }
--- pipelined_requests eval
["GET /echo?g=\$TEST_NGINX_GREETING", "GET /echo?g=x"]
--- error_code eval
[200, 200]
--- response_body eval
["hello $ENV{TEST_NGINX_SERVER_PORT}\n", "x \$TEST_NGINX_SERVER_PORT\n"]



=== TEST 2: a file written for this block
--- user_files
>>> left.txt
left behind
--- config
    location = /left.txt { root html; }
--- request
GET /left.txt?from=2
--- response_body
left behind
--- error_code chomp
200



=== TEST 3: no --- config: the same nginx, its whole error log read again
--- request
GET /left.txt?from=3
--- response_body
left behind
--- error_log
GET /left.txt?from=2



=== TEST 4: a restart empties html/: the file of TEST 2 is gone
--- config
    location = /left.txt { root html; }
--- request
GET /left.txt
--- error_code chomp
404
--- error_log
No such file or directory
