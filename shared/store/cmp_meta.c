
/*
 * Meta values and the sequences ids and orders are taken from.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmp_meta.h"
#include "cmp_tombstone.h"


static size_t cmp_id_format(char *buf, const char *prefix, uint64_t v);
static int cmp_seq_read(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value);


int
cmp_meta_get_u64(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) name;
    key.mv_size = strlen(name);

    rc = mdb_get(txn, st->dbi[CMP_DB_META], &key, &val);
    if (rc != 0) {
        return rc;
    }

    if (val.mv_size != 8) {
        return MDB_CORRUPTED;
    }

    *value = cmp_be64_get(val.mv_data);

    return 0;
}


int
cmp_meta_put_u64(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t value)
{
    MDB_val        key, val;
    unsigned char  buf[8];

    cmp_be64_put(buf, value);

    key.mv_data = (void *) name;
    key.mv_size = strlen(name);
    val.mv_data = buf;
    val.mv_size = 8;

    return cmp_db_put(st, txn, CMP_DB_META, &key, &val, 0);
}


/* campaignd's heartbeat record: GET /health and /metrics read it whole */
int
cmp_meta_campaignd(cmp_store_t *st, MDB_txn *txn, cmp_campaignd_meta_t *cd)
{
    int          rc;
    size_t       i;
    uint64_t    *value[3];
    const char  *name[3];

    name[0] = CMP_META_HEARTBEAT;
    value[0] = &cd->heartbeat;
    name[1] = CMP_META_IN_FLIGHT;
    value[1] = &cd->in_flight;
    name[2] = CMP_META_STORE_FULL;
    value[2] = &cd->store_full;

    for (i = 0; i < 3; i++) {
        rc = cmp_meta_get_u64(st, txn, name[i], value[i]);

        if (rc == MDB_NOTFOUND) {
            *value[i] = 0;
            rc = 0;
        }

        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


int
cmp_seq_next(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value)
{
    int       rc;
    uint64_t  v;

    rc = cmp_seq_peek(st, txn, name, &v);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_meta_put_u64(st, txn, name, v);
    if (rc != 0) {
        return rc;
    }

    *value = v;

    return 0;
}


/* the value cmp_seq_next() gives next, read and not taken */
int
cmp_seq_peek(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value)
{
    int       rc;
    uint64_t  v;

    rc = cmp_seq_read(st, txn, name, &v);

    if (rc == 0) {
        *value = v + 1;
    }

    return rc;
}


/* a sequence's last value: 0 before its first */
static int
cmp_seq_read(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value)
{
    int  rc;

    rc = cmp_meta_get_u64(st, txn, name, value);

    if (rc == MDB_NOTFOUND) {
        *value = 0;
        return 0;
    }

    return rc;
}


/*
 * Generated ids come from a sequence that never goes back, so they are
 * never reused; one a client chose, in use or deleted, is skipped.
 */
int
cmp_id_generate(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    char *buf, size_t *len)
{
    int        rc;
    cmp_seq_t  seq;

    cmp_seq_init(&seq, "id:", kind);

    rc = cmp_id_take(st, txn, kind, &seq, buf, len);

    if (rc == 0) {
        rc = cmp_seq_save(st, txn, &seq);
    }

    return rc;
}


/* use: "id:" or "order:", before the kind's name, as meta names them */
void
cmp_seq_init(cmp_seq_t *seq, const char *use, const cmp_kind_t *kind)
{
    size_t  n, k;

    memset(seq, 0, sizeof(cmp_seq_t));

    n = strlen(use);
    k = strlen(kind->name);

    /* kind names are short constants: "campaigns" is the longest */
    if (n + k >= sizeof(seq->name)) {
        k = sizeof(seq->name) - 1 - n;
    }

    memcpy(seq->name, use, n);
    memcpy(seq->name + n, kind->name, k);
    seq->name[n + k] = '\0';
}


/* the next value, as cmp_seq_next() gives it, but counted in memory */
int
cmp_seq_take(cmp_store_t *st, MDB_txn *txn, cmp_seq_t *seq,
    uint64_t *value)
{
    int  rc;

    if (!seq->loaded) {
        rc = cmp_seq_read(st, txn, seq->name, &seq->value);
        if (rc != 0) {
            return rc;
        }

        seq->loaded = 1;
    }

    seq->value++;
    seq->taken = 1;
    *value = seq->value;

    return 0;
}


int
cmp_seq_save(cmp_store_t *st, MDB_txn *txn, cmp_seq_t *seq)
{
    int  rc;

    if (!seq->taken) {
        return 0;
    }

    rc = cmp_meta_put_u64(st, txn, seq->name, seq->value);

    if (rc == 0) {
        seq->taken = 0;
    }

    return rc;
}


/* the next free generated id; seq must be saved before the commit */
int
cmp_id_take(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    cmp_seq_t *seq, char *buf, size_t *len)
{
    int           rc;
    uint64_t      v;
    cmp_record_t  rec;

    for ( ;; ) {
        rc = cmp_seq_take(st, txn, seq, &v);
        if (rc != 0) {
            return rc;
        }

        *len = cmp_id_format(buf, kind->id_prefix, v);

        rc = cmp_record_get(st, txn, kind, buf, *len, &rec);

        /* a client may have chosen it, and may have deleted it since */
        if (rc == MDB_NOTFOUND) {
            rc = cmp_tombstone_get(st, txn, kind, buf, *len, NULL);

            if (rc == MDB_NOTFOUND) {
                return 0;
            }
        }

        if (rc != 0) {
            return rc;
        }
    }
}


/* prefix and at least 8 lowercase hex digits: ch_0000002a */
static size_t
cmp_id_format(char *buf, const char *prefix, uint64_t v)
{
    int            i, digits;
    size_t         n;
    static const char  hex[] = "0123456789abcdef";

    n = strlen(prefix);
    memcpy(buf, prefix, n);

    for (digits = 8; digits < 16 && (v >> (digits * 4)) != 0; digits++) {
        /* void */
    }

    for (i = digits - 1; i >= 0; i--) {
        buf[n++] = hex[(v >> (i * 4)) & 0xf];
    }

    buf[n] = '\0';

    return n;
}
