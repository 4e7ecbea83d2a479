
/*
 * Campaign counters.  Key: campaign id, NUL, be32 run, counter name;
 * value: be64.  A campaign's counters are one contiguous key range.
 */


#include <string.h>

#include "cmp_counter.h"


static size_t cmp_counter_key(unsigned char *buf, size_t size,
    const char *campaign, size_t campaign_len, uint32_t run,
    const char *name);


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
    int            rc;
    cmp_val_t      key, val;
    uint64_t       v;
    unsigned char  buf[256];

    key.mv_data = buf;
    key.mv_size = cmp_counter_key(buf, sizeof(buf), campaign, campaign_len,
                                  run, name);
    if (key.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_db_get(st, txn, CMP_DB_COUNTERS, &key, &val);

    if (rc == CMP_NOTFOUND) {
        v = 0;

    } else if (rc != 0) {
        return rc;

    } else {
        v = cmp_be64_get(val.mv_data);
    }

    if (delta < 0 && (uint64_t) -delta > v) {
        v = 0;

    } else {
        v += delta;
    }

    rc = cmp_counter_set(st, txn, campaign, campaign_len, run, name, v);

    /* every campaign's totals also move the store's, which metrics read */
    if (rc == 0 && run == CMP_COUNTER_TOTAL
        && !(campaign_len == sizeof(CMP_COUNTER_ALL) - 1
             && memcmp(campaign, CMP_COUNTER_ALL, campaign_len) == 0))
    {
        rc = cmp_counter_add(st, txn, CMP_COUNTER_ALL,
                             sizeof(CMP_COUNTER_ALL) - 1, CMP_COUNTER_TOTAL,
                             name, delta);
    }

    return rc;
}


int
cmp_counter_set(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, uint64_t value)
{
    cmp_val_t      key, val;
    unsigned char  buf[256], num[8];

    key.mv_data = buf;
    key.mv_size = cmp_counter_key(buf, sizeof(buf), campaign, campaign_len,
                                  run, name);
    if (key.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be64_put(num, value);
    val.mv_data = num;
    val.mv_size = 8;

    return cmp_db_put(st, txn, CMP_DB_COUNTERS, &key, &val, 0);
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
