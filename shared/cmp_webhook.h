
/*
 * Provider callbacks (WhatsApp Cloud API, Viber bot API): parsing into one
 * neutral event list, and applying a list in one write transaction.
 */


#ifndef _CMP_WEBHOOK_H_INCLUDED_
#define _CMP_WEBHOOK_H_INCLUDED_


#include "cmp_op.h"


#define CMP_WEBHOOK_WHATSAPP    1
#define CMP_WEBHOOK_VIBER       2

/* longest provider id kept (a wamid is at most 128 characters) */
#define CMP_WEBHOOK_ID_MAX      256

/* counters not moved by a status change: they only ever grow */
#define CMP_WEBHOOK_REPLIED     "replied"


/*
 * A parsed callback is a JSON array of events, each an object:
 *
 *   "type": "status" | "reply" | "opt_out" | "opt_in" |
 *           "conversation_started" | "ping" | "ignored"
 *   "route":        WhatsApp phone_number_id naming the channel
 *   "channel_id":   filled in by the caller once the signature is checked
 *   "provider_message_id", "status", "error" (object), "opaque" (our hex
 *   message id echoed back), "context_id" (the message a reply answers),
 *   "from", "text", "message_type", "timestamp" (unix seconds),
 *   "stop" (a reply that is an opt-out word), "reason"
 *
 * The inbox (CMP_DB_INBOX, be64 sequence "inbox" -> JSON) gets, for
 * campaignd:
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
    int            provider;
    json_t        *events;

    /* what applying found, for the caller's log */
    unsigned       applied;
    unsigned       duplicates;
    unsigned       unknown;
    char           unknown_id[CMP_WEBHOOK_ID_MAX + 1];
} cmp_webhook_t;


int cmp_webhook_whatsapp_parse(const char *body, size_t len, json_t **events,
    char *err, size_t err_len);
int cmp_webhook_viber_parse(const char *body, size_t len, json_t **events,
    char *err, size_t err_len);
int cmp_webhook_opt_out_word(const char *text, size_t len);

/* a cmp_op_pt: op->data is a cmp_webhook_t whose events have channel_id */
int cmp_webhook_apply(cmp_op_t *op);


#endif /* _CMP_WEBHOOK_H_INCLUDED_ */
