
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


static size_t cmp_instance_key(unsigned char *buf, const char *family,
    const unsigned char *seq, const char *id, size_t len);
static size_t cmp_fkey(unsigned char *buf, const char *family, const void *a,
    size_t alen, const void *b, size_t blen);
static size_t cmp_wait_key(unsigned char *buf, const char *channel,
    const char *address);


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
    cmp_val_t      k, v;
    unsigned char  buf[CMP_FKEY_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_fkey(buf, CMP_INSTANCE_LIVE, campaign, clen, contact,
                         len);

    if (k.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_db_get(st, txn, CMP_DB_INSTANCES, &k, &v);

    if (rc == 0 && run != NULL) {
        *run = (v.mv_size == 4) ? cmp_be32_get(v.mv_data) : 0;
    }

    return rc;
}


int
cmp_live_put(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len, uint32_t run)
{
    cmp_val_t      k, v;
    unsigned char  buf[CMP_FKEY_MAX], runb[4];

    k.mv_data = buf;
    k.mv_size = cmp_fkey(buf, CMP_INSTANCE_LIVE, campaign, clen, contact,
                         len);

    if (k.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be32_put(runb, run);
    v.mv_data = runb;
    v.mv_size = 4;

    return cmp_db_put(st, txn, CMP_DB_INSTANCES, &k, &v, 0);
}


int
cmp_live_del(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len)
{
    int            rc;
    cmp_val_t      k;
    unsigned char  buf[CMP_FKEY_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_fkey(buf, CMP_INSTANCE_LIVE, campaign, clen, contact,
                         len);

    if (k.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_db_del(st, txn, CMP_DB_INSTANCES, &k, NULL);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* 1: some contact's instance of the campaign is still live */
int
cmp_live_any(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen)
{
    int            rc;
    size_t         plen;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;
    unsigned char  prefix[CMP_FKEY_MAX];

    plen = cmp_fkey(prefix, CMP_INSTANCE_LIVE, campaign, clen, "", 0);

    if (plen == 0 || cmp_cursor_open(st, txn, CMP_DB_INSTANCES, &cur) != 0) {
        return 0;
    }

    k.mv_data = prefix;
    k.mv_size = plen;

    rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);
    cmp_cursor_close(cur);

    return rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0;
}


/*
 * Up to max of the campaign's live instances, each taken out of "#live"
 * before visit hears of it (visit may write the txn: the walk seeks its
 * first entry again every time).  *n: how many were taken; visit's code
 * other than 0 ends the walk and is returned.
 */
int
cmp_live_take(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, unsigned max, cmp_live_visit_pt visit, void *ctx,
    unsigned *n)
{
    int            rc;
    char           contact[CMP_ID_MAX];
    size_t         plen, len;
    uint32_t       run;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;
    unsigned char  prefix[CMP_FKEY_MAX];

    *n = 0;

    plen = cmp_fkey(prefix, CMP_INSTANCE_LIVE, campaign, clen, "", 0);
    if (plen == 0) {
        return 0;
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_INSTANCES, &cur);
    if (rc != 0) {
        return rc;
    }

    while (*n < max) {
        k.mv_data = prefix;
        k.mv_size = plen;

        rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);

        if (rc != 0 || k.mv_size < plen
            || memcmp(k.mv_data, prefix, plen) != 0 || v.mv_size != 4)
        {
            rc = (rc == CMP_NOTFOUND) ? 0 : rc;
            break;
        }

        len = k.mv_size - plen;

        if (len > CMP_ID_MAX) {
            /* no instance has such a key: cmp_instance_run_key() says 0 */
            rc = CMP_BAD_VALSIZE;
            break;
        }

        memcpy(contact, (char *) k.mv_data + plen, len);
        run = cmp_be32_get(v.mv_data);

        rc = cmp_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        (*n)++;

        rc = visit(ctx, contact, len, run);
        if (rc != 0) {
            break;
        }
    }

    cmp_cursor_close(cur);

    return rc;
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
    cmp_val_t      k, v;
    unsigned char  buf[CMP_FKEY_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_wait_key(buf, channel, address);

    if (k.mv_size == 0) {
        return 0;
    }

    v.mv_data = (void *) ikey;
    v.mv_size = ilen;

    return cmp_db_put(st, txn, CMP_DB_INSTANCES, &k, &v, 0);
}


/* the instance waiting for the address, no longer waiting; CMP_NOTFOUND */
int
cmp_wait_take(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, unsigned char *ikey, size_t *ilen)
{
    int            rc;
    cmp_val_t      k, v;
    unsigned char  buf[CMP_FKEY_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_wait_key(buf, channel, address);

    if (k.mv_size == 0) {
        return CMP_NOTFOUND;
    }

    rc = cmp_db_get(st, txn, CMP_DB_INSTANCES, &k, &v);
    if (rc != 0) {
        return rc;
    }

    if (v.mv_size > CMP_INSTANCE_KEY_MAX) {
        return CMP_NOTFOUND;
    }

    memcpy(ikey, v.mv_data, v.mv_size);
    *ilen = v.mv_size;

    return cmp_db_del(st, txn, CMP_DB_INSTANCES, &k, NULL);
}


/* ikey waits no longer, unless a newer instance waits in its place */
int
cmp_wait_del(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, const unsigned char *ikey, size_t ilen)
{
    cmp_val_t      k, v;
    unsigned char  buf[CMP_FKEY_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_wait_key(buf, channel, address);

    if (k.mv_size == 0
        || cmp_db_get(st, txn, CMP_DB_INSTANCES, &k, &v) != 0
        || v.mv_size != ilen || memcmp(v.mv_data, ikey, ilen) != 0)
    {
        return 0;
    }

    return cmp_db_del(st, txn, CMP_DB_INSTANCES, &k, NULL);
}


/* the run's fill from the start (last NULL), or after the contact last */
int
cmp_fill_put(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, uint32_t run, const char *last, size_t last_len)
{
    cmp_val_t      k, v;
    unsigned char  buf[CMP_FKEY_MAX], val[4 + CMP_ID_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_fkey(buf, CMP_INSTANCE_FILL, campaign, clen, NULL, 0);

    if (k.mv_size == 0 || last_len > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be32_put(val, run);

    if (last_len > 0) {
        memcpy(val + 4, last, last_len);
    }

    v.mv_data = val;
    v.mv_size = 4 + last_len;

    return cmp_db_put(st, txn, CMP_DB_INSTANCES, &k, &v, 0);
}


int
cmp_fill_del(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen)
{
    int            rc;
    cmp_val_t      k;
    unsigned char  buf[CMP_FKEY_MAX];

    k.mv_data = buf;
    k.mv_size = cmp_fkey(buf, CMP_INSTANCE_FILL, campaign, clen, NULL, 0);

    if (k.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_db_del(st, txn, CMP_DB_INSTANCES, &k, NULL);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/*
 * Every fill under way, in campaign order, until visit says other than
 * 0; what it is given points into the map until the txn writes or ends.
 */
int
cmp_fill_walk(cmp_store_t *st, cmp_txn_t *txn, cmp_fill_visit_pt visit,
    void *ctx)
{
    int             rc;
    size_t          plen;
    cmp_val_t       k, v;
    cmp_cursor_t   *cur;
    unsigned char  *kp, *vp;

    plen = sizeof(CMP_INSTANCE_FILL);

    rc = cmp_cursor_open(st, txn, CMP_DB_INSTANCES, &cur);
    if (rc != 0) {
        return rc;
    }

    k.mv_data = (void *) CMP_INSTANCE_FILL;
    k.mv_size = plen;

    rc = cmp_cursor_get(cur, &k, &v, CMP_SET_RANGE);

    while (rc == 0 && k.mv_size > plen
           && memcmp(k.mv_data, CMP_INSTANCE_FILL, plen) == 0)
    {
        kp = k.mv_data;
        vp = v.mv_data;

        if (k.mv_size - plen <= CMP_ID_MAX && v.mv_size >= 4
            && v.mv_size - 4 <= CMP_ID_MAX
            && visit(ctx, (char *) kp + plen, k.mv_size - plen,
                     cmp_be32_get(vp), (char *) vp + 4, v.mv_size - 4)
               != 0)
        {
            break;
        }

        rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT);
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}
