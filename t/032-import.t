# /contacts/import: NDJSON and CSV, per-line rejects among good lines,
# upsert by phone (overwrite, ignore), duplicates inside one import, CSV
# quoting, invalid UTF-8, group membership, and bodies of several MB in
# memory and in temp files.

use lib 't/lib-campaign';
use CampaignTest;
use Test::Nginx::Socket 'no_plan';

fresh_store();

sub ndjson_lines {
    my ($from, $n) = @_;
    return CORE::join('', map {
        sprintf "{\"phone\":\"+86139%08d\",\"name\":\"Big %d\","
                . "\"attributes\":{\"n\":%d}}\n", $_, $_, $_
    } $from .. $from + $n - 1);
}

sub csv_lines {
    my ($from, $n) = @_;
    return "phone,name,remark,attr.city\n" . CORE::join('', map {
        sprintf "+86137%08d,\"Csv, %d\",\"say \"\"hi\"\"\",Hangzhou\r\n",
                $_, $_
    } $from .. $from + $n - 1);
}

CampaignTest::defaults();

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a group to import into
--- request
POST /api/groups
{"id": "g", "name": "Imported"}
--- error_code: 201



=== TEST 2: NDJSON: good lines are kept, bad ones rejected by line number
--- more_headers
Content-Type: application/x-ndjson
--- request eval
"POST /api/contacts/import?group_id=g
{\"phone\": \"+8613800000001\", \"name\": \"One\", \"attributes\": {\"tier\": 1}}
{\"phone\": \"8613800000002\", \"name\": \"bad phone\"}
this is not json

[1, 2]
{\"phone\": \"+8613800000003\", \"nmae\": \"typo\"}
{\"phone\": \"+8613800000004\", \"email\": \"x\"}
{\"id\": \"x\", \"phone\": \"+8613800000005\"}
{\"phone\": \"+8613800000006\", \"country\": \"cn\", \"opted_out\": true}"
--- error_code: 200
--- response_body_like: ^\{"created":2,"updated":0,"unchanged":0,"ignored":0,"rejected":\[\{"line":2,"error":"phone must be E\.164[^"]*"\},\{"line":3,"error":"invalid JSON[^"]*"\},\{"line":5,"error":"line must be a JSON object"\},\{"line":6,"error":"unknown field \\"nmae\\""\},\{"line":7,"error":"email must be[^"]*"\},\{"line":8,"error":"id cannot be imported[^"]*"\}\],"rejected_total":6\}$



=== TEST 3: the good lines are contacts and group members; the bad left no trace
--- request eval
[
"GET /api/contacts?phone=%2B8613800000001",
"GET /api/contacts?phone=%2B8613800000006",
"GET /api/contacts?phone=%2B8613800000003",
"GET /api/contacts?phone=%2B8613800000005",
"GET /api/groups/g",
]
--- response_body_like eval
[
qr/"phone":"\+8613800000001","name":"One",.*"attributes":\{"tier":1\}/,
qr/"country":"CN",.*"opted_out":true,"opted_out_at":"[-0-9T:]+Z"/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
qr/"contact_count":2,/,
]



=== TEST 4: duplicate phones inside one import: the later line wins
--- more_headers eval
["Content-Type: application/x-ndjson", ""]
--- request eval
[
"POST /api/contacts/import?group_id=g
{\"phone\": \"+8613800000010\", \"name\": \"First\", \"remark\": \"kept\"}
{\"phone\": \"+8613800000010\", \"name\": \"Second\", \"attributes\": {\"a\": 1}}
{\"phone\": \"+8613800000010\", \"name\": \"Second\", \"attributes\": {\"a\": 1}}",
"GET /api/contacts?phone=%2B8613800000010",
]
--- response_body_like eval
[
qr/^\{"created":1,"updated":1,"unchanged":1,"ignored":0,"rejected":\[\],"rejected_total":0\}$/,
qr/"name":"Second",.*"remark":"kept",.*"attributes":\{"a":1\},.*"version":2\}\],/,
]



=== TEST 5: on_duplicate=ignore keeps existing contacts as they are
--- more_headers eval
["Content-Type: application/x-ndjson", "", ""]
--- request eval
[
"POST /api/contacts/import?on_duplicate=ignore
{\"phone\": \"+8613800000010\", \"name\": \"Third\"}
{\"phone\": \"+8613800000011\", \"name\": \"New\"}
{\"phone\": \"+8613800000011\", \"name\": \"Newer\"}",
"GET /api/contacts?phone=%2B8613800000010",
"GET /api/contacts?phone=%2B8613800000011",
]
--- response_body_like eval
[
qr/^\{"created":1,"updated":0,"unchanged":0,"ignored":2,"rejected":\[\],"rejected_total":0\}$/,
qr/"name":"Second",.*"version":2\}\],/,
qr/"name":"New",.*"version":1\}\],/,
]



=== TEST 6: on_duplicate=overwrite (the default) updates, and joins the group
--- more_headers eval
["Content-Type: application/x-ndjson", "", ""]
--- request eval
[
"POST /api/contacts/import?on_duplicate=overwrite&group_id=g
{\"phone\": \"+8613800000011\", \"name\": \"Newest\", \"email\": null}",
"GET /api/contacts?phone=%2B8613800000011",
"GET /api/groups/g",
]
--- response_body_like eval
[
qr/^\{"created":0,"updated":1,"unchanged":0,"ignored":0,"rejected":\[\],"rejected_total":0\}$/,
qr/"name":"Newest",.*"version":2\}\],/,
qr/"contact_count":4,/,
]



=== TEST 7: CSV: RFC 4180 quoting, CRLF, a byte order mark, multi-line fields
--- more_headers
Content-Type: text/csv; charset=utf-8
--- request eval
"POST /api/contacts/import?group_id=g
\xef\xbb\xbfphone,name,viber_id,email,country,remark,attr.city\r
+8613800000020,\"Lei, Li\",v1=,li\@example.com,CN,\"said \"\"hi\"\"\",Hangzhou\r
+8613800000021,Multi,,,,\"line one\r
line two\",\r
+8613800000022,Bad \"quote\",,,,,\r
+8613800000023,\"closed\"x,,,,,\r
+8613800000024,short\r
+8613800000025,\"Wang\",,,XX,,\r
+8613800000026,Last,,,,,Shanghai\r
+8613800000027,\"never closed,,,,,"
--- error_code: 200
--- response_body_like: ^\{"created":3,"updated":0,"unchanged":0,"ignored":0,"rejected":\[\{"line":5,"error":"malformed CSV: a quote inside an unquoted field"\},\{"line":6,"error":"malformed CSV: text after a closing quote"\},\{"line":7,"error":"line has 2 fields, the header has 7"\},\{"line":8,"error":"country must be[^"]*"\},\{"line":10,"error":"malformed CSV: unterminated quoted field"\}\],"rejected_total":5\}$



=== TEST 8: the CSV values arrived unescaped
--- request eval
[
"GET /api/contacts?phone=%2B8613800000020",
"GET /api/contacts?phone=%2B8613800000021",
"GET /api/contacts?phone=%2B8613800000026",
]
--- response_body_like eval
[
qr/"name":"Lei, Li","email":"li\@example.com","country":"CN","remark":"said \\"hi\\"","viber_id":"v1=","whatsapp_user_id":null,"attributes":\{"city":"Hangzhou"\}/,
qr/"name":"Multi",.*"remark":"line one\\r\\nline two",.*"attributes":\{\}/,
qr/"name":"Last",.*"attributes":\{"city":"Shanghai"\}/,
]



=== TEST 9: a bad CSV header refuses the import before anything is written
--- more_headers eval
["Content-Type: text/csv", "Content-Type: text/csv",
 "Content-Type: text/csv", ""]
--- request eval
[
"POST /api/contacts/import\nphone,name,city\n+8613800000030,A,HZ",
"POST /api/contacts/import\nname,email\nA,a\@example.com",
"POST /api/contacts/import\nphone,name,name\n+8613800000030,A,B",
"GET /api/contacts?phone=%2B8613800000030",
]
--- error_code eval
[422, 422, 422, 200]
--- response_body_like eval
[
qr/^\{"error":\{"code":"unknown_field","message":"unknown CSV column \\"city\\"","field":"city"\}\}$/,
qr/"code":"validation_failed","message":"the CSV header has no phone column","field":"header"/,
qr/"message":"CSV column \\"name\\" appears twice"/,
qr/^\{"items":\[\],"next_cursor":null\}$/,
]



=== TEST 10: invalid UTF-8 rejects its line only, in NDJSON and in CSV
--- more_headers eval
["Content-Type: application/x-ndjson", "Content-Type: text/csv"]
--- request eval
[
"POST /api/contacts/import
{\"phone\": \"+8613800000040\", \"name\": \"\xc3\x28\"}
{\"phone\": \"+8613800000041\", \"name\": \"\xe6\x9d\x8e\"}",
"POST /api/contacts/import
phone,name
+8613800000042,\xff\xfe
+8613800000043,\xe7\x8e\x8b",
]
--- response_body_like eval
[
qr/^\{"created":1,.*"rejected":\[\{"line":1,"error":"line is not valid UTF-8"\}\],"rejected_total":1\}$/,
qr/^\{"created":1,.*"rejected":\[\{"line":2,"error":"line is not valid UTF-8"\}\],"rejected_total":1\}$/,
]



=== TEST 11: at most 100 rejects are listed; rejected_total counts all
--- more_headers
Content-Type: application/x-ndjson
--- request eval
"POST /api/contacts/import\n" . ("{\"phone\": \"nope\"}\n" x 150)
. "{\"phone\": \"+8613800000050\"}"
--- response_body_like: ^\{"created":1,"updated":0,"unchanged":0,"ignored":0,"rejected":\[(\{"line":\d+,"error":"[^"]+"\},){99}\{"line":100,"error":"[^"]+"\}\],"rejected_total":150\}$



=== TEST 12: refusals before the body is read
--- more_headers eval
["Content-Type: application/json", "Content-Type: application/x-ndjson",
 "Content-Type: application/x-ndjson", "Content-Type: application/x-ndjson",
 ""]
--- request eval
[
"POST /api/contacts/import\n{\"phone\": \"+8613800000060\"}",
"POST /api/contacts/import?group_id=nope\n{\"phone\": \"+8613800000060\"}",
"POST /api/contacts/import?group_id=bad%20id\n{\"phone\": \"+8613800000060\"}",
"POST /api/contacts/import?on_duplicate=merge\n{\"phone\": \"+8613800000060\"}",
"GET /api/contacts/import",
]
--- error_code eval
[415, 404, 400, 400, 405]
--- response_body_like eval
[
qr/"code":"unsupported_media_type"/,
qr/"code":"not_found","message":"no group \\"nope\\"","field":"group_id"/,
qr/"code":"invalid_argument".*"field":"group_id"/,
qr/"code":"invalid_argument".*"field":"on_duplicate"/,
qr/"code":"method_not_allowed"/,
]



=== TEST 13: a read-only location refuses the import
--- config
    location /api/ { campaign_api; }
--- more_headers
Content-Type: application/x-ndjson
--- request
POST /api/contacts/import
{"phone": "+8613800000060"}
--- error_code: 405
--- response_body_like: "code":"read_only"



=== TEST 14: several MB of NDJSON spilled to a temp file, in many chunks
--- config
    location /api/ {
        campaign_api write=on;
        client_body_buffer_size 16k;
        client_max_body_size 64m;
    }
--- more_headers eval
["Content-Type: application/x-ndjson", ""]
--- request eval
[
"POST /api/contacts/import?group_id=g\n" . main::ndjson_lines(1, 40000),
"GET /api/groups/g",
]
--- response_body_like eval
[
qr/^\{"created":40000,"updated":0,"unchanged":0,"ignored":0,"rejected":\[\],"rejected_total":0\}$/,
qr/"contact_count":40007,/,
]
--- timeout: 60



=== TEST 15: the same import again converges: nothing changes
--- config
    location /api/ {
        campaign_api write=on;
        client_body_buffer_size 16k;
        client_max_body_size 64m;
    }
--- more_headers eval
["Content-Type: application/x-ndjson", "", ""]
--- request eval
[
"POST /api/contacts/import?group_id=g\n" . main::ndjson_lines(1, 40000),
"GET /api/groups/g",
"GET /api/contacts?phone=%2B8613900039999",
]
--- response_body_like eval
[
qr/^\{"created":0,"updated":0,"unchanged":40000,"ignored":0,"rejected":\[\],"rejected_total":0\}$/,
qr/"contact_count":40007,/,
qr/"name":"Big 39999",.*"attributes":\{"n":39999\},.*"version":1\}\],/,
]
--- timeout: 60



=== TEST 16: a few MB of CSV held in memory, in many chunks
--- config
    location /api/ {
        campaign_api write=on;
        client_body_buffer_size 8m;
        client_max_body_size 64m;
    }
--- more_headers
Content-Type: text/csv
--- request eval
"POST /api/contacts/import\n" . main::csv_lines(1, 30000)
--- response_body_like: ^\{"created":30000,"updated":0,"unchanged":0,"ignored":0,"rejected":\[\],"rejected_total":0\}$
--- timeout: 60



=== TEST 17: a small body forced into a temp file
--- config
    location /api/ {
        campaign_api write=on;
        client_body_in_file_only clean;
    }
--- more_headers eval
["Content-Type: application/x-ndjson", ""]
--- request eval
[
"POST /api/contacts/import
{\"phone\": \"+8613800000070\", \"name\": \"From a file\"}
{\"phone\": \"+8613800000071\"}",
"GET /api/contacts?phone=%2B8613800000070",
]
--- response_body_like eval
[
qr/^\{"created":2,"updated":0,"unchanged":0,"ignored":0,"rejected":\[\],"rejected_total":0\}$/,
qr/"name":"From a file"/,
]



=== TEST 18: an empty body imports nothing
--- more_headers
Content-Type: application/x-ndjson
--- request
POST /api/contacts/import
--- response_body: {"created":0,"updated":0,"unchanged":0,"ignored":0,"rejected":[],"rejected_total":0}
