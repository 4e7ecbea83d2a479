
/*
 * Ids of deleted resources in CMP_DB_TOMBSTONES: reserved for ever, so
 * that a new resource never takes over what an old one left behind.
 */


#ifndef _CMP_TOMBSTONE_H_INCLUDED_
#define _CMP_TOMBSTONE_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"


/*
 * Keys of CMP_DB_TOMBSTONES written here:
 *
 *   kind NUL id            -> be64 Unix seconds of the delete
 *       kind is the API's name ("campaigns"); written in the txn that
 *       removes the record, never removed.
 *
 * The purge's list lives in the same database (cmp_purge.h) under keys
 * that start with '#', which no kind's name does.
 */


int cmp_tombstone_put(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, int64_t now);
/* 0 and the time of the delete, CMP_NOTFOUND, or a store code */
int cmp_tombstone_get(cmp_store_t *st, cmp_txn_t *txn,
    const cmp_kind_t *kind, const char *id, size_t id_len,
    int64_t *deleted_at);


#endif /* _CMP_TOMBSTONE_H_INCLUDED_ */
