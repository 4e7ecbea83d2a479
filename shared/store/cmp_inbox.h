
/*
 * The inbox in CMP_DB_INBOX: webhook events the module records for
 * campaignd, oldest first (what an event says is in cmp_webhook.h).
 */


#ifndef _CMP_INBOX_H_INCLUDED_
#define _CMP_INBOX_H_INCLUDED_


#include <jansson.h>

#include "cmp_store.h"
#include "cmp_meta.h"


/*
 *   be64 sequence "inbox" (meta)         -> the event's JSON
 */
typedef int (*cmp_inbox_visit_pt)(void *ctx, uint64_t seq, const char *json,
    size_t len);


int cmp_inbox_put(cmp_store_t *st, cmp_txn_t *txn, const char *json,
    size_t len);
int cmp_inbox_peek(cmp_store_t *st, cmp_txn_t *txn);
int cmp_inbox_take(cmp_store_t *st, cmp_txn_t *txn, json_t **ev);
int cmp_inbox_walk(cmp_store_t *st, cmp_txn_t *txn, cmp_inbox_visit_pt visit,
    void *ctx);


#endif /* _CMP_INBOX_H_INCLUDED_ */
