
/*
 * Records, their creation order and pages through them (cmp_record.h).
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmp_record.h"
#include "cmp_meta.h"


const cmp_kind_t  cmp_kind_channels = {
    "channels", "channel", "ch_", CMP_DB_CHANNELS, CMP_DB_CHANNELS_ORDER
};

const cmp_kind_t  cmp_kind_contacts = {
    "contacts", "contact", "ct_", CMP_DB_CONTACTS, CMP_DB_CONTACTS_ORDER
};

const cmp_kind_t  cmp_kind_groups = {
    "groups", "group", "gr_", CMP_DB_GROUPS, CMP_DB_GROUPS_ORDER
};

const cmp_kind_t  cmp_kind_flows = {
    "flows", "flow", "fl_", CMP_DB_FLOWS, CMP_DB_FLOWS_ORDER
};

const cmp_kind_t  cmp_kind_campaigns = {
    "campaigns", "campaign", "cp_", CMP_DB_CAMPAIGNS, CMP_DB_CAMPAIGNS_ORDER
};


static int cmp_record_write_flags(cmp_store_t *st, MDB_txn *txn,
    cmp_db_e db, const void *k, size_t k_len, const cmp_record_t *rec,
    unsigned flags);


int
cmp_record_get(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, cmp_record_t *rec)
{
    return cmp_record_read(st, txn, kind->records, id, id_len, rec);
}


/*
 * The record layout, in any database that holds records: be64 creation
 * sequence, be64 version, then the JSON.  One reader, one writer.
 */
int
cmp_record_read(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *k,
    size_t k_len, cmp_record_t *rec)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) k;
    key.mv_size = k_len;

    rc = mdb_get(txn, st->dbi[db], &key, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size < CMP_RECORD_HEADER) {
        return MDB_CORRUPTED;
    }

    rec->seq = cmp_be64_get(val.mv_data);
    rec->version = cmp_be64_get((unsigned char *) val.mv_data + 8);
    rec->json = (const char *) val.mv_data + CMP_RECORD_HEADER;
    rec->len = val.mv_size - CMP_RECORD_HEADER;

    return 0;
}


int
cmp_record_write(cmp_store_t *st, MDB_txn *txn, cmp_db_e db, const void *k,
    size_t k_len, const cmp_record_t *rec)
{
    return cmp_record_write_flags(st, txn, db, k, k_len, rec, 0);
}


static int
cmp_record_write_flags(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const void *k, size_t k_len, const cmp_record_t *rec, unsigned flags)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) k;
    key.mv_size = k_len;
    val.mv_size = CMP_RECORD_HEADER + rec->len;

    if (flags & MDB_APPEND) {
        rc = cmp_put_append(st, txn, db, &key, &val, MDB_RESERVE);

    } else {
        rc = cmp_db_put(st, txn, db, &key, &val, MDB_RESERVE | flags);
    }

    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(val.mv_data, rec->seq);
    cmp_be64_put((unsigned char *) val.mv_data + 8, rec->version);
    memcpy((char *) val.mv_data + CMP_RECORD_HEADER, rec->json, rec->len);

    return 0;
}


/*
 * The order entry is written only once, with the record's first version;
 * updates keep the creation sequence and so the record's place in lists.
 * A first version is appended: generated ids and sequences grow.
 */
int
cmp_record_put(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, const cmp_record_t *rec)
{
    int            rc;
    MDB_val        key, val;
    unsigned char  seq[8];

    if (rec->version != 1) {
        return cmp_record_write(st, txn, kind->records, id, id_len, rec);
    }

    rc = cmp_record_write_flags(st, txn, kind->records, id, id_len, rec,
                                MDB_APPEND);
    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(seq, rec->seq);
    key.mv_data = seq;
    key.mv_size = 8;
    val.mv_data = (void *) id;
    val.mv_size = id_len;

    return cmp_put_append(st, txn, kind->order, &key, &val, 0);
}


int
cmp_record_del(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len)
{
    int            rc;
    MDB_val        key;
    cmp_record_t   rec;
    unsigned char  seq[8];

    rc = cmp_record_get(st, txn, kind, id, id_len, &rec);
    if (rc != 0) {
        return rc;
    }

    cmp_be64_put(seq, rec.seq);
    key.mv_data = seq;
    key.mv_size = 8;

    rc = cmp_db_del(st, txn, kind->order, &key, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        return rc;
    }

    key.mv_data = (void *) id;
    key.mv_size = id_len;

    return cmp_db_del(st, txn, kind->records, &key, NULL);
}


void
cmp_record_join_init(cmp_record_join_t *j, cmp_store_t *st, MDB_txn *txn,
    const cmp_kind_t *kind, cmp_record_visit_pt visit, void *ctx)
{
    j->st = st;
    j->txn = txn;
    j->kind = kind;
    j->visit = visit;
    j->ctx = ctx;
    j->rc = 0;
}


/* a cmp_record_join_t's visit, of the walk at pos that met id */
int
cmp_record_join(void *ctx, const char *pos, size_t pos_len, const char *id,
    size_t id_len)
{
    cmp_record_join_t *j = ctx;

    cmp_record_t  rec;

    j->rc = cmp_record_get(j->st, j->txn, j->kind, id, id_len, &rec);

    if (j->rc == MDB_NOTFOUND) {
        j->rc = 0;
        return 0;
    }

    if (j->rc != 0) {
        return 1;
    }

    return j->visit(j->ctx, pos, pos_len, &rec);
}


/*
 * Walks records newest first, starting below before_seq (0: from the
 * newest); the visitor returns nonzero to stop.
 */
int
cmp_record_list(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    uint64_t before_seq, cmp_record_visit_pt visit, void *ctx)
{
    int            rc;
    MDB_val        key, val;
    MDB_cursor    *cur;
    cmp_record_t   rec;
    unsigned char  seq[8];

    rc = mdb_cursor_open(txn, st->dbi[kind->order], &cur);
    if (rc != 0) {
        return rc;
    }

    if (before_seq == 0) {
        rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);

    } else {
        cmp_be64_put(seq, before_seq);
        key.mv_data = seq;
        key.mv_size = 8;

        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

        if (rc == MDB_NOTFOUND) {
            rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);

        } else if (rc == 0) {
            rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
        }

        while (rc == 0 && cmp_be64_get(key.mv_data) >= before_seq) {
            rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
        }
    }

    while (rc == 0) {
        if (cmp_record_get(st, txn, kind, val.mv_data, val.mv_size, &rec)
            == 0)
        {
            if (visit(ctx, val.mv_data, val.mv_size, &rec) != 0) {
                break;
            }
        }

        rc = mdb_cursor_get(cur, &key, &val, MDB_PREV);
    }

    mdb_cursor_close(cur);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}
