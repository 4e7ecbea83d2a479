
/*
 * Tombstones (cmp_tombstone.h): a deleted resource's id, kept so that no
 * create, the client's or the server's, can take it again.
 */


#include <string.h>

#include "cmp_tombstone.h"


static size_t cmp_tombstone_key(unsigned char *buf, const cmp_kind_t *kind,
    const char *id, size_t id_len);


/* kind NUL id; 0 when the id cannot be one of ours */
static size_t
cmp_tombstone_key(unsigned char *buf, const cmp_kind_t *kind, const char *id,
    size_t id_len)
{
    size_t  n;

    n = strlen(kind->name);

    if (id_len == 0 || id_len > CMP_ID_MAX || n > CMP_ID_MAX) {
        return 0;
    }

    memcpy(buf, kind->name, n);
    buf[n++] = '\0';
    memcpy(buf + n, id, id_len);

    return n + id_len;
}


int
cmp_tombstone_put(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, int64_t now)
{
    cmp_val_t      k, v;
    unsigned char  key[2 * CMP_ID_MAX + 1], at[8];

    k.mv_data = key;
    k.mv_size = cmp_tombstone_key(key, kind, id, id_len);

    if (k.mv_size == 0) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be64_put(at, (uint64_t) now);
    v.mv_data = at;
    v.mv_size = 8;

    return cmp_db_put(st, txn, CMP_DB_TOMBSTONES, &k, &v, 0);
}


int
cmp_tombstone_get(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, int64_t *deleted_at)
{
    int            rc;
    cmp_val_t      k, v;
    unsigned char  key[2 * CMP_ID_MAX + 1];

    k.mv_data = key;
    k.mv_size = cmp_tombstone_key(key, kind, id, id_len);

    if (k.mv_size == 0) {
        return CMP_NOTFOUND;
    }

    rc = cmp_db_get(st, txn, CMP_DB_TOMBSTONES, &k, &v);
    if (rc != 0) {
        return rc;
    }

    if (deleted_at != NULL) {
        *deleted_at = (v.mv_size == 8) ? (int64_t) cmp_be64_get(v.mv_data)
                                       : 0;
    }

    return 0;
}
