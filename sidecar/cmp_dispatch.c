
/*
 * The dispatcher: queued messages to the providers through cmp_http; the
 * ledger says "sending" before and "sent" after, in the same txn as the
 * outcome the flow engine is told of.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmp_dispatch.h"
#include "cmp_bucket.h"
#include "cmp_channel_cache.h"
#include "cmp_message.h"
#include "cmp_instance.h"
#include "cmp_queue.h"
#include "cmp_timer.h"
#include "cmp_provider.h"
#include "cmp_channel.h"
#include "cmp_template.h"
#include "cmp_json_raw.h"


#define CMP_DISPATCH_ATTEMPTS   5
#define CMP_DISPATCH_DEFERRALS  12       /* then a deferred one fails */
#define CMP_DISPATCH_SCAN       4096
#define CMP_DISPATCH_BATCH      256      /* sends a channel starts at once */
#define CMP_GAP_SLOTS           65536
#define CMP_REQUEST_TIMEOUT     30


/* a send's part of its request (cmp_http_req_t.ctx) */
typedef struct {
    int                 chan;          /* index */
    size_t              mklen;
    unsigned char       mkey[CMP_MESSAGE_KEY_MAX];
} cmp_send_t;

#define cmp_send(r)     ((cmp_send_t *) (r)->ctx)


struct cmp_dispatch_s {
    cmp_campaignd_t    *cd;
    cmp_store_t        *st;
    cmp_log_t          *log;
    cmp_http_t         *http;
    cmp_http_owner_t    owner;
    cmp_dispatch_outcome_pt  outcome;  /* the flow engine's */
    void               *data;
    cmp_channel_cache_t  channels;
    unsigned            stopping:1;
    uint64_t           *gap;           /* hash << 20 | (ms >> 10) */
    cmp_text_t   patch;         /* a message record rewritten */
};


typedef struct {
    char                id[CMP_ID_MAX + 1];
    int                 running;
    int                 gone;       /* deleted: its purge is under way */
    int64_t             end;
} cmp_campaign_cache_t;


/* what dispatch reads of a message record, copied out of the map */
typedef struct {
    char                status[16];
    char                campaign[CMP_ID_MAX + 1];   /* "": a test send */
    char                contact[CMP_ID_MAX + 1];
    char                recipient[128];  /* "": none, or too long to gap */
    char                id[2 * CMP_MESSAGE_KEY_MAX + 1];
    char                instance[2 * CMP_MESSAGE_KEY_MAX + 1];
    uint32_t            run;
    int64_t             attempts;
    int64_t             deferrals;
    int                 lane;
} cmp_message_view_t;


/* one answer being recorded, for the function of its class */
typedef struct {
    cmp_dispatch_t     *d;
    cmp_txn_t          *txn;
    cmp_chan_t         *c;
    cmp_send_t         *s;
    const char         *rec;           /* the message record, in the map */
    size_t              len;
    int64_t             now_ms;
    cmp_message_view_t      m;
    cmp_answer_t        a;
    cmp_text_t          quoted;        /* provider id or error, as JSON */
    cmp_outcome_t       out;
} cmp_dispatch_answer_t;


typedef enum {
    CMP_TAKE_SENDING = 0,    /* marked "sending", its request made */
    CMP_TAKE_DROP,           /* the entry is stale, or the message skipped */
    CMP_TAKE_LATER,          /* its recipient's gap: a later pump */
    CMP_TAKE_FULL            /* the bucket is empty: this pump is over */
} cmp_take_e;


static void cmp_dispatch_channel_pump(cmp_dispatch_t *d, int ci,
    int64_t now_ms, cmp_txn_t *parent, cmp_http_req_t **out);
static void cmp_dispatch_pump_all(cmp_dispatch_t *d, cmp_txn_t *txn,
    int64_t now, cmp_http_req_t **reqs);
static void cmp_dispatch_commit(cmp_dispatch_t *d, cmp_txn_t *txn, int rc,
    cmp_http_req_t *reqs);
static cmp_http_req_t *cmp_dispatch_request(cmp_dispatch_t *d, int ci,
    const char *rec, size_t len, const unsigned char *mkey, size_t mklen);
static int cmp_dispatch_take(cmp_dispatch_t *d, cmp_txn_t *txn, int ci,
    const unsigned char *mkey, size_t mklen, cmp_campaign_cache_t *cache,
    int64_t now_ms, cmp_http_req_t **req);
static int cmp_dispatch_view(const char *rec, size_t len,
    cmp_message_view_t *m);
static int cmp_dispatch_rewrite(cmp_dispatch_t *d, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mklen, const char *rec, size_t len,
    const cmp_message_view_t *m, const char *to, const cmp_json_field_t *set,
    size_t n, int64_t now);
static void cmp_dispatch_submit(cmp_dispatch_t *d, cmp_http_req_t *reqs);
static void cmp_dispatch_answers(void *data, cmp_http_req_t *reqs);
static int cmp_dispatch_record(cmp_dispatch_t *d, cmp_txn_t *txn,
    cmp_http_req_t *r, int64_t now_ms);
static int cmp_dispatch_sent(cmp_dispatch_answer_t *x);
static int cmp_dispatch_refused(cmp_dispatch_answer_t *x);
static int cmp_dispatch_throttled(cmp_dispatch_answer_t *x);
static int cmp_dispatch_blocked(cmp_dispatch_answer_t *x);
static int cmp_dispatch_deferred(cmp_dispatch_answer_t *x);
static int cmp_dispatch_opted_out(cmp_dispatch_t *d, cmp_txn_t *txn,
    const char *contact);
static int cmp_dispatch_campaign_open(cmp_dispatch_t *d, cmp_txn_t *txn,
    const char *id, cmp_campaign_cache_t *cache, int64_t now);
static uint64_t cmp_dispatch_hash(const char *ch, const char *rcpt);
static int64_t cmp_dispatch_gap_last(cmp_dispatch_t *d, uint64_t h);
static void cmp_dispatch_gap_set(cmp_dispatch_t *d, uint64_t h,
    int64_t now_ms);
static int cmp_dispatch_is(const json_t *v, const char *s);


static int
cmp_dispatch_is(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}


cmp_dispatch_t *
cmp_dispatch_create(cmp_campaignd_t *cd, cmp_http_t *http,
    cmp_dispatch_outcome_pt outcome, void *data)
{
    cmp_dispatch_t  *d;

    d = calloc(1, sizeof(cmp_dispatch_t));
    if (d == NULL) {
        return NULL;
    }

    d->cd = cd;
    d->st = &cd->store;
    d->log = &cd->log;
    d->http = http;
    d->outcome = outcome;
    d->data = data;
    cmp_channel_cache_init(&d->channels, d->st, d->log);
    d->gap = calloc(CMP_GAP_SLOTS, sizeof(uint64_t));

    if (d->gap == NULL) {
        cmp_dispatch_destroy(d);
        return NULL;
    }

    /* a send's handle is kept for the next one, up to the concurrency */
    d->owner.done = cmp_dispatch_answers;
    d->owner.data = d;
    d->owner.ctx_size = sizeof(cmp_send_t);
    d->owner.max_spare = cd->concurrency;
    cmp_http_owner_add(http, &d->owner);

    return d;
}


void
cmp_dispatch_destroy(cmp_dispatch_t *d)
{
    if (d == NULL) {
        return;
    }

    cmp_channel_cache_free(&d->channels);
    cmp_text_free(&d->patch);

    free(d->gap);
    free(d);
}


/*
 * Channel settings as the API last wrote them: a chunk of what changed
 * since the last look (cmp_channel_cache.c).  1: more to read at once.
 */
int
cmp_dispatch_refresh(cmp_dispatch_t *d)
{
    /* and the queue gets a look, whatever woke it */
    d->cd->queued = 1;

    return cmp_channel_cache_refresh(&d->channels);
}


/*
 * After a crash: a message found "sending" may or may not have reached
 * the provider.  It is sent again (losing none), and counted.
 */
int
cmp_dispatch_recover(cmp_dispatch_t *d)
{
    int            rc, n;
    json_t        *msg;
    cmp_txn_t     *txn;
    unsigned char  mkey[CMP_MESSAGE_KEY_MAX];
    size_t         mklen;
    uint64_t       seq;

    n = 0;

    rc = cmp_store_txn_begin(d->st, NULL, 0, &txn);
    if (rc != 0) {
        return -1;
    }

    for ( ;; ) {
        rc = cmp_queue_sending_take(d->st, txn, mkey, &mklen);

        if (rc != 0) {
            rc = (rc == CMP_NOTFOUND) ? 0 : rc;
            break;
        }

        if (cmp_message_load(d->st, txn, mkey, mklen, &msg) != 0) {
            continue;
        }

        /* a webhook may have said "sent" or more since: then it went */
        if (cmp_dispatch_is(json_object_get(msg, "status"), "sending"))
        {
            rc = cmp_count(d->st, txn, msg, "possible_duplicates", 1);

            if (rc == 0) {
                rc = cmp_message_set_status(d->st, txn, msg, "queued",
                                            time(NULL));
            }

            if (rc == 0) {
                rc = cmp_queue_put(d->st, txn,
                         json_string_value(json_object_get(msg,
                                                           "channel_id")),
                         CMP_LANE_CONVERSATION, mkey, mklen, &seq);
            }

            if (rc == 0) {
                json_object_set_new(msg, CMP_QUEUE_SEQ_FIELD,
                                    json_integer((json_int_t) seq));
                rc = cmp_message_save(d->st, txn, mkey, mklen, "sending",
                                      msg);
            }

            n++;
        }

        json_decref(msg);

        if (rc != 0) {
            break;
        }
    }

    if (rc != 0) {
        cmp_txn_abort(txn);
        cmp_log_error(d->log, CMP_LOG_ERR, "recovering messages in flight "
                      "failed: %s", cmp_strerror(rc));
        return -1;
    }

    rc = cmp_txn_commit(txn);

    if (rc == 0 && n > 0) {
        cmp_log_error(d->log, CMP_LOG_WARN, "%d message(s) were in flight "
                      "when campaignd stopped: sent again, counted as "
                      "possible duplicates", n);
    }

    return rc ? -1 : 0;
}


static uint64_t
cmp_dispatch_hash(const char *ch, const char *rcpt)
{
    uint64_t  h;

    /* FNV-1a */
    h = 14695981039346656037ULL;

    for ( /* void */ ; *ch; ch++) {
        h = (h ^ (unsigned char) *ch) * 1099511628211ULL;
    }

    h = (h ^ 0) * 1099511628211ULL;

    for ( /* void */ ; *rcpt; rcpt++) {
        h = (h ^ (unsigned char) *rcpt) * 1099511628211ULL;
    }

    return h;
}


/*
 * Recipients sent to lately, in a fixed table: an old entry is as good as
 * none, so memory stays flat however many contacts a run has.
 */
static int64_t
cmp_dispatch_gap_last(cmp_dispatch_t *d, uint64_t h)
{
    uint64_t  e;

    e = d->gap[h % CMP_GAP_SLOTS];

    if ((e >> 32) != (h >> 32)) {
        return 0;
    }

    return (int64_t) (e & 0xffffffff) * 1000;
}


static void
cmp_dispatch_gap_set(cmp_dispatch_t *d, uint64_t h, int64_t now_ms)
{
    d->gap[h % CMP_GAP_SLOTS] = (h & 0xffffffff00000000ULL)
                                | (uint64_t) ((now_ms + 999) / 1000);
}


void
cmp_dispatch_pump(cmp_dispatch_t *d)
{
    int              rc;
    cmp_txn_t       *txn;
    cmp_http_req_t  *reqs;

    if (d->stopping || !d->cd->queued) {
        return;
    }

    rc = cmp_store_txn_begin(d->st, NULL, 0, &txn);
    if (rc != 0) {
        cmp_log_error(d->log, CMP_LOG_ERR, "queue txn failed: %s",
                      cmp_strerror(rc));
        return;
    }

    reqs = NULL;
    cmp_dispatch_pump_all(d, txn, cmp_wall_msec(), &reqs);
    cmp_dispatch_commit(d, txn, 0, reqs);
}


/*
 * The next messages of every channel that has some queued, marked
 * "sending" in txn, into *reqs: one seek a channel with work, whatever
 * the number of channels.
 */
static void
cmp_dispatch_pump_all(cmp_dispatch_t *d, cmp_txn_t *txn, int64_t now,
    cmp_http_req_t **reqs)
{
    int   ci, rc;
    char  channel[CMP_ID_MAX + 1];

    if (d->stopping) {
        return;
    }

    d->cd->queued = 0;
    channel[0] = '\0';

    for ( ;; ) {
        rc = cmp_queue_next_channel(d->st, txn, channel, channel);
        if (rc != 0) {
            break;
        }

        ci = cmp_channel_cache_lookup(&d->channels, channel);

        /* not read yet (the first walk is on), or deleted: it waits */
        if (ci >= 0) {
            cmp_dispatch_channel_pump(d, ci, now, txn, reqs);
        }
    }

    if (rc != CMP_NOTFOUND) {
        cmp_log_error(d->log, CMP_LOG_ERR, "reading the queue failed: %s",
                      cmp_strerror(rc));
        d->cd->queued = 1;
    }
}


/*
 * The txn of answers and of the next sends; the sends' requests start
 * only once it is committed, and never if it is not.
 */
static void
cmp_dispatch_commit(cmp_dispatch_t *d, cmp_txn_t *txn, int rc,
    cmp_http_req_t *reqs)
{
    if (rc == 0) {
        rc = cmp_txn_commit(txn);

    } else {
        cmp_txn_abort(txn);
    }

    if (rc != 0) {
        /*
         * Answers stay "sending" (a restart sends them again), and the
         * messages taken stay queued.
         */
        cmp_log_error(d->log, CMP_LOG_ERR, "dispatch txn failed: %s",
                      cmp_strerror(rc));

        cmp_http_free_list(d->http, reqs);

        d->cd->queued = 1;
        return;
    }

    /* the network only now, with the write lock given back */
    cmp_dispatch_submit(d, reqs);
}


/*
 * A contact may opt out while its campaign message waits in the queue:
 * campaign messages are never sent to an opted-out contact (README
 * "Webhooks").
 */
static int
cmp_dispatch_opted_out(cmp_dispatch_t *d, cmp_txn_t *txn, const char *contact)
{
    int            out;
    char           err[64];
    json_t        *c;
    cmp_record_t   r;

    if (contact == NULL
        || cmp_record_get(d->st, txn, &cmp_kind_contacts, contact,
                          strlen(contact), &r) != 0)
    {
        return 0;
    }

    /*
     * Most contacts never opted out: their record (stored compact by
     * cmp_json_dump) lacks the text, and a scan is far cheaper than a
     * parse; an attribute may carry the same name, so a hit is parsed.
     */
    if (memmem(r.json, r.len, "\"opted_out\":true", 16) == NULL) {
        return 0;
    }

    c = cmp_json_parse(r.json, r.len, err, sizeof(err));
    out = json_is_true(json_object_get(c, "opted_out"));
    json_decref(c);

    return out;
}


/* a campaign's messages go only while it runs and before its end */
static int
cmp_dispatch_campaign_open(cmp_dispatch_t *d, cmp_txn_t *txn, const char *id,
    cmp_campaign_cache_t *cache, int64_t now)
{
    char           err[64];
    json_t        *c;
    cmp_record_t   r;

    if (strcmp(cache->id, id) == 0) {
        return cache->running && now < cache->end;
    }

    snprintf(cache->id, sizeof(cache->id), "%s", id);
    cache->running = 0;
    cache->gone = 0;
    cache->end = 0;

    if (cmp_record_get(d->st, txn, &cmp_kind_campaigns, id, strlen(id), &r)
        != 0)
    {
        cache->gone = 1;
        return 0;
    }

    c = cmp_json_parse(r.json, r.len, err, sizeof(err));

    cache->running = (json_string_value(json_object_get(c, "status"))
                      != NULL
                      && strcmp(json_string_value(json_object_get(c,
                                                                  "status")),
                                "running") == 0);

    if (!cmp_time_parse(json_string_value(json_object_get(c, "end_time")),
                        &cache->end))
    {
        cache->end = 0;
    }

    json_decref(c);

    return cache->running && now < cache->end;
}


/*
 * A channel's next messages, marked "sending" in a txn nested in parent
 * (a channel that fails fails alone); their requests go onto *out.
 */
static void
cmp_dispatch_channel_pump(cmp_dispatch_t *d, int ci, int64_t now_ms,
    cmp_txn_t *parent, cmp_http_req_t **out)
{
    int                    rc, cap, n, scanned, ndel, lane, take;
    size_t                 mklen;
    cmp_txn_t             *txn;
    cmp_http_req_t        *reqs, *r;
    cmp_chan_t            *c;
    cmp_queue_iter_t       it;
    cmp_campaign_cache_t   cache;
    unsigned char          mkey[CMP_MESSAGE_KEY_MAX];
    struct {
        unsigned char      key[CMP_QUEUE_KEY_MAX];
        size_t             len;
    }                     *dels;

    c = &d->channels.chans[ci];

    if (!c->ok) {
        return;
    }

    cap = (int) c->max_in_flight - (int) c->in_flight;

    if ((int) d->cd->concurrency - (int) cmp_http_in_flight(d->http) < cap) {
        cap = (int) d->cd->concurrency - (int) cmp_http_in_flight(d->http);
    }

    if (cap > CMP_DISPATCH_BATCH) {
        cap = CMP_DISPATCH_BATCH;
    }

    if (cap <= 0) {
        return;
    }

    if (cmp_bucket_wait_ms(&c->bucket, now_ms) > 0) {
        d->cd->queued = 1;
        return;
    }

    dels = malloc(CMP_DISPATCH_SCAN * sizeof(*dels));
    if (dels == NULL) {
        return;
    }

    rc = cmp_store_txn_begin(d->st, parent, 0, &txn);
    if (rc != 0) {
        free(dels);
        return;
    }

    rc = cmp_queue_iter_open(d->st, txn, &it);
    if (rc != 0) {
        cmp_txn_abort(txn);
        free(dels);
        return;
    }

    memset(&cache, 0, sizeof(cmp_campaign_cache_t));
    cache.id[0] = '\0';
    cache.id[1] = 1;

    reqs = NULL;
    n = 0;
    ndel = 0;
    scanned = 0;

    rc = cmp_queue_first(&it, c->id);

    while (rc == 0 && n < cap && scanned < CMP_DISPATCH_SCAN) {
        scanned++;

        if (it.mkey_len > CMP_MESSAGE_KEY_MAX
            || it.key_len > sizeof(dels[0].key))
        {
            goto next;
        }

        /* the entry's key and value, before any write moves the pages */
        mklen = it.mkey_len;
        memcpy(mkey, it.mkey, mklen);
        memcpy(dels[ndel].key, it.key, it.key_len);
        dels[ndel].len = it.key_len;

        take = cmp_dispatch_take(d, txn, ci, mkey, mklen, &cache, now_ms, &r);

        if (take < 0) {
            rc = -take;
            break;
        }

        if (take == CMP_TAKE_FULL) {
            d->cd->queued = 1;
            break;
        }

        if (take == CMP_TAKE_LATER) {
            d->cd->queued = 1;
            goto next;
        }

        if (take == CMP_TAKE_SENDING && r != NULL) {
            r->next = reqs;
            reqs = r;
            n++;
        }

        ndel++;

    next:

        if (ndel == CMP_DISPATCH_SCAN) {
            break;
        }

        rc = cmp_queue_next(&it);
    }

    cmp_queue_iter_close(&it);

    if (rc == CMP_NOTFOUND) {
        rc = 0;
    }

    for (lane = 0; rc == 0 && lane < ndel; lane++) {
        rc = cmp_queue_del(d->st, txn, dels[lane].key, dels[lane].len);
    }

    /* the in-flight marker: what a restart must look at again */
    for (r = reqs; rc == 0 && r != NULL; r = r->next) {
        rc = cmp_queue_sending_put(d->st, txn, cmp_send(r)->mkey,
                                   cmp_send(r)->mklen, c->id);
    }

    free(dels);

    if (rc == 0) {
        rc = cmp_txn_commit(txn);

    } else {
        cmp_txn_abort(txn);
    }

    if (rc != 0) {
        cmp_log_error(d->log, CMP_LOG_ERR, "channel %s: queue txn failed: "
                      "%s", c->id, cmp_strerror(rc));

        cmp_http_free_list(d->http, reqs);

        d->cd->queued = 1;
        return;
    }

    while (reqs != NULL) {
        r = reqs;
        reqs = r->next;
        r->next = *out;
        *out = r;
    }

    if (n == cap) {
        d->cd->queued = 1;
    }
}


/*
 * One queued message of channel ci: dropped when stale, skipped when its
 * campaign stopped or its contact opted out, held back by the gap or the
 * bucket, or marked "sending" with its request made.  -errno: failed.
 */
static int
cmp_dispatch_take(cmp_dispatch_t *d, cmp_txn_t *txn, int ci,
    const unsigned char *mkey, size_t mklen, cmp_campaign_cache_t *cache,
    int64_t now_ms, cmp_http_req_t **req)
{
    int                  rc;
    char                 num[24];
    size_t               len;
    uint64_t             h;
    cmp_chan_t          *c;
    const char          *rec, *reason, *skip;
    cmp_json_field_t     set[1];
    cmp_message_view_t   m;

    c = &d->channels.chans[ci];
    *req = NULL;

    rc = cmp_message_get(d->st, txn, mkey, mklen, &rec, &len);
    if (rc == CMP_NOTFOUND) {
        return CMP_TAKE_DROP;
    }

    if (rc != 0) {
        return -rc;
    }

    /* cancelled, skipped, or queued twice: the entry is stale */
    if (cmp_dispatch_view(rec, len, &m) != 0
        || (strcmp(m.status, "queued") != 0
            && strcmp(m.status, "deferred") != 0))
    {
        return CMP_TAKE_DROP;
    }

    reason = NULL;
    skip = NULL;

    if (m.campaign[0] != '\0') {
        /* suspended or ended: never sent */
        if (!cmp_dispatch_campaign_open(d, txn, m.campaign, cache,
                                        now_ms / 1000))
        {
            /* deleted: its ledger and counters are the purge's, untouched */
            if (cache->gone) {
                return CMP_TAKE_DROP;
            }

            reason = "\"campaign_stopped\"";
            skip = (now_ms / 1000 >= cache->end) ? CMP_SKIP_PAST_END
                                                 : CMP_SKIP_SUSPENDED;

        /* an opt-out between queueing and sending still holds */
        } else if (cmp_dispatch_opted_out(d, txn, m.contact)) {
            reason = "\"opted_out\"";
            skip = CMP_SKIP_OPTED_OUT;
        }
    }

    if (reason != NULL) {
        set[0].name = "error";
        set[0].value = reason;
        set[0].len = strlen(reason);

        rc = cmp_dispatch_rewrite(d, txn, mkey, mklen, rec, len, &m,
                                  "skipped", set, 1, now_ms / 1000);

        if (rc == 0) {
            rc = cmp_funnel_skip(d->st, txn, m.campaign, strlen(m.campaign),
                                 m.run, skip);
        }

        return rc ? -rc : CMP_TAKE_DROP;
    }

    h = cmp_dispatch_hash(c->id, m.recipient);

    if (c->min_gap_ms > 0
        && cmp_dispatch_gap_last(d, h) + c->min_gap_ms > now_ms)
    {
        /* this recipient got one lately: a later pump sends it */
        return CMP_TAKE_LATER;
    }

    if (!cmp_bucket_take(&c->bucket, now_ms)) {
        return CMP_TAKE_FULL;
    }

    /* the request from the record as it is, before the record moves */
    *req = cmp_dispatch_request(d, ci, rec, len, mkey, mklen);

    set[0].name = "attempts";
    set[0].value = num;
    set[0].len = snprintf(num, sizeof(num), "%lld",
                          (long long) m.attempts + 1);

    rc = cmp_dispatch_rewrite(d, txn, mkey, mklen, rec, len, &m, "sending",
                              set, 1, now_ms / 1000);
    if (rc != 0) {
        if (*req != NULL) {
            cmp_http_free(d->http, *req);
            *req = NULL;
        }

        return -rc;
    }

    cmp_dispatch_gap_set(d, h, now_ms);

    return CMP_TAKE_SENDING;
}


/* the members dispatch decides by, in one pass; -1: not a message record */
static int
cmp_dispatch_view(const char *rec, size_t len, cmp_message_view_t *m)
{
    cmp_json_field_t  f[10] = {
        { "status", NULL, 0 }, { "id", NULL, 0 }, { "campaign_id", NULL, 0 },
        { "contact_id", NULL, 0 }, { "instance", NULL, 0 },
        { "run", NULL, 0 }, { "attempts", NULL, 0 }, { "lane", NULL, 0 },
        { "recipient", NULL, 0 }, { "deferrals", NULL, 0 }
    };

    if (cmp_json_raw_find(rec, len, f, 10) != 0
        || cmp_json_raw_value_string(f[0].value, f[0].len, m->status,
                                     sizeof(m->status)) != 0
        || cmp_json_raw_value_string(f[1].value, f[1].len, m->id,
                                     sizeof(m->id)) != 0)
    {
        return -1;
    }

    /* null or absent: a test send, which no counter counts */
    if (cmp_json_raw_value_string(f[2].value, f[2].len, m->campaign,
                                  sizeof(m->campaign)) != 0)
    {
        m->campaign[0] = '\0';
    }

    if (cmp_json_raw_value_string(f[3].value, f[3].len, m->contact,
                                  sizeof(m->contact)) != 0)
    {
        m->contact[0] = '\0';
    }

    if (cmp_json_raw_value_string(f[4].value, f[4].len, m->instance,
                                  sizeof(m->instance)) != 0)
    {
        m->instance[0] = '\0';
    }

    if (cmp_json_raw_value_string(f[8].value, f[8].len, m->recipient,
                                  sizeof(m->recipient)) != 0)
    {
        m->recipient[0] = '\0';
    }

    m->run = (uint32_t) cmp_json_raw_value_int(f[5].value, f[5].len);
    m->attempts = cmp_json_raw_value_int(f[6].value, f[6].len);
    m->lane = (int) cmp_json_raw_value_int(f[7].value, f[7].len);
    m->deferrals = cmp_json_raw_value_int(f[9].value, f[9].len);

    return 0;
}


/*
 * A message record stored again with a new status (its counters moved
 * in the same txn), "updated_at" now, and the members in set[].  rec may
 * point into the map: it is copied out before the first write.
 */
static int
cmp_dispatch_rewrite(cmp_dispatch_t *d, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mklen, const char *rec, size_t len,
    const cmp_message_view_t *m, const char *to, const cmp_json_field_t *set,
    size_t n, int64_t now)
{
    int                rc;
    char               status[24], when[CMP_TIME_LEN + 3];
    size_t             i;
    cmp_json_field_t   all[8];

    if (n + 2 > sizeof(all) / sizeof(all[0])) {
        return EINVAL;
    }

    all[0].name = "status";
    all[0].value = status;
    all[0].len = snprintf(status, sizeof(status), "\"%s\"", to);

    when[0] = '"';
    cmp_time_format(now, when + 1);
    all[1].name = "updated_at";
    all[1].value = when;
    all[1].len = CMP_TIME_LEN + 2;
    when[CMP_TIME_LEN + 1] = '"';

    for (i = 0; i < n; i++) {
        all[i + 2] = set[i];
    }

    rc = cmp_message_rewrite(d->st, txn, mkey, mklen, rec, len, m->status, to,
                             all, n + 2, &d->patch);
    if (rc != 0) {
        return rc;
    }

    return cmp_message_count_move(d->st, txn,
                                  m->campaign[0] ? m->campaign : NULL, m->run,
                                  m->status, to);
}


/*
 * A send's request: cmp_http keeps the dispatcher's finished ones, so a
 * handle (and the connection it keeps) is set up once.
 */
static cmp_http_req_t *
cmp_dispatch_request(cmp_dispatch_t *d, int ci, const char *rec, size_t len,
    const unsigned char *mkey, size_t mklen)
{
    cmp_send_t      *s;
    cmp_chan_t      *c;
    cmp_http_req_t  *r;

    c = &d->channels.chans[ci];

    r = cmp_http_new(d->http, &d->owner);
    if (r == NULL) {
        return NULL;
    }

    s = cmp_send(r);
    s->chan = ci;
    memcpy(s->mkey, mkey, mklen);
    s->mklen = mklen;

    if (c->provider->body(rec, len, c->sender, &r->body) != 0
        || cmp_http_prepare(r, c->url, 1, c->headers, NULL, 0,
                            CMP_REQUEST_TIMEOUT) != 0)
    {
        cmp_http_free(d->http, r);
        return NULL;
    }

    return r;
}


/* the bucket or a gap holds messages back: look again soon */
void
cmp_dispatch_timeout(cmp_dispatch_t *d, int64_t *timeout_ms)
{
    if (d->cd->queued && !d->stopping && *timeout_ms > 10) {
        *timeout_ms = 10;
    }
}


/* the network only after the commit: each counted in flight on its own */
static void
cmp_dispatch_submit(cmp_dispatch_t *d, cmp_http_req_t *reqs)
{
    cmp_http_req_t  *r;

    for (r = reqs; r != NULL; r = r->next) {
        d->channels.chans[cmp_send(r)->chan].in_flight++;
    }

    cmp_http_submit(d->http, reqs);
}


/* every answer of this pass in one write txn */
static void
cmp_dispatch_answers(void *data, cmp_http_req_t *list)
{
    cmp_dispatch_t *d = data;

    int              rc;
    int64_t          now;
    cmp_txn_t       *txn;
    cmp_http_req_t  *r, *reqs;

    reqs = NULL;
    txn = NULL;
    now = cmp_wall_msec();

    for (r = list; r != NULL; r = r->next) {
        d->channels.chans[cmp_send(r)->chan].in_flight--;
        cmp_channel_cache_idle(&d->channels, cmp_send(r)->chan);
    }

    rc = cmp_store_txn_begin(d->st, NULL, 0, &txn);

    if (rc != 0) {
        /* the messages stay "sending": a restart sends them again */
        cmp_log_error(d->log, CMP_LOG_ERR, "recording answers failed: %s",
                      cmp_strerror(rc));
    }

    for (r = list; rc == 0 && r != NULL; r = r->next) {
        rc = cmp_dispatch_record(d, txn, r, now);
    }

    /*
     * The slots just freed are filled in the same txn: one commit, and
     * one sync, for both the answers and the next sends.
     */
    d->cd->queued = 1;

    if (txn != NULL) {
        if (rc == 0) {
            cmp_dispatch_pump_all(d, txn, now, &reqs);
        }

        cmp_dispatch_commit(d, txn, rc, reqs);
    }

    cmp_http_free_list(d->http, list);
}


/* one answer, classified, into the ledger */
static int
cmp_dispatch_record(cmp_dispatch_t *d, cmp_txn_t *txn, cmp_http_req_t *r,
    int64_t now_ms)
{
    int                     rc;
    char                    detail[sizeof(((cmp_answer_t *) 0)->error)];
    const char             *s;
    cmp_dispatch_answer_t   x;

    memset(&x, 0, sizeof(cmp_dispatch_answer_t));
    x.d = d;
    x.txn = txn;
    x.s = cmp_send(r);
    x.c = &d->channels.chans[x.s->chan];
    x.now_ms = now_ms;

    if (r->error != NULL) {
        snprintf(detail, sizeof(detail), "network: %s", r->error);
        cmp_answer_transport(0, -1, detail, &x.a);

    } else {
        x.c->provider->classify(r->status, r->answer.data, r->answer.len,
                                r->retry_after, &x.a);
    }

    /* before the text goes anywhere: the ledger, the log, the channel */
    cmp_answer_redact(&x.a, x.c->secrets);

    rc = cmp_queue_sending_del(d->st, txn, x.s->mkey, x.s->mklen);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_message_get(d->st, txn, x.s->mkey, x.s->mklen, &x.rec, &x.len);

    /* its campaign deleted while it was out: the purge's, left as it is */
    if (rc == 0) {
        rc = cmp_message_owned(d->st, txn, x.s->mkey, x.s->mklen);
    }

    if (rc != 0) {
        return (rc == CMP_NOTFOUND) ? 0 : rc;
    }

    if (cmp_dispatch_view(x.rec, x.len, &x.m) != 0) {
        return 0;
    }

    if (x.a.klass == CMP_ANSWER_THROTTLED
        && x.m.attempts >= CMP_DISPATCH_ATTEMPTS)
    {
        x.a.klass = CMP_ANSWER_REFUSED;
    }

    /* what the record keeps of the answer: the provider id, or why not */
    s = (x.a.klass == CMP_ANSWER_SENT) ? x.a.provider_id : x.a.error;

    cmp_json_write_string(&x.quoted, s, strlen(s));

    if (x.quoted.failed) {
        cmp_text_free(&x.quoted);
        return ENOMEM;
    }

    x.out.id = x.m.id;
    x.out.instance = x.m.instance;
    x.out.campaign = x.m.campaign[0] ? x.m.campaign : NULL;
    x.out.contact = x.m.contact;

    switch (x.a.klass) {

    case CMP_ANSWER_SENT:
        rc = cmp_dispatch_sent(&x);
        break;

    case CMP_ANSWER_REFUSED:
        rc = cmp_dispatch_refused(&x);
        break;

    case CMP_ANSWER_THROTTLED:
        rc = cmp_dispatch_throttled(&x);
        break;

    case CMP_ANSWER_DEFERRED:
        rc = cmp_dispatch_deferred(&x);
        break;

    default: /* CMP_ANSWER_BLOCKED */
        rc = cmp_dispatch_blocked(&x);
        break;
    }

    cmp_text_free(&x.quoted);

    return rc;
}


static int
cmp_dispatch_sent(cmp_dispatch_answer_t *x)
{
    int                    rc;
    cmp_message_view_t    *m;
    cmp_json_field_t       set[2];

    m = &x->m;
    x->c->throttles = 0;

    set[0].name = "provider_message_id";
    set[0].value = x->quoted.data;
    set[0].len = x->quoted.len;
    set[1].name = "error";
    set[1].value = "null";
    set[1].len = 4;

    /* a webhook may have been quicker: status never moves back */
    x->out.status = (cmp_message_rank(m->status)
                     <= cmp_message_rank("sending")) ? "sent" : m->status;
    x->out.event = CMP_EVENT_SENT;

    rc = cmp_dispatch_rewrite(x->d, x->txn, x->s->mkey, x->s->mklen, x->rec,
                              x->len, m, x->out.status, set, 2,
                              x->now_ms / 1000);

    if (rc == 0 && x->a.provider_id[0] != '\0') {
        rc = cmp_message_provider_put(x->d->st, x->txn, x->a.provider_id,
                                      strlen(x->a.provider_id), x->s->mkey,
                                      x->s->mklen);
    }

    if (rc == 0) {
        rc = x->d->outcome(x->d->data, x->txn, &x->out, x->now_ms / 1000);
    }

    cmp_log_error(x->d->log, CMP_LOG_DEBUG, "campaign %s run %d contact %s "
                  "message %s: sent, %s",
                  m->campaign[0] ? m->campaign : "-", (int) m->run,
                  m->contact, m->id, x->a.provider_id);

    return rc;
}


static int
cmp_dispatch_refused(cmp_dispatch_answer_t *x)
{
    int                rc;
    cmp_message_view_t    *m;
    cmp_json_field_t   set[1];

    m = &x->m;

    set[0].name = "error";
    set[0].value = x->quoted.data;
    set[0].len = x->quoted.len;

    rc = cmp_dispatch_rewrite(x->d, x->txn, x->s->mkey, x->s->mklen, x->rec,
                              x->len, m, "failed", set, 1, x->now_ms / 1000);

    if (rc == 0) {
        x->out.status = "failed";
        x->out.error = x->a.error;
        x->out.event = CMP_EVENT_HTTP_FAIL;
        x->out.opt_out = x->a.opt_out;
        rc = x->d->outcome(x->d->data, x->txn, &x->out, x->now_ms / 1000);
    }

    cmp_log_error(x->d->log, CMP_LOG_INFO, "campaign %s run %d contact %s "
                  "message %s: failed after %d attempt(s): %s",
                  m->campaign[0] ? m->campaign : "-", (int) m->run,
                  m->contact, m->id, (int) m->attempts, x->a.error);

    return rc;
}


/* again later, with backoff and jitter; the channel slows down too */
static int
cmp_dispatch_throttled(cmp_dispatch_answer_t *x)
{
    int                rc;
    char               due[24], due_ms[24];
    int64_t            backoff, hold;
    cmp_chan_t        *c;
    cmp_message_view_t    *m;
    cmp_answer_t      *a;
    cmp_json_field_t   set[3];

    c = x->c;
    m = &x->m;
    a = &x->a;

    c->throttles++;

    backoff = 1000LL << (m->attempts > 1 ? m->attempts - 1 : 0);

    if (a->retry_after > 0 && a->retry_after * 1000 > backoff) {
        backoff = a->retry_after * 1000;
    }

    backoff += random() % (backoff / 2 + 1);

    hold = (a->retry_after > 0) ? a->retry_after * 1000
           : 250LL << (c->throttles < 6 ? c->throttles : 6);
    cmp_bucket_hold(&c->bucket, x->now_ms + hold);

    set[0].name = "error";
    set[0].value = x->quoted.data;
    set[0].len = x->quoted.len;
    set[1].name = "next_attempt_at";
    set[1].value = due;
    set[1].len = snprintf(due, sizeof(due), "%lld",
                          (long long) (x->now_ms + backoff) / 1000);
    set[2].name = CMP_RETRY_AT_FIELD;
    set[2].value = due_ms;
    set[2].len = snprintf(due_ms, sizeof(due_ms), "%lld",
                          (long long) (x->now_ms + backoff));

    rc = cmp_dispatch_rewrite(x->d, x->txn, x->s->mkey, x->s->mklen, x->rec,
                              x->len, m, "queued", set, 3, x->now_ms / 1000);

    if (rc == 0) {
        rc = cmp_timer_put(x->d->st, x->txn, x->now_ms + backoff,
                           CMP_TIMER_RETRY, x->s->mkey, x->s->mklen);
    }

    cmp_log_error(x->d->log, CMP_LOG_INFO, "channel %s message %s: "
                  "throttled (%s), attempt %d, again in %lld ms", c->id,
                  m->id, a->error, (int) m->attempts, (long long) backoff);

    return rc;
}


/* not the message's fault: it waits, uncounted, for the channel */
static int
cmp_dispatch_blocked(cmp_dispatch_answer_t *x)
{
    int                  rc;
    char                 detail[sizeof(x->a.error) + 40], num[24];
    json_t              *body;
    cmp_op_t             op;
    cmp_chan_t          *c;
    cmp_queue_peek_t     peek;
    cmp_message_view_t  *m;
    cmp_json_field_t     set[2];

    c = x->c;
    m = &x->m;

    set[0].name = "attempts";
    set[0].value = num;
    set[0].len = snprintf(num, sizeof(num), "%lld",
                          (long long) m->attempts - 1);

    /* back in the queue: the record names the entry it gets */
    rc = cmp_queue_seq_peek(x->d->st, x->txn, &peek, &set[1]);

    if (rc == 0) {
        rc = cmp_dispatch_rewrite(x->d, x->txn, x->s->mkey, x->s->mklen,
                                  x->rec, x->len, m, "queued", set, 2,
                                  x->now_ms / 1000);
    }

    if (rc == 0) {
        rc = cmp_queue_put_peeked(x->d->st, x->txn, c->id, m->lane,
                                  x->s->mkey, x->s->mklen, &peek);
    }

    if (rc == 0 && c->ok) {
        body = json_object();
        cmp_op_init(&op, x->d->st, NULL, &cmp_kind_channels);
        op.txn = x->txn;
        op.now = x->now_ms / 1000;
        op.body = body;
        op.id_len = strlen(c->id);
        memcpy(op.id, c->id, op.id_len + 1);

        snprintf(detail, sizeof(detail), "provider refused the sender: %s",
                 x->a.error);

        if (cmp_channel_set_status(&op, "error", detail) != CMP_OK) {
            rc = EIO;
        }

        cmp_op_free(&op);
        json_decref(body);

        cmp_log_error(x->d->log, CMP_LOG_ERR, "channel %s: %s; dispatch "
                      "stopped until the channel is changed", c->id,
                      detail);
    }

    c->ok = 0;

    return rc;
}


/*
 * The provider says this recipient cannot take it now (WhatsApp's pair
 * rate, its per-user marketing cap; Viber's 100 an hour without a
 * reply): only this message waits, "deferred" with its next attempt
 * time, for the class's first wait doubling with each deferral.  It fails
 * when that time is past its campaign's end, or after too many.
 */
static int
cmp_dispatch_deferred(cmp_dispatch_answer_t *x)
{
    int                    rc, open;
    char                   due[24], due_ms[24], num[24], count[24];
    int64_t                wait, at;
    cmp_message_view_t        *m;
    cmp_answer_t          *a;
    cmp_json_field_t       set[5];
    cmp_campaign_cache_t   cache;

    m = &x->m;
    a = &x->a;

    wait = a->defer > 0 ? a->defer : 60;

    if (m->deferrals > 0 && m->deferrals < 32) {
        wait <<= m->deferrals;
    }

    if (a->defer_max > 0 && wait > a->defer_max) {
        wait = a->defer_max;
    }

    if (a->retry_after > wait) {
        wait = a->retry_after;
    }

    /* a tenth at random, so that a run's deferrals do not come back as one */
    wait = wait * 1000 + random() % (wait * 100 + 1);
    at = x->now_ms + wait;

    open = 1;

    if (m->campaign[0] != '\0') {
        memset(&cache, 0, sizeof(cmp_campaign_cache_t));
        cache.id[1] = 1;

        open = cmp_dispatch_campaign_open(x->d, x->txn, m->campaign, &cache,
                                          at / 1000);
    }

    if (!open || m->deferrals + 1 >= CMP_DISPATCH_DEFERRALS) {
        return cmp_dispatch_refused(x);
    }

    set[0].name = "error";
    set[0].value = x->quoted.data;
    set[0].len = x->quoted.len;
    set[1].name = "next_attempt_at";
    set[1].value = due;
    set[1].len = snprintf(due, sizeof(due), "%lld", (long long) at / 1000);
    set[2].name = "deferrals";
    set[2].value = count;
    set[2].len = snprintf(count, sizeof(count), "%lld",
                          (long long) m->deferrals + 1);
    /* not the message's fault: its throttle budget stays */
    set[3].name = "attempts";
    set[3].value = num;
    set[3].len = snprintf(num, sizeof(num), "%lld",
                          (long long) (m->attempts > 0 ? m->attempts - 1 : 0));
    set[4].name = CMP_RETRY_AT_FIELD;
    set[4].value = due_ms;
    set[4].len = snprintf(due_ms, sizeof(due_ms), "%lld", (long long) at);

    rc = cmp_dispatch_rewrite(x->d, x->txn, x->s->mkey, x->s->mklen, x->rec,
                              x->len, m, "deferred", set, 5,
                              x->now_ms / 1000);

    if (rc == 0) {
        rc = cmp_timer_put(x->d->st, x->txn, at, CMP_TIMER_RETRY,
                           x->s->mkey, x->s->mklen);
    }

    cmp_log_error(x->d->log, CMP_LOG_INFO, "campaign %s run %d contact %s "
                  "message %s: deferred (%s), again in %lld s",
                  m->campaign[0] ? m->campaign : "-", (int) m->run,
                  m->contact, m->id, a->error, (long long) wait / 1000);

    return rc;
}


void
cmp_dispatch_stop_starting(cmp_dispatch_t *d)
{
    d->stopping = 1;
}
