
/*
 * The campaign funnel: a status change of a ledger record becomes the
 * counter changes cmp_funnel.h describes, in the caller's transaction.
 */


#include <stdio.h>
#include <string.h>

#include "cmp_funnel.h"
#include "cmp_counter.h"
#include "cmp_message.h"


/* cmp_message_rank() of the stages; read is the last one on the way */
#define CMP_FUNNEL_RANK_SENT    2
#define CMP_FUNNEL_RANK_READ    4


static int cmp_funnel_count(cmp_store_t *st, cmp_txn_t *txn,
    const char *campaign, size_t campaign_len, uint32_t run,
    const char *name, int64_t delta);
static int cmp_funnel_gauge(cmp_store_t *st, cmp_txn_t *txn,
    const char *status, int64_t delta);
static int cmp_funnel_waiting(const char *status);
static int cmp_funnel_skips_visit(void *ctx, uint32_t run, const char *name,
    size_t name_len, uint64_t value);


typedef struct {
    uint32_t        run;
    uint64_t        skipped;
    uint64_t        by[CMP_SKIP_NREASONS];
} cmp_funnel_skips_t;


const char  *cmp_skip_reasons[CMP_SKIP_NREASONS] = {
    CMP_SKIP_OPTED_OUT, CMP_SKIP_LIVE_INSTANCE, CMP_SKIP_NO_ADDRESS,
    CMP_SKIP_PAST_END, CMP_SKIP_SUSPENDED
};


static const char  *cmp_funnel_stages[] = { "sent", "delivered", "read" };


int
cmp_funnel_move(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *from, const char *to)
{
    int     rc, rf, rt, i;

    /* test sends ("#" + instance) belong to no campaign's funnel */
    if (campaign == NULL || campaign_len == 0 || campaign[0] == '#') {
        return 0;
    }

    rf = (from != NULL) ? cmp_message_rank(from) : -1;
    rt = cmp_message_rank(to);

    if (rt < 0 || (from != NULL && strcmp(from, to) == 0)) {
        return 0;
    }

    rc = 0;

    if ((from != NULL && cmp_funnel_waiting(from)) != cmp_funnel_waiting(to)) {
        rc = cmp_funnel_count(st, txn, campaign, campaign_len, run, "queued",
                              cmp_funnel_waiting(to) ? 1 : -1);
    }

    /*
     * Every stage between the old status and the new one is reached now:
     * a "read" straight after "sent" is delivered too.  A move backwards
     * (a crash's "sending" queued again, or "sent" recorded after a
     * webhook said "delivered") reaches nothing.
     */
    for (i = 0; rc == 0 && i < 3; i++) {
        if (rt <= CMP_FUNNEL_RANK_READ && rt >= CMP_FUNNEL_RANK_SENT + i
            && rf < CMP_FUNNEL_RANK_SENT + i)
        {
            rc = cmp_funnel_count(st, txn, campaign, campaign_len, run,
                                  cmp_funnel_stages[i], 1);
        }
    }

    if (rc == 0 && (strcmp(to, "failed") == 0 || strcmp(to, "skipped") == 0))
    {
        rc = cmp_funnel_count(st, txn, campaign, campaign_len, run, to, 1);
    }

    if (rc == 0 && from != NULL && rf >= 0) {
        rc = cmp_funnel_gauge(st, txn, from, -1);
    }

    if (rc == 0) {
        rc = cmp_funnel_gauge(st, txn, to, 1);
    }

    return rc;
}


/*
 * Only the store's gauges move: the totals of all campaigns stay as
 * they were, as a Prometheus counter never goes back.
 */
int
cmp_funnel_forget(cmp_store_t *st, cmp_txn_t *txn, const char *status)
{
    int  rc;

    if (cmp_message_rank(status) < 0) {
        return 0;
    }

    rc = cmp_funnel_gauge(st, txn, status, -1);

    if (rc == 0 && cmp_funnel_waiting(status)) {
        rc = cmp_counter_add(st, txn, CMP_COUNTER_ALL,
                             sizeof(CMP_COUNTER_ALL) - 1, CMP_COUNTER_TOTAL,
                             "queued", -1);
    }

    return rc;
}


int
cmp_funnel_skip(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *reason)
{
    char    name[64];
    size_t  n;

    if (campaign == NULL || campaign_len == 0 || campaign[0] == '#') {
        return 0;
    }

    n = sizeof(CMP_FUNNEL_SKIPPED) - 1;

    if (n + strlen(reason) + 1 > sizeof(name)) {
        return CMP_BAD_VALSIZE;
    }

    memcpy(name, CMP_FUNNEL_SKIPPED, n);
    strcpy(name + n, reason);

    return cmp_funnel_count(st, txn, campaign, campaign_len, run, name, 1);
}


int
cmp_funnel_key(const unsigned char *key, size_t key_len,
    size_t *campaign_len, uint32_t *run)
{
    const unsigned char  *p;

    p = memchr(key, '\0', key_len);

    if (p == NULL || p == key || key[0] == '#'
        || (size_t) (p - key) + 5 > key_len)
    {
        return -1;
    }

    *campaign_len = p - key;
    *run = ((uint32_t) p[1] << 24) | ((uint32_t) p[2] << 16)
           | ((uint32_t) p[3] << 8) | p[4];

    return 0;
}


int
cmp_funnel_skips_text(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, char *buf, size_t size)
{
    int                  rc, i, n;
    size_t               len;
    cmp_funnel_skips_t   s;

    memset(&s, 0, sizeof(cmp_funnel_skips_t));
    s.run = run;

    rc = cmp_counter_scan(st, txn, campaign, campaign_len,
                          cmp_funnel_skips_visit, &s);
    if (rc != 0 || size == 0) {
        return rc;
    }

    n = snprintf(buf, size, "skipped %llu (", (unsigned long long) s.skipped);

    for (i = 0; i < CMP_SKIP_NREASONS && n > 0 && (size_t) n < size; i++) {
        len = n;
        n += snprintf(buf + len, size - len, "%s%s %llu", i ? ", " : "",
                      cmp_skip_reasons[i], (unsigned long long) s.by[i]);
    }

    if (n > 0 && (size_t) n < size) {
        snprintf(buf + n, size - n, ")");
    }

    return 0;
}


static int
cmp_funnel_skips_visit(void *ctx, uint32_t run, const char *name,
    size_t name_len, uint64_t value)
{
    cmp_funnel_skips_t *s = ctx;

    int     i;
    size_t  n;

    /* the counters come in run order: past this run, nothing is left */
    if (run != s->run) {
        return run > s->run;
    }

    if (name_len == 7 && memcmp(name, "skipped", 7) == 0) {
        s->skipped = value;
        return 0;
    }

    n = sizeof(CMP_FUNNEL_SKIPPED) - 1;

    if (name_len <= n || memcmp(name, CMP_FUNNEL_SKIPPED, n) != 0) {
        return 0;
    }

    for (i = 0; i < CMP_SKIP_NREASONS; i++) {
        if (strlen(cmp_skip_reasons[i]) == name_len - n
            && memcmp(cmp_skip_reasons[i], name + n, name_len - n) == 0)
        {
            s->by[i] = value;
        }
    }

    return 0;
}


/* run 0 (which moves CMP_COUNTER_ALL too) and the message's own run */
static int
cmp_funnel_count(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, int64_t delta)
{
    int  rc;

    rc = cmp_counter_add(st, txn, campaign, campaign_len, CMP_COUNTER_TOTAL,
                         name, delta);

    if (rc == 0 && run != CMP_COUNTER_TOTAL) {
        rc = cmp_counter_add(st, txn, campaign, campaign_len, run, name,
                             delta);
    }

    return rc;
}


/* the store's records by status now: the metrics read no ledger */
static int
cmp_funnel_gauge(cmp_store_t *st, cmp_txn_t *txn, const char *status,
    int64_t delta)
{
    char    name[32];
    size_t  n;

    n = sizeof(CMP_FUNNEL_STATUS) - 1;

    if (n + strlen(status) + 1 > sizeof(name)) {
        return 0;
    }

    memcpy(name, CMP_FUNNEL_STATUS, n);
    strcpy(name + n, status);

    return cmp_counter_add(st, txn, CMP_COUNTER_ALL,
                           sizeof(CMP_COUNTER_ALL) - 1, CMP_COUNTER_TOTAL,
                           name, delta);
}


/* "sending" is still waiting to the stats: it is not done yet */
static int
cmp_funnel_waiting(const char *status)
{
    return strcmp(status, "queued") == 0 || strcmp(status, "sending") == 0
           || strcmp(status, "deferred") == 0;
}
