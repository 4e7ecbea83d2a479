
/*
 * The inbox's keys (cmp_inbox.h): events in the order the webhooks
 * recorded them, taken by campaignd one at a time.
 */


#include "cmp_inbox.h"
#include "cmp_json.h"


int
cmp_inbox_put(cmp_store_t *st, cmp_txn_t *txn, const char *json, size_t len)
{
    int            rc;
    uint64_t       seq;
    cmp_val_t      k, v;
    unsigned char  buf[8];

    rc = cmp_seq_next(st, txn, "inbox", &seq);
    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(buf, seq);

    k.mv_data = buf;
    k.mv_size = 8;
    v.mv_data = (void *) json;
    v.mv_size = len;

    return cmp_db_put(st, txn, CMP_DB_INBOX, &k, &v, 0);
}


/* 0: an event waits; CMP_NOTFOUND: none does */
int
cmp_inbox_peek(cmp_store_t *st, cmp_txn_t *txn)
{
    int            rc;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;

    rc = cmp_cursor_open(st, txn, CMP_DB_INBOX, &cur);

    if (rc == 0) {
        rc = cmp_cursor_get(cur, &k, &v, CMP_FIRST);
        cmp_cursor_close(cur);
    }

    return rc;
}


/*
 * The oldest event, parsed (NULL when it does not parse: it is taken all
 * the same) and no longer in the inbox; CMP_NOTFOUND when it is empty.
 */
int
cmp_inbox_take(cmp_store_t *st, cmp_txn_t *txn, json_t **ev)
{
    int            rc;
    char           err[64];
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;

    *ev = NULL;

    rc = cmp_cursor_open(st, txn, CMP_DB_INBOX, &cur);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_cursor_get(cur, &k, &v, CMP_FIRST);

    if (rc == 0) {
        /* parsed before the delete moves the page under it */
        *ev = cmp_json_parse(v.mv_data, v.mv_size, err, sizeof(err));

        rc = cmp_cursor_del(cur, 0);

        if (rc != 0) {
            json_decref(*ev);
            *ev = NULL;
        }
    }

    cmp_cursor_close(cur);

    return rc;
}


/* every event, oldest first, until visit says other than 0 */
int
cmp_inbox_walk(cmp_store_t *st, cmp_txn_t *txn, cmp_inbox_visit_pt visit,
    void *ctx)
{
    int            rc;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;

    rc = cmp_cursor_open(st, txn, CMP_DB_INBOX, &cur);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_cursor_get(cur, &k, &v, CMP_FIRST);

    while (rc == 0) {
        if (visit(ctx, (k.mv_size == 8) ? cmp_be64_get(k.mv_data) : 0,
                  v.mv_data, v.mv_size)
            != 0)
        {
            break;
        }

        rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT);
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}
