
/*
 * Campaign counters.  Key: campaign id, NUL, be32 run, counter name;
 * value: be64.  A campaign's counters are one contiguous key range.
 *
 * A write txn moves the same few counters again and again (every message
 * a dispatch txn records moves its campaign's and the store's totals), so
 * the values it moves are kept in the store's counter cache and written
 * once each when it commits: one get the first time a key is met, one put
 * at the end, instead of a get and a put on every move.  The cache is the
 * innermost open write txn's (a process has one write txn at a time, and
 * a child's parent is flushed before the child begins); a read of the
 * counters in that txn flushes it first, and an abort forgets it.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_counter.h"


/* distinct counters one txn moves before the cache is written out */
#define CMP_COUNTER_CACHE_SIZE  64
#define CMP_COUNTER_KEY_MAX     256


typedef struct {
    uint32_t            hash;
    uint32_t            len;
    uint64_t            value;
    unsigned char       key[CMP_COUNTER_KEY_MAX];
} cmp_counter_entry_t;


struct cmp_counter_cache_s {
    cmp_txn_t          *txn;        /* whose values these are; NULL: none */
    size_t              n;
    cmp_counter_entry_t entries[CMP_COUNTER_CACHE_SIZE];
};


static size_t cmp_counter_key(unsigned char *buf, size_t size,
    const char *campaign, size_t campaign_len, uint32_t run,
    const char *name);
static cmp_counter_entry_t *cmp_counter_cached(cmp_store_t *st,
    cmp_txn_t *txn, const char *campaign, size_t campaign_len, uint32_t run,
    const char *name, int *rc);
static uint32_t cmp_counter_hash(const unsigned char *key, size_t len);


static size_t
cmp_counter_key(unsigned char *buf, size_t size, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name)
{
    size_t  name_len, n;

    name_len = strlen(name);
    n = campaign_len + 1 + 4 + name_len;

    if (n > size) {
        return 0;
    }

    memcpy(buf, campaign, campaign_len);
    buf[campaign_len] = '\0';
    buf[campaign_len + 1] = (unsigned char) (run >> 24);
    buf[campaign_len + 2] = (unsigned char) (run >> 16);
    buf[campaign_len + 3] = (unsigned char) (run >> 8);
    buf[campaign_len + 4] = (unsigned char) run;
    memcpy(buf + campaign_len + 5, name, name_len);

    return n;
}


int
cmp_counter_add(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, int64_t delta)
{
    int                   rc;
    cmp_counter_entry_t  *e;

    e = cmp_counter_cached(st, txn, campaign, campaign_len, run, name, &rc);
    if (e == NULL) {
        return rc;
    }

    if (delta < 0 && (uint64_t) -delta > e->value) {
        e->value = 0;

    } else {
        e->value += delta;
    }

    /* every campaign's totals also move the store's, which metrics read */
    if (run == CMP_COUNTER_TOTAL
        && !(campaign_len == sizeof(CMP_COUNTER_ALL) - 1
             && memcmp(campaign, CMP_COUNTER_ALL, campaign_len) == 0))
    {
        return cmp_counter_add(st, txn, CMP_COUNTER_ALL,
                               sizeof(CMP_COUNTER_ALL) - 1, CMP_COUNTER_TOTAL,
                               name, delta);
    }

    return 0;
}


int
cmp_counter_set(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, uint64_t value)
{
    int                   rc;
    cmp_counter_entry_t  *e;

    e = cmp_counter_cached(st, txn, campaign, campaign_len, run, name, &rc);
    if (e == NULL) {
        return rc;
    }

    e->value = value;

    return 0;
}


/*
 * The cache's entry of a counter, read from txn the first time it is met
 * in it.  A full cache is written out first.  The cache is free or txn's:
 * every end of a txn and every begin of a child empties it, so a cache
 * still held by another txn means moves that were never written, and
 * txn fails rather than lose them.
 */
static cmp_counter_entry_t *
cmp_counter_cached(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, int *rc)
{
    size_t                i, len;
    uint32_t              hash;
    cmp_val_t             k, v;
    cmp_counter_cache_t  *c;
    cmp_counter_entry_t  *e;
    unsigned char         key[CMP_COUNTER_KEY_MAX];

    len = cmp_counter_key(key, sizeof(key), campaign, campaign_len, run,
                          name);
    if (len == 0) {
        *rc = CMP_BAD_VALSIZE;
        return NULL;
    }

    c = st->counters;

    if (c->txn != txn) {
        if (c->txn != NULL) {
            *rc = CMP_BAD_TXN;
            return NULL;
        }

        c->n = 0;
        __atomic_store_n(&c->txn, txn, __ATOMIC_RELAXED);
    }

    hash = cmp_counter_hash(key, len);

    for (i = 0; i < c->n; i++) {
        e = &c->entries[i];

        if (e->hash == hash && e->len == len
            && memcmp(e->key, key, len) == 0)
        {
            return e;
        }
    }

    if (c->n == CMP_COUNTER_CACHE_SIZE) {
        *rc = cmp_counter_flush(st, txn);
        if (*rc != 0) {
            return NULL;
        }

        __atomic_store_n(&c->txn, txn, __ATOMIC_RELAXED);
    }

    e = &c->entries[c->n];

    k.mv_data = key;
    k.mv_size = len;

    *rc = cmp_db_get(st, txn, CMP_DB_COUNTERS, &k, &v);

    if (*rc == CMP_NOTFOUND) {
        e->value = 0;

    } else if (*rc != 0) {
        return NULL;

    } else {
        e->value = cmp_be64_get(v.mv_data);
    }

    *rc = 0;

    e->hash = hash;
    e->len = (uint32_t) len;
    memcpy(e->key, key, len);
    c->n++;

    return e;
}


/* FNV-1a: the keys differ mostly in their last bytes, the name */
static uint32_t
cmp_counter_hash(const unsigned char *key, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= key[i];
        h *= 16777619u;
    }

    return h;
}


/*
 * The cached values of txn, written into it; the cache is then empty.
 * The store calls it before txn commits and before a child of it begins.
 */
int
cmp_counter_flush(cmp_store_t *st, cmp_txn_t *txn)
{
    int                   rc;
    size_t                i;
    cmp_val_t             k, v;
    cmp_counter_cache_t  *c;
    cmp_counter_entry_t  *e;
    unsigned char         num[8];

    /* the cache lives as long as the store: the open makes it first */
    c = st->counters;

    if (__atomic_load_n(&c->txn, __ATOMIC_RELAXED) != txn) {
        return 0;
    }

    rc = 0;

    for (i = 0; rc == 0 && i < c->n; i++) {
        e = &c->entries[i];

        k.mv_data = e->key;
        k.mv_size = e->len;

        cmp_be64_put(num, e->value);
        v.mv_data = num;
        v.mv_size = 8;

        rc = cmp_db_put(st, txn, CMP_DB_COUNTERS, &k, &v, 0);
    }

    c->n = 0;
    __atomic_store_n(&c->txn, NULL, __ATOMIC_RELAXED);

    return rc;
}


/* txn ends without its changes: so do its cached values */
void
cmp_counter_forget(cmp_store_t *st, cmp_txn_t *txn)
{
    cmp_counter_cache_t  *c;

    c = st->counters;

    if (__atomic_load_n(&c->txn, __ATOMIC_RELAXED) == txn) {
        c->n = 0;
        __atomic_store_n(&c->txn, NULL, __ATOMIC_RELAXED);
    }
}


int
cmp_counter_cache_create(cmp_store_t *st)
{
    st->counters = calloc(1, sizeof(cmp_counter_cache_t));

    return (st->counters != NULL) ? 0 : ENOMEM;
}


void
cmp_counter_cache_free(cmp_store_t *st)
{
    free(st->counters);
    st->counters = NULL;
}


/* in key order: the totals (run 0) first, then run 1, 2, ... */
int
cmp_counter_scan(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, cmp_counter_visit_pt visit, void *ctx)
{
    int            rc;
    cmp_val_t      key, val;
    uint32_t       run;
    cmp_cursor_t  *cur;
    unsigned char  buf[256], *k;

    if (campaign_len + 1 > sizeof(buf)) {
        return CMP_BAD_VALSIZE;
    }

    memcpy(buf, campaign, campaign_len);
    buf[campaign_len] = '\0';

    /* what this txn moved is read as it is now */
    rc = cmp_counter_flush(st, txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_COUNTERS, &cur);
    if (rc != 0) {
        return rc;
    }

    key.mv_data = buf;
    key.mv_size = campaign_len + 1;

    rc = cmp_cursor_get(cur, &key, &val, CMP_SET_RANGE);

    while (rc == 0) {
        k = key.mv_data;

        if (key.mv_size < campaign_len + 5
            || memcmp(k, buf, campaign_len + 1) != 0)
        {
            break;
        }

        run = ((uint32_t) k[campaign_len + 1] << 24)
              | ((uint32_t) k[campaign_len + 2] << 16)
              | ((uint32_t) k[campaign_len + 3] << 8)
              | k[campaign_len + 4];

        if (visit(ctx, run, (char *) k + campaign_len + 5,
                  key.mv_size - campaign_len - 5,
                  cmp_be64_get(val.mv_data)) != 0)
        {
            break;
        }

        rc = cmp_cursor_get(cur, &key, &val, CMP_NEXT);
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


int
cmp_counter_drop(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len)
{
    int            rc;
    cmp_val_t      key, val;
    cmp_cursor_t  *cur;
    unsigned char  buf[256];

    if (campaign_len + 1 > sizeof(buf)) {
        return CMP_BAD_VALSIZE;
    }

    memcpy(buf, campaign, campaign_len);
    buf[campaign_len] = '\0';

    /* what this txn moved is read as it is now */
    rc = cmp_counter_flush(st, txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_COUNTERS, &cur);
    if (rc != 0) {
        return rc;
    }

    key.mv_data = buf;
    key.mv_size = campaign_len + 1;

    rc = cmp_cursor_get(cur, &key, &val, CMP_SET_RANGE);

    while (rc == 0 && key.mv_size > campaign_len
           && memcmp(key.mv_data, buf, campaign_len + 1) == 0)
    {
        rc = cmp_cursor_del(cur, 0);

        if (rc == 0) {
            /* seek again: where a deleting cursor points is subtle */
            key.mv_data = buf;
            key.mv_size = campaign_len + 1;
            rc = cmp_cursor_get(cur, &key, &val, CMP_SET_RANGE);
        }
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND || rc == 0) ? 0 : rc;
}
