
/*
 * The "name NUL key" families: secondary indexes (CMP_DB_INDEX), among
 * them the campaigns' status index, the references that hold a resource
 * (CMP_DB_REFS) and Idempotency-Keys.
 */


#ifndef _CMP_INDEX_H_INCLUDED_
#define _CMP_INDEX_H_INCLUDED_


#include "cmp_store.h"


/*
 *   index:  name NUL key                      -> id
 *           "campaign_status" NUL status be64-seq
 *                                             -> id NUL flow_id NUL
 *                                                group_id NUL folded name
 *
 * Every campaign is in the status index exactly once, under its current
 * status; a status is a byte of the key and a bit of a scan's mask.
 */
#define CMP_CAMPAIGN_INDEX_STATUSES   8


/* a key of an index a walk meets, and the id it names; in the map */
typedef int (*cmp_index_visit_pt)(void *ctx, const char *key, size_t key_len,
    const char *id, size_t id_len);


/* what the status index keeps of a campaign, so lists filter unread */
typedef struct {
    const char     *id;
    size_t          id_len;
    const char     *flow_id;
    size_t          flow_id_len;
    const char     *group_id;
    size_t          group_id_len;
    const char     *folded_name;
    size_t          folded_name_len;
    uint64_t        seq;
    int             status;
} cmp_campaign_entry_t;


typedef int (*cmp_campaign_visit_pt)(void *ctx,
    const cmp_campaign_entry_t *entry);


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

int cmp_index_walk(cmp_store_t *st, cmp_txn_t *txn, const char *index,
    const char *prefix, size_t prefix_len, const char *after,
    size_t after_len, cmp_index_visit_pt visit, void *ctx);

int cmp_campaign_index_put(cmp_store_t *st, cmp_txn_t *txn,
    const cmp_campaign_entry_t *e);
int cmp_campaign_index_del(cmp_store_t *st, cmp_txn_t *txn, int status,
    uint64_t seq);
int cmp_campaign_scan(cmp_store_t *st, cmp_txn_t *txn, unsigned statuses,
    uint64_t before_seq, cmp_campaign_visit_pt visit, void *ctx);


#endif /* _CMP_INDEX_H_INCLUDED_ */
