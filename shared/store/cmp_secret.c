
/*
 * Channel secrets, kept apart from their records.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmp_secret.h"


int
cmp_secret_get(cmp_store_t *st, MDB_txn *txn, const char *id, size_t id_len,
    const char **json, size_t *len)
{
    int      rc;
    MDB_val  key, val;

    key.mv_data = (void *) id;
    key.mv_size = id_len;

    rc = mdb_get(txn, st->dbi[CMP_DB_SECRETS], &key, &val);
    if (rc != 0) {
        return rc;
    }

    *json = val.mv_data;
    *len = val.mv_size;

    return 0;
}


int
cmp_secret_put(cmp_store_t *st, MDB_txn *txn, const char *id, size_t id_len,
    const char *json, size_t len)
{
    MDB_val  key, val;

    key.mv_data = (void *) id;
    key.mv_size = id_len;
    val.mv_data = (void *) json;
    val.mv_size = len;

    return cmp_db_put(st, txn, CMP_DB_SECRETS, &key, &val, 0);
}


int
cmp_secret_del(cmp_store_t *st, MDB_txn *txn, const char *id, size_t id_len)
{
    int      rc;
    MDB_val  key;

    key.mv_data = (void *) id;
    key.mv_size = id_len;

    rc = cmp_db_del(st, txn, CMP_DB_SECRETS, &key, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}
