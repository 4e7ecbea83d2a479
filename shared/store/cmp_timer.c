
/*
 * The timers' keys (cmp_timer.h): a due time, a type and what it wakes.
 */


#include <string.h>

#include "cmp_timer.h"
#include "cmp_message.h"


#define CMP_TIMER_RETRY_OF      "#retry"
#define CMP_TIMER_RETRY_OF_LEN  (sizeof(CMP_TIMER_RETRY_OF))   /* with NUL */
#define CMP_TIMER_RETRY_OF_MAX                                            \
    (CMP_TIMER_RETRY_OF_LEN + CMP_MESSAGE_KEY_MAX + 8)


typedef struct {
    int64_t            now_ms;
    int64_t            due_ms;
    int               *type;
    unsigned char     *key;
    size_t            *len;
} cmp_timer_taken_t;


static size_t cmp_timer_key(unsigned char *buf, int64_t due_ms, int type,
    const unsigned char *key, size_t len);
static int cmp_timer_retry_index(cmp_store_t *st, cmp_txn_t *txn,
    int64_t due_ms, const unsigned char *key, size_t len, int put);
static int cmp_timer_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v);
static int cmp_timer_index_each(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const unsigned char *val,
    size_t val_len);


static const cmp_meta_build_t  cmp_timer_index = {
    CMP_DB_TIMERS, CMP_META_TIMER_INDEX, CMP_META_TIMER_INDEX_FROM, NULL, 0,
    cmp_timer_index_each
};


int
cmp_timer_put(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    int            rc;
    unsigned char  buf[9 + CMP_TIMER_KEY_MAX];

    if (len > CMP_TIMER_KEY_MAX) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_db_store(st, txn, CMP_DB_TIMERS, buf,
                      cmp_timer_key(buf, due_ms, type, key, len), "", 0);

    return (rc == 0 && type == CMP_TIMER_RETRY)
           ? cmp_timer_retry_index(st, txn, due_ms, key, len, 1) : rc;
}


int
cmp_timer_del(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    int            rc;
    unsigned char  buf[9 + CMP_TIMER_KEY_MAX];

    if (len > CMP_TIMER_KEY_MAX) {
        return 0;
    }

    rc = cmp_db_drop(st, txn, CMP_DB_TIMERS, buf,
                     cmp_timer_key(buf, due_ms, type, key, len));

    return (rc == 0 && type == CMP_TIMER_RETRY)
           ? cmp_timer_retry_index(st, txn, due_ms, key, len, 0) : rc;
}


/* be64 due-ms, type, key: buf has 9 + CMP_TIMER_KEY_MAX bytes */
static size_t
cmp_timer_key(unsigned char *buf, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    cmp_be64_put(buf, (uint64_t) due_ms);
    buf[8] = (unsigned char) type;
    memcpy(buf + 9, key, len);

    return 9 + len;
}


/* a retry's "#retry" NUL message key be64 due-ms, put or removed */
static int
cmp_timer_retry_index(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms,
    const unsigned char *key, size_t len, int put)
{
    size_t         n;
    unsigned char  buf[CMP_TIMER_RETRY_OF_MAX];

    /* no message has a longer key: nothing a purge could look for */
    if (len > CMP_MESSAGE_KEY_MAX) {
        return 0;
    }

    memcpy(buf, CMP_TIMER_RETRY_OF, CMP_TIMER_RETRY_OF_LEN);
    n = CMP_TIMER_RETRY_OF_LEN;
    memcpy(buf + n, key, len);
    n += len;
    cmp_be64_put(buf + n, (uint64_t) due_ms);
    n += 8;

    return put ? cmp_db_store(st, txn, CMP_DB_TIMERS, buf, n, "", 0)
               : cmp_db_drop(st, txn, CMP_DB_TIMERS, buf, n);
}


/* the first timer's due time; INT64_MAX when there is none */
int64_t
cmp_timer_next_due(cmp_store_t *st, cmp_txn_t *txn)
{
    cmp_val_t  k, v;

    /* only the retries' index left: no timer */
    if (cmp_db_first(st, txn, CMP_DB_TIMERS, NULL, 0, &k, &v) != 0
        || k.mv_size < 9
        || memcmp(k.mv_data, CMP_TIMER_RETRY_OF, CMP_TIMER_RETRY_OF_LEN)
           == 0)
    {
        return INT64_MAX;
    }

    return (int64_t) cmp_be64_get(k.mv_data);
}


/* a cmp_db_visit_pt: the first timer, when it is due, copied */
static int
cmp_timer_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_timer_taken_t *t = ctx;

    (void) v;

    if (k->mv_size < 9 || (int64_t) cmp_be64_get(k->mv_data) > t->now_ms
        || k->mv_size - 9 > CMP_TIMER_KEY_MAX)
    {
        return CMP_NOTFOUND;
    }

    t->due_ms = (int64_t) cmp_be64_get(k->mv_data);
    *t->type = ((unsigned char *) k->mv_data)[8];
    *t->len = k->mv_size - 9;
    memcpy(t->key, (unsigned char *) k->mv_data + 9, *t->len);

    return 0;
}


/*
 * The first timer if it is due by now_ms, deleted: its type and what it
 * wakes.  CMP_NOTFOUND when none is due (or the first is not one of ours).
 */
int
cmp_timer_take_due(cmp_store_t *st, cmp_txn_t *txn, int64_t now_ms,
    int *type, unsigned char *key, size_t *len)
{
    int                rc;
    cmp_timer_taken_t  t;

    t.now_ms = now_ms;
    t.type = type;
    t.key = key;
    t.len = len;

    rc = cmp_db_take(st, txn, CMP_DB_TIMERS, NULL, 0, cmp_timer_taken, &t);

    return (rc == 0 && *type == CMP_TIMER_RETRY)
           ? cmp_timer_retry_index(st, txn, t.due_ms, key, *len, 0) : rc;
}


int
cmp_timer_retry_drop_first(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *prefix, size_t plen)
{
    int            rc;
    size_t         n;
    cmp_val_t      v;
    unsigned char  buf[CMP_TIMER_RETRY_OF_MAX];

    rc = cmp_db_first_under(st, txn, CMP_DB_TIMERS, CMP_TIMER_RETRY_OF,
                            CMP_TIMER_RETRY_OF_LEN, prefix, plen, buf,
                            sizeof(buf), &n, &v);
    if (rc != 0) {
        return rc;
    }

    if (n < CMP_TIMER_RETRY_OF_LEN + 8) {
        return CMP_NOTFOUND;
    }

    /* the index entry names its timer: due, the message's key */
    return cmp_timer_del(st, txn, (int64_t) cmp_be64_get(buf + n - 8),
                         CMP_TIMER_RETRY, buf + CMP_TIMER_RETRY_OF_LEN,
                         n - CMP_TIMER_RETRY_OF_LEN - 8);
}


int
cmp_timer_index_build(cmp_store_t *st, cmp_txn_t *txn, int budget,
    uint64_t *seen, int *more)
{
    return cmp_meta_build(st, txn, &cmp_timer_index, budget, seen, more);
}


/* a cmp_meta_build_pt: a retry timer's index entry; the index ends it */
static int
cmp_timer_index_each(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const unsigned char *val,
    size_t val_len)
{
    (void) val;
    (void) val_len;

    if (key_len >= CMP_TIMER_RETRY_OF_LEN
        && memcmp(key, CMP_TIMER_RETRY_OF, CMP_TIMER_RETRY_OF_LEN) == 0)
    {
        return CMP_META_BUILD_END;
    }

    if (key_len < 9 || key[8] != CMP_TIMER_RETRY) {
        return 0;
    }

    return cmp_timer_retry_index(st, txn, (int64_t) cmp_be64_get(key),
                                 key + 9, key_len - 9, 1);
}
