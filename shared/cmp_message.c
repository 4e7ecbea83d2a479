
/*
 * The message ledger's keys: campaign NUL be32-run contact NUL node NUL
 * be16-step.  A message's key is derived from what it is, so writing it
 * again after a crash is an update, never a second message.
 */


#include <string.h>

#include "cmp_message.h"


int
cmp_message_rank(const char *status)
{
    size_t  i;
    static const char  *order[] = {
        "queued", "sending", "sent", "delivered", "read", "failed",
        "skipped"
    };

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (strcmp(order[i], status) == 0) {
            /* failed and skipped rank above everything: they are final */
            return (i >= 5) ? 100 + (int) i : (int) i;
        }
    }

    return -1;
}


size_t
cmp_message_key(unsigned char *buf, const cmp_message_key_t *k)
{
    unsigned char  *p;

    if (k->campaign_len > CMP_ID_MAX || k->contact_len > CMP_ID_MAX
        || k->node_len > CMP_ID_MAX)
    {
        return 0;
    }

    p = buf;
    memcpy(p, k->campaign, k->campaign_len);
    p += k->campaign_len;
    *p++ = '\0';
    *p++ = (unsigned char) (k->run >> 24);
    *p++ = (unsigned char) (k->run >> 16);
    *p++ = (unsigned char) (k->run >> 8);
    *p++ = (unsigned char) k->run;
    memcpy(p, k->contact, k->contact_len);
    p += k->contact_len;
    *p++ = '\0';
    memcpy(p, k->node, k->node_len);
    p += k->node_len;
    *p++ = '\0';
    *p++ = (unsigned char) (k->step >> 8);
    *p++ = (unsigned char) k->step;

    return p - buf;
}


int
cmp_message_put(cmp_store_t *st, MDB_txn *txn, const cmp_message_key_t *k,
    const char *json, size_t len)
{
    MDB_val        key, val;
    unsigned char  buf[CMP_MESSAGE_KEY_MAX];

    key.mv_data = buf;
    key.mv_size = cmp_message_key(buf, k);
    if (key.mv_size == 0) {
        return MDB_BAD_VALSIZE;
    }

    val.mv_data = (void *) json;
    val.mv_size = len;

    return mdb_put(txn, st->dbi[CMP_DB_MESSAGES], &key, &val, 0);
}


/*
 * A campaign's messages in key order (run, contact, node, step), from
 * just after the key "after" when given; run 0 means every run.
 */
int
cmp_message_scan(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const unsigned char *after,
    size_t after_len, cmp_message_visit_pt visit, void *ctx)
{
    int            rc;
    size_t         prefix;
    MDB_val        key, val;
    MDB_cursor    *cur;
    unsigned char  buf[CMP_MESSAGE_KEY_MAX];

    if (campaign_len > CMP_ID_MAX) {
        return 0;
    }

    memcpy(buf, campaign, campaign_len);
    buf[campaign_len] = '\0';
    prefix = campaign_len + 1;

    if (run != 0) {
        buf[prefix++] = (unsigned char) (run >> 24);
        buf[prefix++] = (unsigned char) (run >> 16);
        buf[prefix++] = (unsigned char) (run >> 8);
        buf[prefix++] = (unsigned char) run;
    }

    rc = mdb_cursor_open(txn, st->dbi[CMP_DB_MESSAGES], &cur);
    if (rc != 0) {
        return rc;
    }

    if (after != NULL) {
        key.mv_data = (void *) after;
        key.mv_size = after_len;

        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

        if (rc == 0 && key.mv_size == after_len
            && memcmp(key.mv_data, after, after_len) == 0)
        {
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
        }

    } else {
        key.mv_data = buf;
        key.mv_size = prefix;

        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    }

    while (rc == 0) {
        if (key.mv_size < prefix || memcmp(key.mv_data, buf, prefix) != 0) {
            break;
        }

        if (visit(ctx, key.mv_data, key.mv_size, val.mv_data, val.mv_size)
            != 0)
        {
            break;
        }

        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }

    mdb_cursor_close(cur);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}
