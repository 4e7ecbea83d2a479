
/*
 * Indexes, references and Idempotency-Keys: "name NUL key" -> value.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmp_index.h"
#include "cmp_record.h"


static size_t cmp_composite_key(char *buf, size_t size, const char *a,
    const char *b, size_t b_len);


/* "<a>\0<b>": NUL cannot occur in a kind name, so keys never collide */
static size_t
cmp_composite_key(char *buf, size_t size, const char *a, const char *b,
    size_t b_len)
{
    size_t  a_len;

    a_len = strlen(a);

    if (a_len + 1 + b_len > size) {
        return 0;
    }

    memcpy(buf, a, a_len);
    buf[a_len] = '\0';
    memcpy(buf + a_len + 1, b, b_len);

    return a_len + 1 + b_len;
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
