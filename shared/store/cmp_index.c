
/*
 * Indexes, references and Idempotency-Keys: "name NUL key" -> value; the
 * campaigns' status index and its scan, newest first (cmp_index.h).
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmp_index.h"
#include "cmp_record.h"


#define CMP_CAMPAIGN_INDEX     "campaign_status"

/* the index's name with its NUL, the status byte, the be64 sequence */
#define CMP_CAMPAIGN_HEAD      (sizeof(CMP_CAMPAIGN_INDEX) + 1)
#define CMP_CAMPAIGN_KEY_LEN   (CMP_CAMPAIGN_HEAD + 8)


typedef struct {
    const char            *low;           /* index NUL prefix */
    size_t                 low_len;
    const char            *from;          /* index NUL after, or NULL */
    size_t                 from_len;
    size_t                 head;          /* index NUL */
    cmp_index_visit_pt     visit;
    void                  *ctx;
} cmp_index_walk_t;


static size_t cmp_composite_key(char *buf, size_t size, const char *a,
    const char *b, size_t b_len);
static int cmp_composite_get(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const char *a, const char *b, size_t b_len, MDB_val *val);
static int cmp_index_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v);
static size_t cmp_campaign_index_key(char *buf, int status, uint64_t seq);
static char *cmp_campaign_index_field(char *p, const char *s, size_t len);
static int cmp_campaign_index_step(MDB_cursor *cur, MDB_val *k, MDB_val *v,
    MDB_cursor_op op, const char *head);
static void cmp_campaign_index_entry(const MDB_val *k, const MDB_val *v,
    cmp_campaign_entry_t *e);


/* "<a>\0<b>": NUL cannot occur in a kind name, so keys never collide */
static size_t
cmp_composite_key(char *buf, size_t size, const char *a, const char *b,
    size_t b_len)
{
    return cmp_key_join(buf, size, a, strlen(a), b, b_len);
}


int
cmp_ref_add(cmp_store_t *st, MDB_txn *txn, const char *kind, const char *id,
    size_t id_len, int64_t delta)
{
    int            rc;
    char           buf[512];
    MDB_val        key, val;
    uint64_t       count;
    unsigned char  num[8];

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), kind, id, id_len);
    if (key.mv_size == 0) {
        return MDB_BAD_VALSIZE;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_REFS], &key, &val);

    if (rc == MDB_NOTFOUND) {
        count = 0;

    } else if (rc != 0) {
        return rc;

    } else {
        count = cmp_be64_get(val.mv_data);
    }

    if (delta < 0 && (uint64_t) -delta > count) {
        count = 0;

    } else {
        count += delta;
    }

    if (count == 0) {
        rc = cmp_db_del(st, txn, CMP_DB_REFS, &key, NULL);
        return (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    cmp_be64_put(num, count);
    val.mv_data = num;
    val.mv_size = 8;

    return cmp_db_put(st, txn, CMP_DB_REFS, &key, &val, 0);
}


int
cmp_ref_count(cmp_store_t *st, MDB_txn *txn, const char *kind,
    const char *id, size_t id_len, uint64_t *count)
{
    int      rc;
    char     buf[512];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), kind, id, id_len);
    if (key.mv_size == 0) {
        return MDB_BAD_VALSIZE;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_REFS], &key, &val);

    if (rc == MDB_NOTFOUND) {
        *count = 0;
        return 0;
    }

    if (rc != 0) {
        return rc;
    }

    *count = cmp_be64_get(val.mv_data);

    return 0;
}


/* a value by its composite key (cmp_composite_key()) in one database */
static int
cmp_composite_get(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const char *a,
    const char *b, size_t b_len, MDB_val *val)
{
    char     buf[512];
    MDB_val  key;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), a, b, b_len);
    if (key.mv_size == 0) {
        return MDB_NOTFOUND;
    }

    return mdb_get(txn, st->dbi[db], &key, val);
}


int
cmp_index_get(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *k, size_t k_len, char *id, size_t *id_len)
{
    int      rc;
    MDB_val  val;

    rc = cmp_composite_get(st, txn, CMP_DB_INDEX, index, k, k_len, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size > CMP_ID_MAX) {
        return MDB_CORRUPTED;
    }

    memcpy(id, val.mv_data, val.mv_size);
    id[val.mv_size] = '\0';
    *id_len = val.mv_size;

    return 0;
}


int
cmp_index_put(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *k, size_t k_len, const char *id, size_t id_len)
{
    char     buf[512];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), index, k, k_len);

    /* cmp_index_get() reads ids into CMP_ID_MAX bytes: refuse more here */
    if (key.mv_size == 0 || id_len > CMP_ID_MAX) {
        return MDB_BAD_VALSIZE;
    }

    val.mv_data = (void *) id;
    val.mv_size = id_len;

    return cmp_db_put(st, txn, CMP_DB_INDEX, &key, &val, 0);
}


int
cmp_index_del(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *k, size_t k_len)
{
    int      rc;
    char     buf[512];
    MDB_val  key;

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), index, k, k_len);
    if (key.mv_size == 0) {
        return 0;
    }

    rc = cmp_db_del(st, txn, CMP_DB_INDEX, &key, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


/* value: be64 expiry (unix seconds), then the id the first request made */
int
cmp_idempotency_get(cmp_store_t *st, MDB_txn *txn, const char *scope,
    const char *k, size_t k_len, int64_t now, char *id, size_t *id_len)
{
    int      rc;
    MDB_val  val;

    rc = cmp_composite_get(st, txn, CMP_DB_IDEMPOTENCY, scope, k, k_len, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size < 8 || val.mv_size - 8 > CMP_ID_MAX) {
        return MDB_CORRUPTED;
    }

    if ((int64_t) cmp_be64_get(val.mv_data) < now) {
        return MDB_NOTFOUND;
    }

    *id_len = val.mv_size - 8;
    memcpy(id, (char *) val.mv_data + 8, *id_len);
    id[*id_len] = '\0';

    return 0;
}


int
cmp_idempotency_put(cmp_store_t *st, MDB_txn *txn, const char *scope,
    const char *k, size_t k_len, int64_t expires, const char *id,
    size_t id_len)
{
    char           buf[512];
    MDB_val        key, val;
    unsigned char  v[8 + CMP_ID_MAX];

    key.mv_data = buf;
    key.mv_size = cmp_composite_key(buf, sizeof(buf), scope, k, k_len);
    if (key.mv_size == 0 || id_len > CMP_ID_MAX) {
        return MDB_BAD_VALSIZE;
    }

    cmp_be64_put(v, (uint64_t) expires);
    memcpy(v + 8, id, id_len);

    val.mv_data = v;
    val.mv_size = 8 + id_len;

    return cmp_db_put(st, txn, CMP_DB_IDEMPOTENCY, &key, &val, 0);
}


/*
 * The keys of an index that start with prefix, in key order, from the
 * first one after the key "after" on (NULL: from the first with the
 * prefix); visit gets the key without the index's name, and its id.
 */
int
cmp_index_walk(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *prefix, size_t prefix_len, const char *after,
    size_t after_len, cmp_index_visit_pt visit, void *ctx)
{
    char              low[512], from[512];
    cmp_index_walk_t  w;

    w.head = strlen(index) + 1;
    w.low = low;
    w.low_len = cmp_composite_key(low, sizeof(low), index, prefix,
                                  prefix_len);
    w.from = NULL;
    w.from_len = 0;
    w.visit = visit;
    w.ctx = ctx;

    if (w.low_len == 0) {
        return MDB_BAD_VALSIZE;
    }

    if (after != NULL) {
        w.from = from;
        w.from_len = cmp_composite_key(from, sizeof(from), index, after,
                                       after_len);
        if (w.from_len == 0) {
            return MDB_BAD_VALSIZE;
        }
    }

    return cmp_db_walk(st, txn, CMP_DB_INDEX,
                       (w.from != NULL) ? w.from : w.low,
                       (w.from != NULL) ? w.from_len : w.low_len,
                       cmp_index_entry, &w);
}


/* a cmp_db_visit_pt: a key with the prefix, the position itself passed */
static int
cmp_index_entry(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_index_walk_t *w = ctx;

    if (k->mv_size < w->low_len || memcmp(k->mv_data, w->low, w->low_len))
    {
        return 1;
    }

    if (w->from != NULL && k->mv_size == w->from_len
        && memcmp(k->mv_data, w->from, w->from_len) == 0)
    {
        return 0;
    }

    return w->visit(w->ctx, (char *) k->mv_data + w->head,
                    k->mv_size - w->head, v->mv_data, v->mv_size);
}


static size_t
cmp_campaign_index_key(char *buf, int status, uint64_t seq)
{
    unsigned char  k[9];

    k[0] = (unsigned char) status;
    cmp_be64_put(k + 1, seq);

    return cmp_composite_key(buf, CMP_CAMPAIGN_KEY_LEN, CMP_CAMPAIGN_INDEX,
                             (char *) k, 9);
}


/* e's campaign under e->status from now on; e->folded_name is folded */
int
cmp_campaign_index_put(cmp_store_t *st, MDB_txn *txn,
    const cmp_campaign_entry_t *e)
{
    int      rc;
    char    *p, buf[CMP_CAMPAIGN_KEY_LEN];
    MDB_val  key, val;

    key.mv_data = buf;
    key.mv_size = cmp_campaign_index_key(buf, e->status, e->seq);
    val.mv_size = e->id_len + e->flow_id_len + e->group_id_len
                  + e->folded_name_len + 4;

    rc = cmp_db_put(st, txn, CMP_DB_INDEX, &key, &val, MDB_RESERVE);
    if (rc != 0) {
        return rc;
    }

    p = cmp_campaign_index_field(val.mv_data, e->id, e->id_len);
    p = cmp_campaign_index_field(p, e->flow_id, e->flow_id_len);
    p = cmp_campaign_index_field(p, e->group_id, e->group_id_len);
    (void) cmp_campaign_index_field(p, e->folded_name, e->folded_name_len);

    return 0;
}


static char *
cmp_campaign_index_field(char *p, const char *s, size_t len)
{
    if (len > 0) {
        memcpy(p, s, len);
    }

    p[len] = '\0';

    return p + len + 1;
}


/* the campaign is no longer under status; it is gone whether it was or not */
int
cmp_campaign_index_del(cmp_store_t *st, MDB_txn *txn, int status,
    uint64_t seq)
{
    int      rc;
    char     buf[CMP_CAMPAIGN_KEY_LEN];
    MDB_val  key;

    key.mv_data = buf;
    key.mv_size = cmp_campaign_index_key(buf, status, seq);

    rc = cmp_db_del(st, txn, CMP_DB_INDEX, &key, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


/*
 * Newest first over the chosen statuses (bit i of the mask: status i):
 * one cursor per status, merged by creation sequence, so a status filter
 * reads only its own entries.  Below before_seq, when it is not 0.
 */
int
cmp_campaign_scan(cmp_store_t *st, MDB_txn *txn, unsigned statuses,
    uint64_t before_seq, cmp_campaign_visit_pt visit, void *ctx)
{
    int                    rc, i, best;
    MDB_val                key[CMP_CAMPAIGN_INDEX_STATUSES];
    MDB_val                val[CMP_CAMPAIGN_INDEX_STATUSES];
    MDB_cursor            *cur[CMP_CAMPAIGN_INDEX_STATUSES];
    MDB_cursor_op          op;
    cmp_campaign_entry_t   e;
    char                   buf[CMP_CAMPAIGN_INDEX_STATUSES]
                              [CMP_CAMPAIGN_KEY_LEN];

    rc = 0;

    for (i = 0; i < CMP_CAMPAIGN_INDEX_STATUSES; i++) {
        cur[i] = NULL;
        key[i].mv_size = 0;

        if (!(statuses & (1u << i))) {
            continue;
        }

        rc = mdb_cursor_open(txn, st->dbi[CMP_DB_INDEX], &cur[i]);
        if (rc != 0) {
            cur[i] = NULL;
            goto done;
        }

        /* position on the first entry below before_seq in this status */
        key[i].mv_data = buf[i];
        key[i].mv_size = cmp_campaign_index_key(buf[i], i,
                                                before_seq ? before_seq
                                                           : UINT64_MAX);

        rc = mdb_cursor_get(cur[i], &key[i], &val[i], MDB_SET_RANGE);

        if (rc != 0 && rc != MDB_NOTFOUND) {
            goto done;
        }

        op = (rc == MDB_NOTFOUND) ? MDB_LAST : MDB_PREV;

        rc = cmp_campaign_index_step(cur[i], &key[i], &val[i], op, buf[i]);
        if (rc != 0) {
            goto done;
        }
    }

    for ( ;; ) {
        best = -1;

        for (i = 0; i < CMP_CAMPAIGN_INDEX_STATUSES; i++) {
            if (key[i].mv_size == 0) {
                continue;
            }

            if (best < 0
                || cmp_be64_get((unsigned char *) key[i].mv_data
                                + CMP_CAMPAIGN_HEAD)
                   > cmp_be64_get((unsigned char *) key[best].mv_data
                                  + CMP_CAMPAIGN_HEAD))
            {
                best = i;
            }
        }

        if (best < 0) {
            break;
        }

        cmp_campaign_index_entry(&key[best], &val[best], &e);
        e.status = best;

        if (visit(ctx, &e) != 0) {
            break;
        }

        rc = cmp_campaign_index_step(cur[best], &key[best], &val[best],
                                     MDB_PREV, buf[best]);
        if (rc != 0) {
            goto done;
        }
    }

done:

    for (i = 0; i < CMP_CAMPAIGN_INDEX_STATUSES; i++) {
        if (cur[i] != NULL) {
            mdb_cursor_close(cur[i]);
        }
    }

    return rc;
}


/*
 * The entry op moves the cursor to, when it is one of the status whose
 * key head is in head; else none is left for the status (k->mv_size 0).
 */
static int
cmp_campaign_index_step(MDB_cursor *cur, MDB_val *k, MDB_val *v,
    MDB_cursor_op op, const char *head)
{
    int  rc;

    rc = mdb_cursor_get(cur, k, v, op);

    if (rc == 0
        && (k->mv_size != CMP_CAMPAIGN_KEY_LEN
            || memcmp(k->mv_data, head, CMP_CAMPAIGN_HEAD) != 0))
    {
        rc = MDB_NOTFOUND;
    }

    if (rc == MDB_NOTFOUND) {
        k->mv_size = 0;
        return 0;
    }

    return rc;
}


/* the value's fields, each up to its NUL (cmp_campaign_index_put()) */
static void
cmp_campaign_index_entry(const MDB_val *k, const MDB_val *v,
    cmp_campaign_entry_t *e)
{
    const char  *p, *end;

    p = v->mv_data;
    end = p + v->mv_size;

    e->seq = cmp_be64_get((unsigned char *) k->mv_data + CMP_CAMPAIGN_HEAD);
    e->id = p;
    e->id_len = strnlen(p, end - p);
    p += e->id_len + 1;
    e->flow_id = p;
    e->flow_id_len = strnlen(p, end - p);
    p += e->flow_id_len + 1;
    e->group_id = p;
    e->group_id_len = strnlen(p, end - p);
    p += e->group_id_len + 1;
    e->folded_name = p;
    e->folded_name_len = (p < end) ? strnlen(p, end - p) : 0;
}
