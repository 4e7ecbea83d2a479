
/*
 * Channel secrets, kept apart from their records.
 */


#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmp_secret.h"


int
cmp_secret_get(cmp_store_t *st, cmp_txn_t *txn, const char *id, size_t id_len,
    const char **json, size_t *len)
{
    int          rc;
    const void  *v;

    rc = cmp_db_fetch(st, txn, CMP_DB_SECRETS, id, id_len, &v, len);

    if (rc == 0) {
        *json = v;
    }

    return rc;
}


int
cmp_secret_put(cmp_store_t *st, cmp_txn_t *txn, const char *id, size_t id_len,
    const char *json, size_t len)
{
    return cmp_db_store(st, txn, CMP_DB_SECRETS, id, id_len, json, len);
}


int
cmp_secret_del(cmp_store_t *st, cmp_txn_t *txn, const char *id, size_t id_len)
{
    return cmp_db_drop(st, txn, CMP_DB_SECRETS, id, id_len);
}
