
/*
 * The inbox's keys (cmp_inbox.h): events in the order the webhooks
 * recorded them, taken by campaignd one at a time.
 */


#include "cmp_inbox.h"
#include "cmp_json.h"


typedef struct {
    cmp_inbox_visit_pt     visit;
    void                  *ctx;
} cmp_inbox_walk_t;


static int cmp_inbox_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v);
static int cmp_inbox_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v);


int
cmp_inbox_put(cmp_store_t *st, cmp_txn_t *txn, const char *json, size_t len)
{
    int            rc;
    uint64_t       seq;
    unsigned char  buf[8];

    rc = cmp_seq_next(st, txn, "inbox", &seq);
    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(buf, seq);

    return cmp_db_store(st, txn, CMP_DB_INBOX, buf, 8, json, len);
}


/* 0: an event waits; CMP_NOTFOUND: none does */
int
cmp_inbox_peek(cmp_store_t *st, cmp_txn_t *txn)
{
    cmp_val_t  k, v;

    return cmp_db_first(st, txn, CMP_DB_INBOX, NULL, 0, &k, &v);
}


/* a cmp_db_visit_pt: parsed before the delete moves the page under it */
static int
cmp_inbox_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    json_t **ev = ctx;

    char  err[64];

    (void) k;

    *ev = cmp_json_parse(v->mv_data, v->mv_size, err, sizeof(err));

    return 0;
}


/*
 * The oldest event, parsed (NULL when it does not parse: it is taken all
 * the same) and no longer in the inbox; CMP_NOTFOUND when it is empty.
 */
int
cmp_inbox_take(cmp_store_t *st, cmp_txn_t *txn, json_t **ev)
{
    int  rc;

    *ev = NULL;

    rc = cmp_db_take(st, txn, CMP_DB_INBOX, NULL, 0, cmp_inbox_taken, ev);

    if (rc != 0) {
        json_decref(*ev);
        *ev = NULL;
    }

    return rc;
}


static int
cmp_inbox_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_inbox_walk_t *w = ctx;

    return w->visit(w->ctx, (k->mv_size == 8) ? cmp_be64_get(k->mv_data) : 0,
                    v->mv_data, v->mv_size);
}


/* every event, oldest first, until visit says other than 0 */
int
cmp_inbox_walk(cmp_store_t *st, cmp_txn_t *txn, cmp_inbox_visit_pt visit,
    void *ctx)
{
    cmp_inbox_walk_t  w;

    w.visit = visit;
    w.ctx = ctx;

    return cmp_db_walk(st, txn, CMP_DB_INBOX, NULL, 0, cmp_inbox_entry, &w);
}
