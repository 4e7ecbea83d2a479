
/*
 * The timers' keys (cmp_timer.h): a due time, a type and what it wakes.
 */


#include <string.h>

#include "cmp_timer.h"


int
cmp_timer_put(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    cmp_val_t      k, v;
    unsigned char  buf[9 + CMP_FKEY_MAX];

    if (len > CMP_FKEY_MAX) {
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
    unsigned char  buf[9 + CMP_FKEY_MAX];

    if (len > CMP_FKEY_MAX) {
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
