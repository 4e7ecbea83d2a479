
/*
 * The "name NUL key" families: secondary indexes (CMP_DB_INDEX), the
 * references that hold a resource (CMP_DB_REFS) and Idempotency-Keys.
 */


#ifndef _CMP_INDEX_H_INCLUDED_
#define _CMP_INDEX_H_INCLUDED_


#include "cmp_store.h"


int cmp_ref_add(cmp_store_t *st, cmp_txn_t *txn, const char *kind,
    const char *id, size_t id_len, int64_t delta);
int cmp_ref_count(cmp_store_t *st, cmp_txn_t *txn, const char *kind,
    const char *id, size_t id_len, uint64_t *count);
int cmp_index_get(cmp_store_t *st, cmp_txn_t *txn, const char *index,
    const char *key, size_t key_len, char *id, size_t *id_len);
int cmp_index_put(cmp_store_t *st, cmp_txn_t *txn, const char *index,
    const char *key, size_t key_len, const char *id, size_t id_len);
int cmp_index_del(cmp_store_t *st, cmp_txn_t *txn, const char *index,
    const char *key, size_t key_len);
int cmp_idempotency_get(cmp_store_t *st, cmp_txn_t *txn, const char *scope,
    const char *key, size_t key_len, int64_t now, char *id, size_t *id_len);
int cmp_idempotency_put(cmp_store_t *st, cmp_txn_t *txn, const char *scope,
    const char *key, size_t key_len, int64_t expires, const char *id,
    size_t id_len);


#endif /* _CMP_INDEX_H_INCLUDED_ */
