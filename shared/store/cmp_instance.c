
/*
 * Flow instances in CMP_DB_INSTANCES (the layout is in cmp_instance.h):
 * records, test sends not started yet, and campaignd's "#" families.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_instance.h"
#include "cmp_json.h"


#define CMP_INSTANCE_TEST     "#test"
#define CMP_INSTANCE_QUEUED   "#queued"
#define CMP_INSTANCE_LIVE     "#live"
#define CMP_INSTANCE_WAIT     "#wait"
#define CMP_INSTANCE_FILL     "#fill"


/* the "#live" entry cmp_live_take() takes, copied before it goes */
typedef struct {
    const unsigned char   *prefix;
    size_t                 plen;
    char                   contact[CMP_ID_MAX];
    size_t                 len;
    uint32_t               run;
} cmp_live_entry_t;


typedef struct {
    cmp_fill_job_t        *jobs;
    size_t                 max;
    size_t                *n;
} cmp_fill_list_t;


static size_t cmp_instance_key(unsigned char *buf, const char *family,
    const unsigned char *seq, const char *id, size_t len);
static size_t cmp_fkey(unsigned char *buf, const char *family, const void *a,
    size_t alen, const void *b, size_t blen);
static int cmp_live_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v);
static size_t cmp_wait_key(unsigned char *buf, const char *channel,
    const char *address);
static int cmp_fill_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v);


static size_t
cmp_instance_key(unsigned char *buf, const char *family,
    const unsigned char *seq, const char *id, size_t len)
{
    size_t  n;

    n = strlen(family) + 1;
    memcpy(buf, family, n);

    if (seq != NULL) {
        memcpy(buf + n, seq, 8);
        n += 8;
    }

    memcpy(buf + n, id, len);

    return n + len;
}


int
cmp_instance_id_generate(cmp_store_t *st, cmp_txn_t *txn, char *id,
    size_t *len, uint64_t *seq)
{
    int  rc;

    rc = cmp_seq_next(st, txn, "id:instances", seq);
    if (rc != 0) {
        return rc;
    }

    *len = (size_t) snprintf(id, CMP_ID_MAX + 1, CMP_INSTANCE_ID_PREFIX
                             "%08llx", (unsigned long long) *seq);

    return 0;
}


size_t
cmp_instance_test_key(unsigned char *buf, const char *id, size_t len)
{
    if (len == 0 || len > CMP_ID_MAX) {
        return 0;
    }

    return cmp_instance_key(buf, CMP_INSTANCE_TEST, NULL, id, len);
}


int
cmp_instance_get(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, cmp_record_t *rec)
{
    return cmp_record_read(st, txn, CMP_DB_INSTANCES, key, key_len, rec);
}


int
cmp_instance_put(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const cmp_record_t *rec)
{
    return cmp_record_write(st, txn, CMP_DB_INSTANCES, key, key_len, rec);
}


int
cmp_instance_load(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, json_t **inst, uint64_t *seq, uint64_t *version)
{
    int           rc;
    char          err[64];
    cmp_record_t  rec;

    rc = cmp_instance_get(st, txn, key, key_len, &rec);
    if (rc != 0) {
        return rc;
    }

    *seq = rec.seq;
    *version = rec.version;
    *inst = cmp_json_parse(rec.json, rec.len, err, sizeof(err));

    return (*inst == NULL) ? CMP_CORRUPTED : 0;
}


int
cmp_instance_save(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const json_t *inst, uint64_t seq, uint64_t version)
{
    int           rc;
    char         *dump;
    cmp_record_t  rec;

    dump = cmp_json_dump(inst, &rec.len);
    if (dump == NULL) {
        return ENOMEM;
    }

    rec.seq = seq;
    rec.version = version;
    rec.json = dump;

    rc = cmp_instance_put(st, txn, key, key_len, &rec);

    free(dump);

    return rc;
}


int
cmp_instance_enqueue(cmp_store_t *st, cmp_txn_t *txn, uint64_t seq,
    const char *id, size_t len)
{
    cmp_val_t      key, val;
    unsigned char  buf[32 + CMP_ID_MAX], s[8];

    if (len == 0 || len > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be64_put(s, seq);

    key.mv_data = buf;
    key.mv_size = cmp_instance_key(buf, CMP_INSTANCE_QUEUED, s, id, len);
    val.mv_data = "";
    val.mv_size = 0;

    return cmp_db_put(st, txn, CMP_DB_INSTANCES, &key, &val, 0);
}


int
cmp_instance_dequeue(cmp_store_t *st, cmp_txn_t *txn, uint64_t seq,
    const char *id, size_t len)
{
    int            rc;
    cmp_val_t      key;
    unsigned char  buf[32 + CMP_ID_MAX], s[8];

    if (len == 0 || len > CMP_ID_MAX) {
        return CMP_NOTFOUND;
    }

    cmp_be64_put(s, seq);

    key.mv_data = buf;
    key.mv_size = cmp_instance_key(buf, CMP_INSTANCE_QUEUED, s, id, len);

    rc = cmp_db_del(st, txn, CMP_DB_INSTANCES, &key, NULL);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* the oldest queued test send; CMP_NOTFOUND when there is none */
int
cmp_instance_next_queued(cmp_store_t *st, cmp_txn_t *txn, uint64_t *seq,
    char *id, size_t *len)
{
    int            rc;
    size_t         n;
    cmp_val_t      key, val;
    cmp_cursor_t  *cur;

    n = sizeof(CMP_INSTANCE_QUEUED);

    rc = cmp_cursor_open(st, txn, CMP_DB_INSTANCES, &cur);
    if (rc != 0) {
        return rc;
    }

    key.mv_data = (void *) CMP_INSTANCE_QUEUED;
    key.mv_size = n;

    rc = cmp_cursor_get(cur, &key, &val, CMP_SET_RANGE);

    if (rc == 0) {
        if (key.mv_size <= n + 8 || key.mv_size > n + 8 + CMP_ID_MAX
            || memcmp(key.mv_data, CMP_INSTANCE_QUEUED, n) != 0)
        {
            rc = CMP_NOTFOUND;

        } else {
            *seq = cmp_be64_get((unsigned char *) key.mv_data + n);
            *len = key.mv_size - n - 8;
            memcpy(id, (char *) key.mv_data + n + 8, *len);
            id[*len] = '\0';
        }
    }

    cmp_cursor_close(cur);

    return rc;
}


size_t
cmp_instance_run_key(unsigned char *buf, const char *campaign, size_t clen,
    uint32_t run, const char *contact, size_t len)
{
    unsigned char  *p;

    if (clen > CMP_ID_MAX || len > CMP_ID_MAX) {
        return 0;
    }

    p = buf;
    memcpy(p, campaign, clen);
    p += clen;
    *p++ = '\0';
    *p++ = (unsigned char) (run >> 24);
    *p++ = (unsigned char) (run >> 16);
    *p++ = (unsigned char) (run >> 8);
    *p++ = (unsigned char) run;
    memcpy(p, contact, len);

    return (p - buf) + len;
}


/* a "#" family's key: family NUL a, then NUL b when b is given; 0: too long */
static size_t
cmp_fkey(unsigned char *buf, const char *family, const void *a, size_t alen,
    const void *b, size_t blen)
{
    size_t  n;

    n = strlen(family) + 1;

    if (n + alen + 1 + blen > CMP_FKEY_MAX) {
        return 0;
    }

    memcpy(buf, family, n);
    memcpy(buf + n, a, alen);
    n += alen;

    if (b != NULL) {
        buf[n++] = '\0';
        memcpy(buf + n, b, blen);
        n += blen;
    }

    return n;
}


int
cmp_live_get(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len, uint32_t *run)
{
    int            rc;
    size_t         n, vlen;
    const void    *v;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_fkey(buf, CMP_INSTANCE_LIVE, campaign, clen, contact, len);
    if (n == 0) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_db_fetch(st, txn, CMP_DB_INSTANCES, buf, n, &v, &vlen);

    if (rc == 0 && run != NULL) {
        *run = (vlen == 4) ? cmp_be32_get(v) : 0;
    }

    return rc;
}


int
cmp_live_put(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len, uint32_t run)
{
    size_t         n;
    unsigned char  buf[CMP_FKEY_MAX], runb[4];

    n = cmp_fkey(buf, CMP_INSTANCE_LIVE, campaign, clen, contact, len);
    if (n == 0) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be32_put(runb, run);

    return cmp_db_store(st, txn, CMP_DB_INSTANCES, buf, n, runb, 4);
}


int
cmp_live_del(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len)
{
    size_t         n;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_fkey(buf, CMP_INSTANCE_LIVE, campaign, clen, contact, len);

    return (n == 0) ? CMP_BAD_VALSIZE
                    : cmp_db_drop(st, txn, CMP_DB_INSTANCES, buf, n);
}


/* 1: some contact's instance of the campaign is still live */
int
cmp_live_any(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen)
{
    size_t         plen;
    cmp_val_t      k, v;
    unsigned char  prefix[CMP_FKEY_MAX];

    plen = cmp_fkey(prefix, CMP_INSTANCE_LIVE, campaign, clen, "", 0);

    return plen != 0
           && cmp_db_first(st, txn, CMP_DB_INSTANCES, prefix, plen, &k, &v)
              == 0
           && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0;
}


/* a cmp_db_visit_pt: the first "#live" entry of a campaign, copied */
static int
cmp_live_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_live_entry_t *e = ctx;

    if (k->mv_size < e->plen || memcmp(k->mv_data, e->prefix, e->plen) != 0
        || v->mv_size != 4)
    {
        return CMP_NOTFOUND;
    }

    e->len = k->mv_size - e->plen;

    if (e->len > CMP_ID_MAX) {
        /* no instance has such a key: cmp_instance_run_key() says 0 */
        return CMP_BAD_VALSIZE;
    }

    memcpy(e->contact, (char *) k->mv_data + e->plen, e->len);
    e->run = cmp_be32_get(v->mv_data);

    return 0;
}


/*
 * Up to max of the campaign's live instances, each taken out of "#live"
 * before visit hears of it (visit may write the txn: every take seeks
 * the first entry again).  *n: how many were taken; visit's code other
 * than 0 ends the walk and is returned.
 */
int
cmp_live_take(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, unsigned max, cmp_live_visit_pt visit, void *ctx,
    unsigned *n)
{
    int               rc;
    cmp_live_entry_t  e;
    unsigned char     prefix[CMP_FKEY_MAX];

    *n = 0;

    e.prefix = prefix;
    e.plen = cmp_fkey(prefix, CMP_INSTANCE_LIVE, campaign, clen, "", 0);

    if (e.plen == 0) {
        return 0;
    }

    while (*n < max) {
        rc = cmp_db_take(st, txn, CMP_DB_INSTANCES, prefix, e.plen,
                         cmp_live_taken, &e);
        if (rc != 0) {
            return (rc == CMP_NOTFOUND) ? 0 : rc;
        }

        (*n)++;

        rc = visit(ctx, e.contact, e.len, e.run);
        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


static size_t
cmp_wait_key(unsigned char *buf, const char *channel, const char *address)
{
    return cmp_fkey(buf, CMP_INSTANCE_WAIT, channel, strlen(channel),
                    address, strlen(address));
}


/* ikey waits from now on; an older instance's wait is replaced */
int
cmp_wait_put(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, const unsigned char *ikey, size_t ilen)
{
    size_t         n;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_wait_key(buf, channel, address);

    return (n == 0) ? 0
                    : cmp_db_store(st, txn, CMP_DB_INSTANCES, buf, n, ikey,
                                   ilen);
}


/* the instance waiting for the address, no longer waiting; CMP_NOTFOUND */
int
cmp_wait_take(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, unsigned char *ikey, size_t *ilen)
{
    int            rc;
    size_t         n, vlen;
    const void    *v;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_wait_key(buf, channel, address);
    if (n == 0) {
        return CMP_NOTFOUND;
    }

    rc = cmp_db_fetch(st, txn, CMP_DB_INSTANCES, buf, n, &v, &vlen);
    if (rc != 0) {
        return rc;
    }

    if (vlen > CMP_INSTANCE_KEY_MAX) {
        return CMP_NOTFOUND;
    }

    memcpy(ikey, v, vlen);
    *ilen = vlen;

    return cmp_db_drop(st, txn, CMP_DB_INSTANCES, buf, n);
}


/* ikey waits no longer, unless a newer instance waits in its place */
int
cmp_wait_del(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, const unsigned char *ikey, size_t ilen)
{
    size_t         n, vlen;
    const void    *v;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_wait_key(buf, channel, address);

    if (n == 0
        || cmp_db_fetch(st, txn, CMP_DB_INSTANCES, buf, n, &v, &vlen) != 0
        || vlen != ilen || memcmp(v, ikey, ilen) != 0)
    {
        return 0;
    }

    return cmp_db_drop(st, txn, CMP_DB_INSTANCES, buf, n);
}


/* "#wait" NUL channel NUL: where a channel's waits begin; 0: too long */
size_t
cmp_wait_prefix(unsigned char *buf, const char *channel, size_t len)
{
    return cmp_fkey(buf, CMP_INSTANCE_WAIT, channel, len, "", 0);
}


/* the run's fill from the start (last NULL), or after the contact last */
int
cmp_fill_put(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, uint32_t run, const char *last, size_t last_len)
{
    size_t         n;
    unsigned char  buf[CMP_FKEY_MAX], val[4 + CMP_ID_MAX];

    n = cmp_fkey(buf, CMP_INSTANCE_FILL, campaign, clen, NULL, 0);

    if (n == 0 || last_len > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be32_put(val, run);

    if (last_len > 0) {
        memcpy(val + 4, last, last_len);
    }

    return cmp_db_store(st, txn, CMP_DB_INSTANCES, buf, n, val, 4 + last_len);
}


int
cmp_fill_del(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen)
{
    size_t         n;
    unsigned char  buf[CMP_FKEY_MAX];

    n = cmp_fkey(buf, CMP_INSTANCE_FILL, campaign, clen, NULL, 0);

    return (n == 0) ? CMP_BAD_VALSIZE
                    : cmp_db_drop(st, txn, CMP_DB_INSTANCES, buf, n);
}


/* a cmp_db_visit_pt: a "#fill" entry copied out, or the end */
static int
cmp_fill_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_fill_list_t *l = ctx;

    size_t           plen, clen, len;
    cmp_fill_job_t  *job;

    plen = sizeof(CMP_INSTANCE_FILL);

    if (k->mv_size <= plen || memcmp(k->mv_data, CMP_INSTANCE_FILL, plen))
    {
        return 1;
    }

    clen = k->mv_size - plen;

    if (clen > CMP_ID_MAX || v->mv_size < 4 || v->mv_size - 4 > CMP_ID_MAX) {
        return 0;
    }

    job = &l->jobs[(*l->n)++];
    len = v->mv_size - 4;

    memcpy(job->campaign, (char *) k->mv_data + plen, clen);
    job->campaign[clen] = '\0';
    job->run = cmp_be32_get(v->mv_data);
    memcpy(job->last, (char *) v->mv_data + 4, len);
    job->last[len] = '\0';
    job->last_len = len;

    return *l->n == l->max;
}


/*
 * Up to max of the fills under way, in campaign order, copied out: the
 * chunks that go on with them write.  *n: how many.
 */
int
cmp_fill_list(cmp_store_t *st, cmp_txn_t *txn, cmp_fill_job_t *jobs,
    size_t max, size_t *n)
{
    cmp_fill_list_t  l;

    *n = 0;

    if (max == 0) {
        return 0;
    }

    l.jobs = jobs;
    l.max = max;
    l.n = n;

    return cmp_db_walk(st, txn, CMP_DB_INSTANCES, CMP_INSTANCE_FILL,
                       sizeof(CMP_INSTANCE_FILL), cmp_fill_entry, &l);
}
