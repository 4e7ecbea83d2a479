
/*
 * Viber bot API, the whole wire format: the channel's fields, the request
 * (POST {api_base_url}/send_message; HTTP 200 with a "status" other than
 * 0 is an error, classified by that status), and callbacks.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_provider.h"
#include "cmp_json.h"
#include "cmp_json_raw.h"


static size_t cmp_viber_not_ready(const json_t *obj, char *reason,
    size_t size);
static int cmp_viber_endpoint(const json_t *obj, const char *token,
    char **url, char **auth);
static int cmp_viber_body(const char *rec, size_t len,
    const char *sender_name, cmp_text_t *out);
static void cmp_viber_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a);
static int cmp_viber_parse(const char *body, size_t len, json_t **events,
    char *err, size_t err_len);


static const char *const  cmp_viber_statuses[] = {
    "pending", "approved", "rejected", NULL
};

static const cmp_provider_field_t  cmp_viber_fields[] = {
    { "sender_name", 28, NULL, NULL, 0, 0, 0 },
    { "service_account_status", 0, cmp_viber_statuses, "pending", 0, 0, 0 },
    { "api_base_url", 0, NULL, "https://chatapi.viber.com/pa", 1, 0, 0 },
    { NULL, 0, NULL, NULL, 0, 0, 0 }
};

static const char *const  cmp_viber_secrets[] = {
    "auth_token", NULL
};

static const char *const  cmp_viber_categories[] = {
    "promotion", "transaction", NULL
};

static const cmp_provider_field_t  cmp_viber_node_fields[] = {
    { "category", 32, cmp_viber_categories, NULL, 0, 1, 0 },
    { NULL, 0, NULL, NULL, 0, 0, 0 }
};

static const char *const  cmp_viber_opt_out[] = {
    "stop", "unsubscribe", NULL
};

/* send_message's "status" (README "Provider answers") */
static const cmp_answer_code_t  cmp_viber_codes[] = {
    /* 100 messages a user an hour without a reply: that user, later */
    { 12, 0, CMP_ANSWER_DEFERRED, 3600, 86400 },

    /* the bot: token, account blocked, not found, suspended, no webhook,
       not authorized, and the account-level ones above 15 */
    { 2, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 7, 10, CMP_ANSWER_BLOCKED, 0, 0 },
    { 15, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 23, 24, CMP_ANSWER_BLOCKED, 0, 0 },

    /* bad or missing data, receiver not registered or subscribed, no
       suitable device */
    { 3, 6, CMP_ANSWER_REFUSED, 0, 0 },
    { 11, 0, CMP_ANSWER_REFUSED, 0, 0 },

    { -1, 0, CMP_ANSWER_REFUSED, 0, 0 }
};


const cmp_provider_t  cmp_viber = {
    "viber",
    "Viber",
    cmp_viber_fields,
    cmp_viber_secrets,
    50,
    0,
    cmp_viber_not_ready,

    "send_viber",
    cmp_viber_node_fields,
    7000,
    0,                                  /* a Viber node sends text only */

    "viber_id",                         /* the bot API's subscriber id */
    "viber_id",
    "",
    "no_viber_id",
    NULL,
    NULL,

    "auth_token",
    "sender_name",
    cmp_viber_endpoint,
    cmp_viber_body,
    cmp_viber_classify,

    cmp_viber_parse,
    "X-Viber-Content-Signature",
    "",
    "auth_token",
    NULL, NULL, NULL, NULL, NULL,       /* no handshake */
    NULL,                               /* callbacks do not name the bot */
    NULL,
    "viber_event",
    cmp_viber_opt_out
};


static size_t
cmp_viber_not_ready(const json_t *obj, char *reason, size_t size)
{
    size_t       n;
    const char  *status;

    n = 0;
    status = json_string_value(json_object_get(obj,
                                               "service_account_status"));

    if (status == NULL || strcmp(status, "approved") != 0) {
        n += snprintf(reason + n, size - n,
                      "service account is %s, not approved",
                      status ? status : "pending");
    }

    /* Viber refuses a message without sender.name (1-28 characters) */
    if (!json_is_string(json_object_get(obj, "sender_name"))
        && n < size)
    {
        n += snprintf(reason + n, size - n, "%ssender_name is not set",
                      n ? "; " : "");
    }

    return n;
}


/* an account no longer approved: its messages wait, as unready */
static int
cmp_viber_endpoint(const json_t *obj, const char *token, char **url,
    char **auth)
{
    const char  *base, *s;

    s = json_string_value(json_object_get(obj, "service_account_status"));

    if (s == NULL || strcmp(s, "approved") != 0) {
        return -1;
    }

    base = cmp_provider_field(&cmp_viber, obj, "api_base_url");

    return cmp_provider_endpoint(url, auth, "X-Viber-Auth-Token: ", token,
                                 "%s/send_message", base);
}


/* the text and our message id, from the message record's JSON text */
static int
cmp_viber_body(const char *rec, size_t len, const char *sender_name,
    cmp_text_t *out)
{
    cmp_json_field_t  p[3];

    cmp_text_reset(out);

    /* a Viber node sends text only (README "Chat flows") */
    if (cmp_provider_text(rec, len, p) != 0) {
        return -1;
    }

    cmp_text_literal(out, "{\"receiver\":");
    cmp_text_add(out, p[CMP_PART_RECIPIENT].value, p[CMP_PART_RECIPIENT].len);
    cmp_text_literal(out, ",\"min_api_version\":1,\"sender\":{\"name\":");
    cmp_json_write_string(out, sender_name ? sender_name : "",
                          sender_name ? strlen(sender_name) : 0);
    cmp_text_literal(out, "},\"tracking_data\":");
    cmp_text_add(out, p[CMP_PART_ID].value, p[CMP_PART_ID].len);
    cmp_text_literal(out, ",\"type\":\"text\",\"text\":");
    cmp_text_add(out, p[CMP_PART_TEXT].value, p[CMP_PART_TEXT].len);
    cmp_text_literal(out, "}");

    return out->failed ? -1 : 0;
}


static void
cmp_viber_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a)
{
    long          status;
    json_t       *json, *v, *tok;
    const char   *text;

    if (http < 200 || http >= 300) {
        cmp_answer_transport(http, retry_after, "HTTP error", a);
        return;
    }

    json = (body != NULL && len > 0) ? json_loadb(body, len, 0, NULL)
                                     : NULL;
    v = json_object_get(json, "status");

    if (!json_is_integer(v)) {
        cmp_answer_transport(502, retry_after, "answer without a status", a);
        json_decref(json);
        return;
    }

    status = (long) json_integer_value(v);
    text = json_string_value(json_object_get(json, "status_message"));

    memset(a, 0, sizeof(cmp_answer_t));
    a->code = status;
    a->retry_after = retry_after;

    if (status == 0) {
        tok = json_object_get(json, "message_token");

        if (json_is_integer(tok)) {
            snprintf(a->provider_id, sizeof(a->provider_id), "%lld",
                     (long long) json_integer_value(tok));

        } else if (json_is_string(tok)) {
            snprintf(a->provider_id, sizeof(a->provider_id), "%s",
                     json_string_value(tok));
            cmp_utf8_repair(a->provider_id, strlen(a->provider_id), 1);

        } else if (json_is_real(tok)) {
            snprintf(a->provider_id, sizeof(a->provider_id), "%.0f",
                     json_real_value(tok));
        }

        a->klass = CMP_ANSWER_SENT;
        json_decref(json);
        return;
    }

    /* what is not listed (1, 13, 14, ...): not this recipient */
    a->klass = CMP_ANSWER_REFUSED;
    (void) cmp_answer_code(a, status, cmp_viber_codes);

    cmp_answer_error(a, status, text);

    json_decref(json);
}


/* ------------------------------------------------------------ callbacks */


static int
cmp_viber_parse(const char *body, size_t len, json_t **events,
    char *err, size_t err_len)
{
    char         token[32];
    json_t      *root, *out, *ev, *v, *msg;
    const char  *event, *from, *text, *status;

    *events = NULL;

    root = cmp_json_parse(body, len, err, err_len);
    if (root == NULL) {
        return -1;
    }

    out = json_array();
    if (out == NULL) {
        goto nomem;
    }

    event = cmp_provider_str(root, "event");

    /* only a body that is no JSON is refused: the rest is skipped */
    if (event == NULL) {
        cmp_provider_skip(out, NULL, "the payload has no \"event\"");
        goto done;
    }

    /* a message_token is a 64-bit number; the ledger keys it as text */
    token[0] = '\0';
    v = json_object_get(root, "message_token");

    if (json_is_integer(v)) {
        snprintf(token, sizeof(token), "%lld",
                 (long long) json_integer_value(v));

    } else if (json_is_string(v) && json_string_length(v) > 0
               && json_string_length(v) < sizeof(token))
    {
        snprintf(token, sizeof(token), "%s", json_string_value(v));
    }

    status = NULL;

    if (strcmp(event, "delivered") == 0) {
        status = "delivered";

    } else if (strcmp(event, "seen") == 0) {
        status = "read";

    } else if (strcmp(event, "failed") == 0) {
        status = "failed";
    }

    if (status != NULL) {
        from = cmp_provider_str(root, "user_id");

        if (token[0] == '\0') {
            cmp_provider_skip(out, NULL, "a \"%s\" event needs a "
                              "message_token", event);
            goto done;
        }

        ev = cmp_provider_event(out, "status");
        if (ev == NULL) {
            goto nomem;
        }

        json_object_set_new(ev, "provider_message_id", json_string(token));
        json_object_set_new(ev, "status", json_string(status));

        if (from != NULL && strlen(from) <= CMP_PROVIDER_ID_MAX) {
            json_object_set_new(ev, "from", json_string(from));
        }

        v = json_object_get(root, "desc");

        json_object_set_new(ev, "error", json_is_string(v)
                            ? json_pack("{s:O}", "message", v)
                            : json_null());

    } else if (strcmp(event, "message") == 0) {
        from = cmp_provider_str(json_object_get(root, "sender"), "id");
        msg = json_object_get(root, "message");
        text = cmp_provider_str(msg, "text");

        if (!cmp_provider_id_ok(from, "sender.id", err, err_len)) {
            cmp_provider_skip(out, NULL, "%s", err);
            goto done;
        }

        ev = cmp_provider_event(out, "reply");
        if (ev == NULL) {
            goto nomem;
        }

        json_object_set_new(ev, "from", json_string(from));
        json_object_set_new(ev, "text", text ? json_string(text)
                                             : json_null());
        json_object_set(ev, "message_type",
                        json_is_string(json_object_get(msg, "type"))
                        ? json_object_get(msg, "type") : json_null());

        if (token[0] != '\0') {
            json_object_set_new(ev, "provider_message_id",
                                json_string(token));
        }

        /* a sticker, a bare picture: recorded, but no answer */
        if (text == NULL) {
            json_object_set_new(ev, "answers", json_false());
        }

        v = json_object_get(msg, "tracking_data");

        if (json_is_string(v) && json_string_length(v) <= 2 * 256) {
            json_object_set(ev, "opaque", v);
        }

        if (text != NULL
            && cmp_provider_opt_out_word(&cmp_viber, text, strlen(text)))
        {
            json_object_set_new(ev, "stop", json_true());
        }

    } else if (strcmp(event, "subscribed") == 0
               || strcmp(event, "unsubscribed") == 0
               || strcmp(event, "conversation_started") == 0)
    {
        /* subscribed and conversation_started name a user object */
        from = cmp_provider_str(json_object_get(root, "user"), "id");

        if (from == NULL) {
            from = cmp_provider_str(root, "user_id");
        }

        if (!cmp_provider_id_ok(from, "the user id", err, err_len)) {
            cmp_provider_skip(out, NULL, "%s", err);
            goto done;
        }

        ev = cmp_provider_event(out, event[0] == 's' ? "opt_in"
                                    : event[0] == 'u' ? "opt_out"
                                    : "conversation_started");
        if (ev == NULL) {
            goto nomem;
        }

        json_object_set_new(ev, "from", json_string(from));
        json_object_set_new(ev, "reason", json_string(event));

    } else {
        ev = cmp_provider_event(out, strcmp(event, "webhook") == 0
                                    ? "ping" : "ignored");
        if (ev == NULL) {
            goto nomem;
        }
    }

    json_object_set_new(ev, "timestamp",
                        json_integer(cmp_provider_time(
                            json_object_get(root, "timestamp"))));

done:

    json_decref(root);
    *events = out;

    return 0;

nomem:

    snprintf(err, err_len, "out of memory");

    json_decref(root);
    json_decref(out);

    return -1;
}
