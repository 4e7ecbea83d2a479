
/*
 * The message ledger: one record per (campaign, run, contact, node, step),
 * so a resumed run sends each remaining message once and none twice.
 */


#ifndef _CMP_MESSAGE_H_INCLUDED_
#define _CMP_MESSAGE_H_INCLUDED_


#include <jansson.h>

#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"
#include "cmp_funnel.h"
#include "cmp_json_raw.h"


#define CMP_MESSAGE_KEY_MAX   (CMP_ID_MAX * 3 + 16)

/* the longest status a ledger record has ("delivered"), and then some */
#define CMP_MESSAGE_STATUS_MAX  15

/* messages per write txn of the status index's one-time backfill */
#define CMP_MESSAGE_STATUS_CHUNK  1000


/*
 * The contract between campaignd (which writes messages) and the module
 * (which lists them and applies provider webhooks):
 *
 * CMP_DB_MESSAGES: key cmp_message_key() -> the record, JSON:
 *   {"id": "<lowercase hex of the key>", "run", "contact_id", "node_id",
 *    "channel_id", "status", "provider_message_id", "error", "attempts",
 *    "updated_at", ...campaignd's own fields (recipient, payload, lane,
 *    next_attempt_at) after these}
 *   status: queued, sending, sent, delivered, read, failed, skipped.
 *   A test send (/flows/{id}/trigger) uses "#" + instance id as its
 *   campaign part and run 0; campaign ids never contain '#'.
 *
 * CMP_DB_MESSAGE_BY_PROVIDER: provider message id (WhatsApp wamid, Viber
 *   message_token as decimal text) -> the message key.  Written in the
 *   transaction that records "sent".
 *
 * CMP_DB_MESSAGE_STATUS: campaign NUL status NUL be32-run contact NUL
 *   node NUL be16-step (the message key with its status put after the
 *   campaign) -> empty.  Every campaign message is there once, under the
 *   status its record has, so ?status= lists in key order without a scan.
 *   cmp_message_put() keeps it: a caller says which status the stored
 *   record had (from) and which the new one has (to), and a change costs
 *   one del and one put, no read.  Test sends ("#...") are not indexed:
 *   no list shows them.  A store written before the index has
 *   CMP_META_MESSAGE_STATUS unset until cmp_message_status_build() has
 *   walked its ledger; cmp_message_status_ready() says which.
 *
 * Status only moves forward (CMP_MESSAGE_RANK): a late "delivered"
 * after "read" changes nothing.  Counters (cmp_counter.h) named after the
 * statuses are moved in the same transaction: run 0 (totals) and the
 * message's run each get -1 on the old status and +1 on the new one,
 * except "targeted", "replied" and "skipped", which only ever grow.
 * WhatsApp sends carry the hex id in biz_opaque_callback_data, Viber
 * sends in tracking_data, so a webhook can find a message without the
 * provider id index too.
 */


typedef struct {
    const char     *campaign;
    size_t          campaign_len;
    uint32_t        run;
    const char     *contact;
    size_t          contact_len;
    const char     *node;
    size_t          node_len;
    uint16_t        step;
} cmp_message_key_t;


typedef int (*cmp_message_visit_pt)(void *ctx, const unsigned char *key,
    size_t key_len, const char *json, size_t len);


/* queued < sending < sent < delivered < read; failed and skipped final */
int cmp_message_rank(const char *status);

size_t cmp_message_key(unsigned char *buf, const cmp_message_key_t *k);

/* a message by its key: the record's text, or its JSON parsed */
int cmp_message_get(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const char **json, size_t *len);

/*
 * A record stored, with its status index entry: from is the status of
 * the record stored before (NULL: none), to the status of this one.
 */
int cmp_message_put(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const char *from, const char *to, const char *json,
    size_t len);
/*
 * A record already read (rec may point into the map) stored again with
 * set[] applied (cmp_json_raw_patch), its status moving from -> to as in
 * cmp_message_put() (both NULL: it stays).  out is the caller's scratch:
 * a loop keeps one for all its records.
 */
int cmp_message_rewrite(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const char *rec, size_t len,
    const char *from, const char *to, const cmp_json_field_t *set, size_t n,
    cmp_text_t *out);
/* members of a stored record set, its status (and index entry) as it is */
int cmp_message_patch(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const cmp_json_field_t *set,
    size_t n);
int cmp_message_load(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, json_t **msg);
int cmp_message_save(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const char *from,
    const json_t *msg);

/* the provider id index: the message a provider's id names */
int cmp_message_provider_put(cmp_store_t *st, cmp_txn_t *txn,
    const char *provider_id, size_t len, const unsigned char *key,
    size_t key_len);
int cmp_message_provider_get(cmp_store_t *st, cmp_txn_t *txn,
    const char *provider_id, size_t len, const char **val, size_t *val_len);

/*
 * 0 when the message at key belongs to a campaign that still exists (or
 * to a test send), CMP_NOTFOUND when its campaign was deleted: until the
 * purge reaches it, such a message is there for no one.
 */
int cmp_message_owned(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len);
int cmp_message_scan(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const unsigned char *after,
    size_t after_len, cmp_message_visit_pt visit, void *ctx);

/*
 * The status index: a campaign's messages of one status, in the order
 * cmp_message_scan() gives (after: a ledger key, as there); whether the
 * index is complete; a chunk of its backfill (*more: call again).
 */
int cmp_message_status_scan(cmp_store_t *st, cmp_txn_t *txn,
    const char *campaign, size_t campaign_len, const char *status,
    uint32_t run, const unsigned char *after, size_t after_len,
    cmp_message_visit_pt visit, void *ctx);
int cmp_message_status_ready(cmp_store_t *st, cmp_txn_t *txn);
int cmp_message_status_build(cmp_store_t *st, int budget, uint64_t *indexed,
    int *more);


/* statuses and the counters that follow them; hex ids of keys */
int cmp_count(cmp_store_t *st, cmp_txn_t *txn, const json_t *msg_or_inst,
    const char *name, int64_t delta);
int cmp_count_skip(cmp_store_t *st, cmp_txn_t *txn, const json_t *msg_or_inst,
    const char *reason);
int cmp_count_in(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    uint32_t run, const char *name, int64_t delta);
int cmp_message_set_status(cmp_store_t *st, cmp_txn_t *txn, json_t *msg,
    const char *to, int64_t now);
int cmp_message_count_move(cmp_store_t *st, cmp_txn_t *txn,
    const char *campaign, uint32_t run, const char *from, const char *to);
int cmp_message_key_parse(const json_t *msg, unsigned char *key, size_t *len);
void cmp_hex(char *dst, const unsigned char *src, size_t len);
int cmp_unhex(unsigned char *dst, const char *src, size_t len);


#endif /* _CMP_MESSAGE_H_INCLUDED_ */
