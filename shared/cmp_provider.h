
/*
 * The providers behind one table: each file (cmp_whatsapp.c, cmp_viber.c)
 * holds one provider's whole wire format; no other file names one.
 */


#ifndef _CMP_PROVIDER_H_INCLUDED_
#define _CMP_PROVIDER_H_INCLUDED_


#include <stdint.h>
#include <stddef.h>
#include <jansson.h>

#include "cmp_text.h"
#include "cmp_json_raw.h"


#define CMP_PROVIDER_MAX    8

/* an index key standing for a secret: 16 hex digits of its hash */
#define CMP_PROVIDER_TOKEN_KEY  16

/* longest provider id kept (a wamid is at most 128 characters) */
#define CMP_PROVIDER_ID_MAX 256


typedef enum {
    CMP_ANSWER_SENT = 0,        /* accepted: provider_id is set */
    CMP_ANSWER_THROTTLED,       /* retry later, slow the channel down */
    CMP_ANSWER_BLOCKED,         /* the sender is refused: stop the channel */
    CMP_ANSWER_REFUSED,         /* this recipient, for good */
    CMP_ANSWER_DEFERRED         /* this recipient, later; the channel goes on */
} cmp_answer_class_e;


typedef struct {
    cmp_answer_class_e   klass;
    long                 code;          /* provider code; HTTP status */
    int64_t              retry_after;   /* seconds; -1: not given */
    int64_t              defer;         /* deferred: first wait, seconds */
    int64_t              defer_max;     /* the wait doubles up to this */
    unsigned             opt_out:1;     /* the recipient stopped us */
    char                 provider_id[160];
    char                 error[512];    /* "code: text" for the ledger */
} cmp_answer_t;


/*
 * A provider's codes and what they mean for us: lo..hi (hi 0: lo alone),
 * and for a deferral its first wait and the most it grows to.
 */
typedef struct {
    long                 lo;
    long                 hi;
    cmp_answer_class_e   klass;
    int64_t              defer;
    int64_t              defer_max;
} cmp_answer_code_t;


/* a string member of a channel's provider object or of a send node */
typedef struct {
    const char          *name;
    size_t               max;           /* characters */
    const char *const   *values;        /* one of these; NULL: any */
    const char          *dflt;          /* in place of null; NULL: null */
    unsigned             url:1;         /* an http(s) URL */
    unsigned             required:1;    /* a send node's */
    unsigned             digits:1;      /* digits only: it goes in a URL */
} cmp_provider_field_t;


typedef struct cmp_provider_s  cmp_provider_t;

struct cmp_provider_s {
    /* the channel type, its record's object, the webhook's argument */
    const char                  *name;
    const char                  *title;           /* for people */

    /* channels: the provider object, the secrets, the defaults */
    const cmp_provider_field_t  *fields;
    const char *const           *secrets;
    int64_t                      rate_limit;
    int64_t                      min_gap;
    /* what a send needs beyond the token, into reason; 0: ready */
    size_t                     (*not_ready)(const json_t *obj,
                                            char *reason, size_t size);

    /* flows: the send node, its own members, its text */
    const char                  *node;
    const cmp_provider_field_t  *node_fields;
    size_t                       text_max;
    unsigned                     templates:1;

    /* a contact's address: its member, an index, a prefix not sent */
    const char                  *address_field;
    const char                  *address_index;
    const char                  *address_prefix;
    const char                  *no_address;      /* a skipped message */
    /* a second name callbacks may give a contact by, matched first */
    const char                  *user_field;      /* NULL: none */
    const char                  *user_index;

    /* sending: the secret that authorizes, the sender member */
    const char                  *token;
    const char                  *sender_field;
    /* URL and auth header line (malloc'd); -1: not sendable now */
    int                        (*endpoint)(const json_t *obj,
                                           const char *token, char **url,
                                           char **auth);
    int                        (*body)(const char *rec, size_t len,
                                       const char *sender, cmp_text_t *out);
    void                       (*classify)(long http, const char *body,
                                           size_t len, int64_t retry_after,
                                           cmp_answer_t *a);

    /* webhooks: events (cmp_webhook.h), the signature, the handshake */
    int                        (*parse)(const char *body, size_t len,
                                        json_t **events, char *err,
                                        size_t err_len);
    const char                  *signature_header;
    const char                  *signature_prefix;
    const char                  *signing_secret;
    /* a GET handshake: mode=subscribe&token=T&challenge=C, C back */
    const char                  *verify_secret;   /* NULL: none */
    const char                  *verify_mode;
    const char                  *verify_token;
    const char                  *verify_challenge;
    /* hashed verify secret -> channel id (cmp_provider_token_key) */
    const char                  *verify_index;
    /* the object member naming the channel in callbacks, and its index */
    const char                  *route_field;     /* NULL: the signature */
    const char                  *route_index;
    const char                  *event_index;     /* events seen */
    const char *const           *opt_out_words;
};


/* NULL-terminated, in the order the API lists them */
extern const cmp_provider_t *const  cmp_providers[];

extern const cmp_provider_t  cmp_whatsapp;
extern const cmp_provider_t  cmp_viber;


const cmp_provider_t *cmp_provider_find(const char *name, size_t len);
const cmp_provider_t *cmp_provider_by_node(const char *node);
size_t cmp_provider_index(const cmp_provider_t *p);

const char *cmp_provider_address(const cmp_provider_t *p,
    const json_t *contact, char *buf, size_t size);
size_t cmp_provider_contact_key(const cmp_provider_t *p, const char *from,
    char *buf, size_t size);
size_t cmp_provider_token_key(const char *token, size_t len, char *key);
int cmp_provider_opt_out_word(const cmp_provider_t *p, const char *text,
    size_t len);

/* a text message's parts, raw: recipient, id, text (CMP_PART_*) */
#define CMP_PART_RECIPIENT  0
#define CMP_PART_ID         1
#define CMP_PART_TEXT       2

int cmp_provider_text(const char *rec, size_t len, cmp_json_field_t *part);

void cmp_answer_error(cmp_answer_t *a, long code, const char *text);
int cmp_answer_code(cmp_answer_t *a, long code,
    const cmp_answer_code_t *table);
void cmp_answer_redact(cmp_answer_t *a, const char *secrets);
void cmp_answer_transport(long http, int64_t retry_after, const char *what,
    cmp_answer_t *a);

/* a member of a channel's provider object, or the field's default */
const char *cmp_provider_field(const cmp_provider_t *p, const json_t *obj,
    const char *name);
/* for endpoint(): url from fmt, auth the header line's start and token */
int cmp_provider_endpoint(char **url, char **auth, const char *header,
    const char *token, const char *fmt, ...);

/* for the parsers: a string member; a new event; a bounded id */
const char *cmp_provider_str(const json_t *obj, const char *name);
json_t *cmp_provider_event(json_t *events, const char *type);
void cmp_provider_skip(json_t *events, const char *route, const char *fmt,
    ...);
int cmp_provider_id_ok(const char *s, const char *what, char *err,
    size_t err_len);
int64_t cmp_provider_time(const json_t *v);


#endif /* _CMP_PROVIDER_H_INCLUDED_ */
