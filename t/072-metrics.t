# campaign_metrics (README "campaign_metrics"): every series in Prometheus text,
# the values moving with API requests, campaign states, webhooks and what
# campaignd writes (heartbeat, requests in flight), and the directives'
# errors.  nginx restarts for every block, so request counts start from 0
# in each; the store's values carry over.

use lib 't/lib-campaign';
use CampaignTest;
use POSIX qw(strftime);
use Digest::SHA qw(hmac_sha256_hex);
use Test::Nginx::Socket 'no_plan';

fresh_store();

our $Start = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 3600));
our $End   = strftime("%Y-%m-%dT%H:%M:%SZ", gmtime(time + 86400));

our $Delivered = '{"object":"whatsapp_business_account","entry":[{"id":"1",'
    . '"changes":[{"field":"messages","value":{"messaging_product":'
    . '"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":'
    . '"1001"},"statuses":[{"id":"wamid.A","status":"delivered",'
    . '"timestamp":"1767225600","recipient_id":"8613800000001"}]}}]}]}';

# promtool's verdict on an exposition (Debian's prometheus package)
sub promtool {
    my ($body) = @_;
    my $file = store_dir() . '/metrics.txt';
    open my $fh, '>', $file or die "$file: $!";
    print $fh $body;
    close $fh;
    my $out = `promtool check metrics < '$file' 2>&1`;
    return "exit " . ($? >> 8) . "\n$out";
}

sub sig {
    return "X-Hub-Signature-256: sha256=" . hmac_sha256_hex($_[0], 's3cret');
}

# the whole exposition with the values given; the rest are 0
sub metrics {
    my %v = @_;
    my $out = "# HELP campaign_messages_total Messages of all campaigns that reached each stage.\n"
            . "# TYPE campaign_messages_total counter\n";
    for my $s (qw(sent delivered read failed skipped replied)) {
        $out .= "campaign_messages_total{status=\"$s\"} " . ($v{$s} // 0) . "\n";
    }
    $out .= "# HELP campaign_messages Messages of all campaigns in each status now.\n"
          . "# TYPE campaign_messages gauge\n";
    for my $s (qw(queued sending sent delivered read failed skipped)) {
        $out .= "campaign_messages{status=\"$s\"} " . ($v{"now_$s"} // 0) . "\n";
    }
    $out .= "# HELP campaign_campaigns Campaigns by status.\n"
          . "# TYPE campaign_campaigns gauge\n";
    for my $s (qw(pending running paused completed)) {
        $out .= "campaign_campaigns{status=\"$s\"} " . ($v{"c_$s"} // 0) . "\n";
    }
    $out .= "# HELP campaign_store_used_bytes Bytes the store uses.\n"
          . "# TYPE campaign_store_used_bytes gauge\n"
          . "campaign_store_used_bytes \\d+\n"
          . "# HELP campaign_store_max_bytes The store's max_size.\n"
          . "# TYPE campaign_store_max_bytes gauge\n"
          . "campaign_store_max_bytes 1073741824\n"
          . "# HELP campaign_scheduler_heartbeat_age_seconds Seconds since campaignd's last heartbeat.\n"
          . "# TYPE campaign_scheduler_heartbeat_age_seconds gauge\n"
          . "campaign_scheduler_heartbeat_age_seconds " . ($v{age} // '\\+Inf') . "\n"
          . "# HELP campaign_dispatch_in_flight Provider requests campaignd has in flight.\n"
          . "# TYPE campaign_dispatch_in_flight gauge\n"
          . "campaign_dispatch_in_flight " . ($v{in_flight} // 0) . "\n"
          . "# HELP campaign_store_full 1 while campaignd finds the store full and backs off.\n"
          . "# TYPE campaign_store_full gauge\n"
          . "campaign_store_full " . ($v{store_full} // 0) . "\n"
          . "# HELP campaign_store_commits_total Write transactions nginx's workers committed.\n"
          . "# TYPE campaign_store_commits_total counter\n"
          . "campaign_store_commits_total " . ($v{commits} // 0) . "\n"
          . "# HELP campaign_store_commit_writes_total API and webhook writes those transactions carried, refused ones included.\n"
          . "# TYPE campaign_store_commit_writes_total counter\n"
          . "campaign_store_commit_writes_total " . ($v{writes} // 0) . "\n";
    # a commit takes time, and so do its writes; the lock may be free
    my $some = '(?!0\.000000\n)\d+\.\d\d\d\d\d\d';
    my $none = '0\.000000';
    my %seconds = (
        write_lock_wait => $v{writes} ? '\d+\.\d\d\d\d\d\d' : $none,
        write => $v{writes} ? $some : $none,
        commit => $v{writes} ? $some : $none,
    );
    my %help = (
        write_lock_wait => "Time nginx's writers waited for the store's write lock.",
        write => "Time nginx's writers ran writes inside their transactions.",
        commit => "Time nginx's writers spent committing: pages written and synced.",
    );
    for my $t (qw(write_lock_wait write commit)) {
        $out .= "# HELP campaign_store_${t}_seconds_total $help{$t}\n"
              . "# TYPE campaign_store_${t}_seconds_total counter\n"
              . "campaign_store_${t}_seconds_total \@$t\@\n";
    }
    $out = $out
          . "# HELP campaign_api_requests_total API answers by status class.\n"
          . "# TYPE campaign_api_requests_total counter\n";
    for my $c (qw(1xx 2xx 3xx 4xx 5xx)) {
        $out .= "campaign_api_requests_total{code=\"$c\"} " . ($v{"api_$c"} // 0) . "\n";
    }
    $out .= "# HELP campaign_webhooks_total Provider callbacks by answer class.\n"
          . "# TYPE campaign_webhooks_total counter\n";
    for my $p (qw(whatsapp viber)) {
        for my $c (qw(2xx 3xx 4xx 5xx)) {
            $out .= "campaign_webhooks_total{provider=\"$p\",code=\"$c\"} "
                  . ($v{"${p}_$c"} // 0) . "\n";
        }
    }
    $out =~ s/([{}"])/\\$1/g;
    $out =~ s|\@(\w+)\@|$seconds{$1} // die "no seconds for $1"|ge;
    return qr/^$out$/s;
}

CampaignTest::defaults(more_headers => undef, config => <<'_EOC_');
    location /api/ { campaign_api write=on; }
    location = /webhooks/whatsapp { campaign_webhook whatsapp; }
    location = /metrics { campaign_metrics; }
_EOC_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: an empty store: every series, all zero, no heartbeat yet
--- request
GET /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4
--- response_body_like eval
main::metrics()



=== TEST 2: API answers are counted by class, campaigns by status
--- more_headers
Content-Type: application/json
--- pipelined_requests eval
[
"POST /api/channels\n" . '{"id":"wa","name":"WA","type":"whatsapp","whatsapp":{"waba_id":"1","phone_number_id":"1001","access_token":"t","app_secret":"s3cret"}}',
"POST /api/groups\n" . '{"id":"vip","name":"VIP"}',
"POST /api/flows\n" . '{"id":"f1","name":"promo","trigger":"manual","definition":{"start":"s","nodes":[{"id":"s","type":"send_whatsapp","channel_id":"wa","message":{"type":"text","text":"hi"},"next":"e"},{"id":"e","type":"end"}]}}',
"POST /api/flows/f1/publish\n",
"POST /api/campaigns\n" . qq'{"id":"c1","name":"one","flow_id":"f1","group_id":"vip","start_time":"$::Start","end_time":"$::End","execution_plan":{"unit":"day"}}',
"POST /api/campaigns\n" . qq'{"id":"c2","name":"two","flow_id":"f1","group_id":"vip","start_time":"$::Start","end_time":"$::End","execution_plan":{"unit":"day"}}',
"GET /api/nothing",
"GET /metrics",
]
--- error_code eval
[201, 201, 201, 200, 201, 201, 404, 200]
--- response_body_like eval
[qr//, qr//, qr//, qr//, qr//, qr//, qr//,
 main::metrics(c_pending => 2, api_2xx => 6, api_4xx => 1,
               writes => 6, commits => '[1-6]')]



=== TEST 3: messages sent, a campaign running, a delivered webhook
--- init
CampaignTest::storectl('set-status', 'c1', 'running');
CampaignTest::storectl('message', 'c1', '1', 'li', 's', '0', 'sent', 'wamid.A', 'wa');
CampaignTest::storectl('message', 'c1', '1', 'wu', 's', '0', 'sent', 'wamid.B', 'wa');
CampaignTest::storectl('message', 'c2', '1', 'li', 's', '0', 'queued');
--- more_headers eval
[main::sig($::Delivered), main::sig($::Delivered . ' '), ""]
--- pipelined_requests eval
["POST /webhooks/whatsapp\n$::Delivered",
 "POST /webhooks/whatsapp\n$::Delivered",
 "GET /metrics"]
--- error_code eval
[200, 401, 200]
--- response_body_like eval
[qr/ok/, qr/invalid_signature/,
 main::metrics(sent => 2, delivered => 1, now_queued => 1, now_sent => 1,
               now_delivered => 1, c_pending => 1, c_running => 1,
               whatsapp_2xx => 1, whatsapp_4xx => 1, writes => 1,
               commits => 1)]



=== TEST 4: what campaignd writes: its heartbeat and requests in flight
--- init
CampaignTest::storectl('meta', 'campaignd_heartbeat', 'now-5');
CampaignTest::storectl('meta', 'campaignd_in_flight', '17');
--- request
GET /metrics
--- error_code: 200
--- response_body_like eval
main::metrics(sent => 2, delivered => 1, now_queued => 1, now_sent => 1,
              now_delivered => 1, c_pending => 1, c_running => 1,
              age => '[5-7]', in_flight => 17)



=== TEST 4a: messages in flight are "sending" in the gauge, the counters stay; campaignd on a full store is 1 in its gauge
--- init
CampaignTest::storectl('message', 'c2', '1', 'wu', 's', '0', 'sending');
CampaignTest::storectl('message', 'c2', '1', 'xi', 's', '0', 'sending');
CampaignTest::storectl('meta', 'campaignd_store_full', 'now-3');
--- request
GET /metrics
--- error_code: 200
--- response_body_like eval
main::metrics(sent => 2, delivered => 1, now_queued => 1, now_sending => 2,
              now_sent => 1, now_delivered => 1, c_pending => 1,
              c_running => 1, age => '\\d+', in_flight => 17,
              store_full => 1)



=== TEST 4b: the exposition passes promtool check metrics
--- request
GET /metrics
--- response_body_filters eval
\&main::promtool
--- response_body
exit 0



=== TEST 5: only GET
--- request
POST /metrics
x
--- error_code: 405



=== TEST 6: campaign_metrics and campaign_webhook need campaign_store
--- http_config
--- config
    location = /metrics { campaign_metrics; }
    location = /wa { campaign_webhook whatsapp; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"campaign_metrics" directive in \S+\/nginx\.conf:\d+ requires "campaign_store" in the http block/



=== TEST 7: campaign_webhook knows two providers and one parameter
--- config
    location = /sms { campaign_webhook sms; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid provider "sms": "whatsapp" or "viber" is expected/



=== TEST 8: a channel parameter must name an id
--- config
    location = /vb { campaign_webhook viber bot=1; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "bot=1": "channel=<id>" is expected/



=== TEST 9: one campaign_webhook per location
--- config
    location = /vb { campaign_webhook viber; campaign_webhook whatsapp; }
--- must_die
--- error_log eval
qr/\[emerg\].*"campaign_webhook" directive is duplicate/
