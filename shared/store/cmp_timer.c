
/*
 * The timers' keys (cmp_timer.h): a due time, a type and what it wakes.
 */


#include <string.h>

#include "cmp_timer.h"


typedef struct {
    int64_t            now_ms;
    int               *type;
    unsigned char     *key;
    size_t            *len;
} cmp_timer_taken_t;


static int cmp_timer_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v);


int
cmp_timer_put(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    cmp_val_t      k, v;
    unsigned char  buf[9 + CMP_TIMER_KEY_MAX];

    if (len > CMP_TIMER_KEY_MAX) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be64_put(buf, (uint64_t) due_ms);
    buf[8] = (unsigned char) type;
    memcpy(buf + 9, key, len);

    k.mv_data = buf;
    k.mv_size = 9 + len;
    v.mv_data = "";
    v.mv_size = 0;

    return cmp_db_put(st, txn, CMP_DB_TIMERS, &k, &v, 0);
}


int
cmp_timer_del(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    int            rc;
    cmp_val_t      k;
    unsigned char  buf[9 + CMP_TIMER_KEY_MAX];

    if (len > CMP_TIMER_KEY_MAX) {
        return 0;
    }

    cmp_be64_put(buf, (uint64_t) due_ms);
    buf[8] = (unsigned char) type;
    memcpy(buf + 9, key, len);

    k.mv_data = buf;
    k.mv_size = 9 + len;

    rc = cmp_db_del(st, txn, CMP_DB_TIMERS, &k, NULL);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* the first timer's due time; INT64_MAX when there is none */
int64_t
cmp_timer_next_due(cmp_store_t *st, cmp_txn_t *txn)
{
    cmp_val_t  k, v;

    if (cmp_db_first(st, txn, CMP_DB_TIMERS, NULL, 0, &k, &v) != 0
        || k.mv_size < 9)
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
    cmp_timer_taken_t  t;

    t.now_ms = now_ms;
    t.type = type;
    t.key = key;
    t.len = len;

    return cmp_db_take(st, txn, CMP_DB_TIMERS, NULL, 0, cmp_timer_taken, &t);
}
