
/*
 * A kind's change log, in CMP_DB_INDEX, one entry per record:
 *
 *   "changed:<kind>" NUL be64 seq      -> id
 *   "changed-at:<kind>" NUL id         -> be64 seq of its entry
 *
 * and the meta counter "<kind>_changed", the last seq given.  A write
 * moves the record's entry to the end (the old one is deleted through
 * "changed-at"), so the log holds at most one entry per id ever written:
 * a deleted record's entry stays, which is how a reader learns of the
 * delete.
 */


#include <stdio.h>
#include <string.h>

#include "cmp_changes.h"
#include "cmp_meta.h"


#define CMP_CHANGES_KEY_MAX   (32 + CMP_ID_MAX + 8)


static size_t cmp_changes_key(unsigned char *buf, const char *family,
    const cmp_kind_t *kind, const void *b, size_t b_len);
static void cmp_changes_counter(char *buf, size_t size,
    const cmp_kind_t *kind);


static size_t
cmp_changes_key(unsigned char *buf, const char *family,
    const cmp_kind_t *kind, const void *b, size_t b_len)
{
    int  n;

    n = snprintf((char *) buf, 32, "%s:%s", family, kind->name);
    if (n < 0 || n >= 32 || b_len > CMP_ID_MAX + 8) {
        return 0;
    }

    buf[n] = '\0';
    memcpy(buf + n + 1, b, b_len);

    return n + 1 + b_len;
}


static void
cmp_changes_counter(char *buf, size_t size, const cmp_kind_t *kind)
{
    (void) snprintf(buf, size, "%s_changed", kind->name);
}


int
cmp_changes_note(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len)
{
    int            rc;
    char           counter[48];
    MDB_val        key, val, at;
    uint64_t       seq;
    unsigned char  k[CMP_CHANGES_KEY_MAX], old[CMP_CHANGES_KEY_MAX], num[8];

    cmp_changes_counter(counter, sizeof(counter), kind);

    rc = cmp_seq_next(st, txn, counter, &seq);
    if (rc != 0) {
        return rc;
    }

    at.mv_data = k;
    at.mv_size = cmp_changes_key(k, "changed-at", kind, id, id_len);
    if (at.mv_size == 0) {
        return MDB_BAD_VALSIZE;
    }

    rc = mdb_get(txn, st->dbi[CMP_DB_INDEX], &at, &val);

    if (rc == 0 && val.mv_size == 8) {
        key.mv_data = old;
        key.mv_size = cmp_changes_key(old, "changed", kind, val.mv_data, 8);

        rc = cmp_db_del(st, txn, CMP_DB_INDEX, &key, NULL);
        if (rc != 0 && rc != MDB_NOTFOUND) {
            return rc;
        }

    } else if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    }

    cmp_be64_put(num, seq);
    val.mv_data = num;
    val.mv_size = 8;

    rc = cmp_db_put(st, txn, CMP_DB_INDEX, &at, &val, 0);
    if (rc != 0) {
        return rc;
    }

    key.mv_data = old;
    key.mv_size = cmp_changes_key(old, "changed", kind, num, 8);
    val.mv_data = (void *) id;
    val.mv_size = id_len;

    /* seq only grows: the entry sorts last in its family */
    return cmp_db_put(st, txn, CMP_DB_INDEX, &key, &val, 0);
}


/* the last seq given: a reader that has seen it has seen every change */
int
cmp_changes_last(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    uint64_t *seq)
{
    int   rc;
    char  counter[48];

    cmp_changes_counter(counter, sizeof(counter), kind);

    rc = cmp_meta_get_u64(st, txn, counter, seq);

    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        return 0;
    }

    return rc;
}


/* up to max entries after the seq "after", oldest first */
int
cmp_changes_walk(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    uint64_t after, size_t max, cmp_changes_visit_pt visit, void *ctx,
    uint64_t *last)
{
    int            rc;
    size_t         n, plen;
    MDB_val        key, val;
    uint64_t       seq;
    MDB_cursor    *cur;
    unsigned char  k[CMP_CHANGES_KEY_MAX], num[8];

    *last = after;

    cmp_be64_put(num, after + 1);
    key.mv_data = k;
    key.mv_size = cmp_changes_key(k, "changed", kind, num, 8);
    plen = key.mv_size - 8;

    rc = mdb_cursor_open(txn, st->dbi[CMP_DB_INDEX], &cur);
    if (rc != 0) {
        return rc;
    }

    rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

    for (n = 0; rc == 0 && n < max; n++) {
        if (key.mv_size != plen + 8 || memcmp(key.mv_data, k, plen) != 0) {
            break;
        }

        seq = cmp_be64_get((unsigned char *) key.mv_data + plen);

        if (val.mv_size <= CMP_ID_MAX
            && visit(ctx, seq, val.mv_data, val.mv_size) != 0)
        {
            break;
        }

        *last = seq;

        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }

    mdb_cursor_close(cur);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}
