
/*
 * Provider callbacks: the neutral event list every provider's parser
 * (cmp_provider_t.parse) makes, applied in one write transaction.
 */


#ifndef _CMP_WEBHOOK_H_INCLUDED_
#define _CMP_WEBHOOK_H_INCLUDED_


#include "cmp_op.h"
#include "cmp_provider.h"

/* counters not moved by a status change: they only ever grow */
#define CMP_WEBHOOK_REPLIED     "replied"


/*
 * A parsed callback is a JSON array of events, each an object:
 *
 *   "type": "status" | "reply" | "opt_out" | "opt_in" |
 *           "conversation_started" | "ping" | "ignored"
 *   "route":        the provider's route_field naming the channel
 *   "channel_id":   filled in by the caller once the signature is checked
 *   "provider_message_id", "status", "error" (object), "opaque" (our hex
 *   message id echoed back), "context_id" (the message a reply answers),
 *   "from", "text", "message_type", "timestamp" (unix seconds),
 *   "stop" (a reply that is an opt-out word), "reason"
 *
 * The inbox (shared/store/cmp_inbox.h) gets, for campaignd:
 *   {"type":"reply","channel_id","from","contact_id","text",
 *    "provider_message_id","message_id","counted","received_at"}
 *     message_id: hex key of the message replied to when the provider
 *     said (WhatsApp context, Viber tracking_data), else null; counted:
 *     whether "replied" was already counted for it (else campaignd may);
 *     "stop": true when the text is an opt-out word (the contact is
 *     already opted out then).
 *   {"type":"opted_out"|"opted_in","channel_id","from","contact_id",
 *    "reason","received_at"}
 *     already applied to the contact in the same transaction (reason:
 *     keyword, user_preferences, unsubscribed, subscribed); past tense so
 *     that a consumer does not apply a stop after a later resume.
 *   {"type":"conversation_started","channel_id","from","contact_id",
 *    "received_at"}
 *   {"type":"unknown_status","channel_id","provider_message_id","status",
 *    "error","received_at"}
 */


typedef struct {
    const cmp_provider_t  *provider;
    json_t                *events;

    /* what applying found, for the caller's log */
    unsigned               applied;
    unsigned               duplicates;
    unsigned               unknown;
    char                   unknown_id[CMP_PROVIDER_ID_MAX + 1];

    /* why the request is refused, for its 401; NULL: a bad signature */
    const char            *refused;
} cmp_webhook_t;


/* a cmp_op_pt: op->data is a cmp_webhook_t whose events have channel_id */
int cmp_webhook_apply(cmp_op_t *op);

int cmp_webhook_find(cmp_store_t *st, cmp_txn_t *txn, const char *opaque,
    const char *provider_id, unsigned char *key, size_t *key_len,
    const char **rec, size_t *rec_len);
int cmp_webhook_channel(cmp_store_t *st, cmp_txn_t *txn, json_t *events,
    char *id, size_t *id_len);


#endif /* _CMP_WEBHOOK_H_INCLUDED_ */
