
/*
 * The providers' wire formats (README "Webhooks"): the request body of
 * a message and the classification of every answer (README "Scheduling
 * and dispatch").
 */


#ifndef _CMP_PROVIDER_H_INCLUDED_
#define _CMP_PROVIDER_H_INCLUDED_


#include <stdint.h>
#include <stddef.h>
#include <jansson.h>

#include "cmp_json_raw.h"


typedef enum {
    CMP_ANSWER_SENT = 0,        /* accepted: provider_id is set */
    CMP_ANSWER_THROTTLED,       /* retry later, slow the channel down */
    CMP_ANSWER_BLOCKED,         /* the sender is refused: stop the channel */
    CMP_ANSWER_REFUSED          /* this recipient, for good */
} cmp_answer_class_e;


typedef struct {
    cmp_answer_class_e   klass;
    long                 code;          /* provider code; HTTP status */
    int64_t              retry_after;   /* seconds; -1: not given */
    unsigned             opt_out:1;     /* the recipient stopped us */
    char                 provider_id[160];
    char                 error[256];    /* "code: text" for the ledger */
} cmp_answer_t;


/* a text message's parts, raw: recipient, id, text (CMP_PART_*) */
#define CMP_PART_RECIPIENT  0
#define CMP_PART_ID         1
#define CMP_PART_TEXT       2

int cmp_provider_text(const char *rec, size_t len, cmp_json_field_t *part);

int cmp_whatsapp_body(const char *rec, size_t len, cmp_text_t *out);
void cmp_whatsapp_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a);

int cmp_viber_body(const char *rec, size_t len, const char *sender_name,
    cmp_text_t *out);
void cmp_viber_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a);

void cmp_answer_error(cmp_answer_t *a, long code, const char *text);
void cmp_answer_transport(long http, int64_t retry_after, const char *what,
    cmp_answer_t *a);


#endif /* _CMP_PROVIDER_H_INCLUDED_ */
