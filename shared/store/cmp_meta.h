
/*
 * CMP_DB_META: the schema version, id and order sequences, and what
 * campaignd tells the module (heartbeat, requests in flight).
 */


#ifndef _CMP_META_H_INCLUDED_
#define _CMP_META_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"


/*
 * meta: campaignd's heartbeat (GET /health), its requests in flight, and
 * since when (unix s; 0: not) it finds the store full
 */
#define CMP_META_HEARTBEAT      "campaignd_heartbeat"
#define CMP_META_IN_FLIGHT      "campaignd_in_flight"
#define CMP_META_STORE_FULL     "campaignd_store_full"


/* what campaignd tells the module; each 0 when it never said */
typedef struct {
    uint64_t       heartbeat;   /* unix s of its last tick */
    uint64_t       in_flight;   /* provider requests out */
    uint64_t       store_full;  /* unix s since it finds the store full */
} cmp_campaignd_meta_t;

/*
 * meta: be64 1 once every ledger message is in the status index
 * (cmp_message.h); a store from before the index lacks it until
 * campaignd's backfill, which keeps where it goes on in the second.
 */
#define CMP_META_MESSAGE_STATUS       "message_status_index"
#define CMP_META_MESSAGE_STATUS_FROM  "message_status_index_from"

/*
 * meta: be64 1 once every channel is in its provider's webhook indexes;
 * a store of schema 1 may lack the verify-token one until campaignd's
 * cmp_channel_reindex_step() is through, which keeps its place in the
 * second (a creation seq: it goes newest first).
 */
#define CMP_META_CHANNEL_INDEX        "channel_index"
#define CMP_META_CHANNEL_INDEX_FROM   "channel_index_from"


/*
 * A sequence read from meta once and written back once: a bulk import
 * takes thousands of ids in one transaction and must write the last
 * value (cmp_seq_save()) before it commits.
 */
typedef struct {
    char           name[48];    /* "id:contacts", "order:contacts" */
    uint64_t       value;
    unsigned       loaded:1;
    unsigned       taken:1;     /* changed since it was read or saved */
} cmp_seq_t;


int cmp_meta_get_u64(cmp_store_t *st, cmp_txn_t *txn, const char *name,
    uint64_t *value);
int cmp_meta_put_u64(cmp_store_t *st, cmp_txn_t *txn, const char *name,
    uint64_t value);
int cmp_meta_campaignd(cmp_store_t *st, cmp_txn_t *txn,
    cmp_campaignd_meta_t *cd);
int cmp_seq_next(cmp_store_t *st, cmp_txn_t *txn, const char *name,
    uint64_t *value);
int cmp_seq_peek(cmp_store_t *st, cmp_txn_t *txn, const char *name,
    uint64_t *value);
int cmp_id_generate(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    char *buf, size_t *len);
void cmp_seq_init(cmp_seq_t *seq, const char *use, const cmp_kind_t *kind);
int cmp_seq_take(cmp_store_t *st, cmp_txn_t *txn, cmp_seq_t *seq,
    uint64_t *value);
int cmp_seq_save(cmp_store_t *st, cmp_txn_t *txn, cmp_seq_t *seq);
int cmp_id_take(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    cmp_seq_t *seq, char *buf, size_t *len);


#endif /* _CMP_META_H_INCLUDED_ */
