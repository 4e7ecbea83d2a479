
/*
 * A channel's write-only tokens (CMP_DB_SECRETS): no API path serializes
 * this database.
 */


#ifndef _CMP_SECRET_H_INCLUDED_
#define _CMP_SECRET_H_INCLUDED_


#include "cmp_store.h"


int cmp_secret_get(cmp_store_t *st, cmp_txn_t *txn, const char *id,
    size_t id_len, const char **json, size_t *len);
int cmp_secret_put(cmp_store_t *st, cmp_txn_t *txn, const char *id,
    size_t id_len, const char *json, size_t len);
int cmp_secret_del(cmp_store_t *st, cmp_txn_t *txn, const char *id,
    size_t id_len);


#endif /* _CMP_SECRET_H_INCLUDED_ */
