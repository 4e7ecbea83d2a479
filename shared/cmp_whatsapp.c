
/*
 * WhatsApp Cloud API, the whole wire format: the channel's fields, the
 * request (POST {api_base_url}/{phone_number_id}/messages, text and
 * template messages), what each error code means for us, and callbacks.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_provider.h"
#include "cmp_json.h"
#include "cmp_json_raw.h"


static size_t cmp_whatsapp_not_ready(const json_t *obj, char *reason,
    size_t size);
static int cmp_whatsapp_endpoint(const json_t *obj, const char *token,
    char **url, char **auth);
static int cmp_whatsapp_body(const char *rec, size_t len, const char *sender,
    cmp_text_t *out);
static char *cmp_whatsapp_body_json(const json_t *msg, size_t *len);
static void cmp_whatsapp_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a);
static int cmp_whatsapp_in(long code, const long *list);
static void cmp_whatsapp_answer_text(cmp_answer_t *a, json_t *err);
static int cmp_whatsapp_parse(const char *body, size_t len, json_t **events,
    char *err, size_t err_len);
static void cmp_whatsapp_statuses(json_t *events, json_t *list,
    const char *route);
static void cmp_whatsapp_messages(json_t *events, json_t *value,
    const char *route);
static void cmp_whatsapp_preferences(json_t *events, json_t *list,
    const char *route);
static const char *cmp_whatsapp_text(json_t *msg, const char *type);
static int cmp_whatsapp_listed(const char *s, const char *const *list);
static json_t *cmp_whatsapp_error(json_t *errors);


static const cmp_provider_field_t  cmp_whatsapp_fields[] = {
    { "waba_id", 128, NULL, NULL, 0, 0, 1 },
    { "phone_number_id", 128, NULL, NULL, 0, 0, 1 },
    /* v21.0 expires on 2027-01-21; v23.0 is current (providers.md) */
    { "api_base_url", 0, NULL, "https://graph.facebook.com/v23.0", 1, 0, 0 },
    { NULL, 0, NULL, NULL, 0, 0, 0 }
};

static const char *const  cmp_whatsapp_secrets[] = {
    "access_token", "app_secret", "verify_token", NULL
};

static const cmp_provider_field_t  cmp_whatsapp_node_fields[] = {
    { NULL, 0, NULL, NULL, 0, 0, 0 }
};

static const char *const  cmp_whatsapp_opt_out[] = {
    "stop", "unsubscribe", NULL
};

/* messages that are no answer to a question, even with a caption */
static const char *const  cmp_whatsapp_mute[] = {
    "reaction", "unsupported", "system", "ephemeral", "request_welcome",
    NULL
};

static const char *const  cmp_whatsapp_captioned[] = {
    "image", "video", "document", NULL
};

/* the user stopped marketing messages from this business */
static const long  cmp_whatsapp_opt_out_codes[] = {
    131050, -1
};


const cmp_provider_t  cmp_whatsapp = {
    "whatsapp",
    "WhatsApp",
    cmp_whatsapp_fields,
    cmp_whatsapp_secrets,
    80,                                 /* the Cloud API's default tier */
    6,                                  /* its pair rate limit */
    cmp_whatsapp_not_ready,

    "send_whatsapp",
    cmp_whatsapp_node_fields,
    4096,                               /* a text body's limit */
    1,

    "phone",
    "phone",
    "+",                                /* "to" and "from": digits only */
    "no_phone",
    "whatsapp_user_id",                 /* a BSUID, for users without */
    "wa_user_id",                       /* a number in callbacks */

    "access_token",
    NULL,
    cmp_whatsapp_endpoint,
    cmp_whatsapp_body,
    cmp_whatsapp_classify,

    cmp_whatsapp_parse,
    "X-Hub-Signature-256",
    "sha256=",
    "app_secret",
    "verify_token",                     /* Meta's hub.* handshake */
    "hub.mode",
    "hub.verify_token",
    "hub.challenge",
    "wa_verify_token",
    "phone_number_id",
    "wa_phone_number_id",
    "wa_event",
    cmp_whatsapp_opt_out
};


/*
 * Every code we know, by what it means for us (README "Provider answers",
 * README "Provider answers"); a code not listed goes by the HTTP status.
 */
static const cmp_answer_code_t  cmp_whatsapp_codes[] = {
    /* rate limits: throughput, spam rate, WABA calls, Graph's own */
    { 130429, 0, CMP_ANSWER_THROTTLED, 0, 0 },
    { 131048, 0, CMP_ANSWER_THROTTLED, 0, 0 },
    { 80007, 0, CMP_ANSWER_THROTTLED, 0, 0 },
    { 4, 0, CMP_ANSWER_THROTTLED, 0, 0 },
    { 17, 0, CMP_ANSWER_THROTTLED, 0, 0 },
    { 32, 0, CMP_ANSWER_THROTTLED, 0, 0 },
    { 613, 0, CMP_ANSWER_THROTTLED, 0, 0 },

    /* one recipient, later: the pair rate, the per-user marketing cap */
    { 131056, 0, CMP_ANSWER_DEFERRED, 60, 3600 },
    { 131049, 0, CMP_ANSWER_DEFERRED, 3600, 86400 },

    /* the sender: token, capability (HTTP 500), permissions, account */
    { 0, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 3, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 10, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 190, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 200, 299, CMP_ANSWER_BLOCKED, 0, 0 },
    { 368, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 130497, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 131031, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 131037, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 131042, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 131045, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 131057, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 131063, 0, CMP_ANSWER_BLOCKED, 0, 0 },
    { 133010, 0, CMP_ANSWER_BLOCKED, 0, 0 },

    /* this recipient, for good; templates */
    { 100, 0, CMP_ANSWER_REFUSED, 0, 0 },
    { 130472, 0, CMP_ANSWER_REFUSED, 0, 0 },
    { 131026, 0, CMP_ANSWER_REFUSED, 0, 0 },
    { 131047, 0, CMP_ANSWER_REFUSED, 0, 0 },
    { 131050, 0, CMP_ANSWER_REFUSED, 0, 0 },
    { 131051, 0, CMP_ANSWER_REFUSED, 0, 0 },
    { 132000, 132999, CMP_ANSWER_REFUSED, 0, 0 },

    { -1, 0, CMP_ANSWER_REFUSED, 0, 0 }
};


static size_t
cmp_whatsapp_not_ready(const json_t *obj, char *reason, size_t size)
{
    size_t  n;

    n = 0;

    if (!json_is_string(json_object_get(obj, "waba_id"))) {
        n += snprintf(reason + n, size - n,
                      "no WABA associated (waba_id is not set)");
    }

    if (!json_is_string(json_object_get(obj, "phone_number_id"))) {
        n += snprintf(reason + n, size - n, "%s%s",
                      n ? "; " : "", "phone_number_id is not set");
    }

    return n;
}


static int
cmp_whatsapp_endpoint(const json_t *obj, const char *token, char **url,
    char **auth)
{
    const char  *base, *pnid;

    base = cmp_provider_field(&cmp_whatsapp, obj, "api_base_url");
    pnid = json_string_value(json_object_get(obj, "phone_number_id"));

    if (pnid == NULL) {
        return -1;
    }

    return cmp_provider_endpoint(url, auth, "Authorization: Bearer ", token,
                                 "%s/%s/messages", base, pnid);
}


/*
 * The message record's "payload" is what the flow node rendered:
 * {"type":"text","text"} or {"type":"template","template":{"name",
 * "language","body_params"}}; our message id rides along for webhooks.
 * A text, the common case, is put together from the record's own JSON
 * text, the very bytes jansson would have written.
 */
static int
cmp_whatsapp_body(const char *rec, size_t len, const char *sender,
    cmp_text_t *out)
{
    char              err[64], *s;
    size_t            n;
    json_t           *msg;
    cmp_json_field_t  p[3];

    (void) sender;

    cmp_text_reset(out);

    if (cmp_provider_text(rec, len, p) == 0) {
        cmp_text_literal(out, "{\"messaging_product\":\"whatsapp\","
                     "\"recipient_type\":\"individual\",\"to\":");
        cmp_text_add(out, p[CMP_PART_RECIPIENT].value,
                     p[CMP_PART_RECIPIENT].len);
        cmp_text_literal(out, ",\"type\":\"text\",\"text\":{\"body\":");
        cmp_text_add(out, p[CMP_PART_TEXT].value, p[CMP_PART_TEXT].len);
        cmp_text_literal(out, "},\"biz_opaque_callback_data\":");
        cmp_text_add(out, p[CMP_PART_ID].value, p[CMP_PART_ID].len);
        cmp_text_literal(out, "}");

        return out->failed ? -1 : 0;
    }

    msg = cmp_json_parse(rec, len, err, sizeof(err));
    s = (msg != NULL) ? cmp_whatsapp_body_json(msg, &n) : NULL;
    json_decref(msg);

    if (s == NULL) {
        return -1;
    }

    cmp_text_add(out, s, n);
    free(s);

    return out->failed ? -1 : 0;
}


/* a template's components, from the parsed record */
static char *
cmp_whatsapp_body_json(const json_t *msg, size_t *len)
{
    char          *s;
    size_t         i;
    json_t        *body, *payload, *tpl, *params, *p, *comp;
    const char    *type;

    payload = json_object_get(msg, "payload");
    type = json_string_value(json_object_get(payload, "type"));

    body = json_pack("{s:s, s:s, s:O}", "messaging_product", "whatsapp",
                     "recipient_type", "individual",
                     "to", json_object_get(msg, "recipient"));
    if (body == NULL) {
        return NULL;
    }

    if (type != NULL && strcmp(type, "template") == 0) {
        tpl = json_object_get(payload, "template");
        params = json_array();

        json_array_foreach(json_object_get(tpl, "body_params"), i, p) {
            json_array_append_new(params,
                                  json_pack("{s:s, s:O}", "type", "text",
                                            "text", p));
        }

        comp = json_array();

        if (json_array_size(params) > 0) {
            json_array_append_new(comp, json_pack("{s:s, s:o}",
                                                  "type", "body",
                                                  "parameters", params));
        } else {
            json_decref(params);
        }

        json_object_set_new(body, "type", json_string("template"));
        json_object_set_new(body, "template",
            json_pack("{s:O, s:{s:O, s:s}, s:o}",
                      "name", json_object_get(tpl, "name"),
                      "language", "code", json_object_get(tpl, "language"),
                      "policy", "deterministic",
                      "components", comp));

    } else {
        json_object_set_new(body, "type", json_string("text"));
        json_object_set_new(body, "text",
                            json_pack("{s:O}", "body",
                                      json_object_get(payload, "text")));
    }

    json_object_set(body, "biz_opaque_callback_data",
                    json_object_get(msg, "id"));

    s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);

    if (s != NULL) {
        *len = strlen(s);
    }

    return s;
}


static int
cmp_whatsapp_in(long code, const long *list)
{
    for ( /* void */ ; *list != -1; list++) {
        if (*list == code) {
            return 1;
        }
    }

    return 0;
}


static void
cmp_whatsapp_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a)
{
    long          code;
    json_t       *json, *err, *id;

    json = (body != NULL && len > 0) ? json_loadb(body, len, 0, NULL)
                                     : NULL;

    if (http >= 200 && http < 300) {
        id = json_object_get(json_array_get(json_object_get(json,
                                                            "messages"), 0),
                             "id");

        if (json_is_string(id) && json_string_length(id) > 0
            && json_string_length(id) < sizeof(a->provider_id))
        {
            memset(a, 0, sizeof(cmp_answer_t));
            a->klass = CMP_ANSWER_SENT;
            a->code = http;
            a->retry_after = -1;
            memcpy(a->provider_id, json_string_value(id),
                   json_string_length(id) + 1);
            json_decref(json);
            return;
        }

        /* accepted without an id: it may be sent; retrying may double */
        cmp_answer_transport(502, retry_after, "answer without a message id",
                             a);
        json_decref(json);
        return;
    }

    err = json_object_get(json, "error");

    if (!json_is_integer(json_object_get(err, "code"))) {
        cmp_answer_transport(http, retry_after, "HTTP error", a);
        json_decref(json);
        return;
    }

    code = (long) json_integer_value(json_object_get(err, "code"));

    /* the HTTP status decides what the code list does not know */
    cmp_answer_transport(http, retry_after, "", a);
    (void) cmp_answer_code(a, code, cmp_whatsapp_codes);

    a->code = code;
    a->opt_out = cmp_whatsapp_in(code, cmp_whatsapp_opt_out_codes);

    cmp_whatsapp_answer_text(a, err);

    json_decref(json);
}


/*
 * "code: message (details) [fbtrace_id X]": the details say what to do,
 * the trace id is what Meta's support asks for.
 */
static void
cmp_whatsapp_answer_text(cmp_answer_t *a, json_t *err)
{
    char         text[sizeof(a->error)];
    size_t       n;
    const char  *s;

    s = cmp_provider_str(err, "message");
    n = snprintf(text, sizeof(text), "%s", s ? s : "error");

    s = cmp_provider_str(json_object_get(err, "error_data"), "details");

    if (s != NULL && n < sizeof(text)) {
        n += snprintf(text + n, sizeof(text) - n, " (%s)", s);
    }

    s = cmp_provider_str(err, "fbtrace_id");

    if (s != NULL && n < sizeof(text)) {
        snprintf(text + n, sizeof(text) - n, " [fbtrace_id %s]", s);
    }

    cmp_answer_error(a, a->code, text);
}


/* ------------------------------------------------------------ callbacks */


/*
 * Only a body that is not JSON is refused: Meta retries a whole batch on
 * any other answer, so an event we cannot use is skipped (an "ignored"
 * event saying why) and the rest of the batch still counts.
 */
static int
cmp_whatsapp_parse(const char *body, size_t len, json_t **events,
    char *err, size_t err_len)
{
    size_t       i, j;
    json_t      *root, *entry, *e, *ch, *value, *out;
    const char  *route;

    *events = NULL;

    root = cmp_json_parse(body, len, err, err_len);
    if (root == NULL) {
        return -1;
    }

    out = json_array();
    if (out == NULL) {
        json_decref(root);
        snprintf(err, err_len, "out of memory");
        return -1;
    }

    entry = json_object_get(root, "entry");

    if (!json_is_array(entry)) {
        cmp_provider_skip(out, NULL, "the payload has no \"entry\" array");
    }

    json_array_foreach(entry, i, e) {
        json_array_foreach(json_object_get(e, "changes"), j, ch) {
            value = json_object_get(ch, "value");

            if (!json_is_object(value)) {
                continue;
            }

            route = cmp_provider_str(json_object_get(value, "metadata"),
                                     "phone_number_id");

            if (!cmp_provider_id_ok(route, "metadata.phone_number_id", err,
                                    err_len))
            {
                if (json_array_size(json_object_get(value, "statuses"))
                    || json_array_size(json_object_get(value, "messages"))
                    || json_array_size(json_object_get(value,
                                                       "user_preferences")))
                {
                    cmp_provider_skip(out, NULL, "%s", err);
                }

                continue;
            }

            cmp_whatsapp_statuses(out, json_object_get(value, "statuses"),
                                  route);
            cmp_whatsapp_messages(out, value, route);
            cmp_whatsapp_preferences(out,
                                     json_object_get(value,
                                                     "user_preferences"),
                                     route);
        }
    }

    json_decref(root);
    *events = out;

    return 0;
}


static void
cmp_whatsapp_statuses(json_t *events, json_t *list, const char *route)
{
    char         err[96];
    size_t       i;
    json_t      *st, *ev, *error;
    const char  *id, *status, *opaque, *to;

    json_array_foreach(list, i, st) {
        id = cmp_provider_str(st, "id");
        status = cmp_provider_str(st, "status");

        if (!cmp_provider_id_ok(id, "statuses[].id", err, sizeof(err))) {
            cmp_provider_skip(events, route, "%s", err);
            continue;
        }

        if (status == NULL || strlen(status) > 32) {
            cmp_provider_skip(events, route,
                              "statuses[].status must be a string");
            continue;
        }

        ev = cmp_provider_event(events, "status");
        if (ev == NULL) {
            return;
        }

        json_object_set_new(ev, "route", json_string(route));
        json_object_set_new(ev, "provider_message_id", json_string(id));
        json_object_set_new(ev, "status", json_string(status));
        json_object_set_new(ev, "timestamp",
                            json_integer(cmp_provider_time(
                                json_object_get(st, "timestamp"))));

        opaque = cmp_provider_str(st, "biz_opaque_callback_data");

        if (opaque != NULL) {
            json_object_set_new(ev, "opaque", json_string(opaque));
        }

        /* the recipient, for an opt-out found in errors[] */
        to = cmp_provider_str(st, "recipient_id");

        if (to != NULL && strlen(to) <= CMP_PROVIDER_ID_MAX) {
            json_object_set_new(ev, "from", json_string(to));
        }

        to = cmp_provider_str(st, "recipient_user_id");

        if (to != NULL && strlen(to) <= CMP_PROVIDER_ID_MAX) {
            json_object_set_new(ev, "user_id", json_string(to));
        }

        error = cmp_whatsapp_error(json_object_get(st, "errors"));

        /* 131050 comes mostly here, not in the send's answer */
        if (cmp_whatsapp_in(json_integer_value(json_object_get(error,
                                                               "code")),
                            cmp_whatsapp_opt_out_codes))
        {
            json_object_set_new(ev, "opt_out", json_true());
        }

        json_object_set_new(ev, "error", error);
    }
}


/* the first error, in the fields the message ledger keeps */
static json_t *
cmp_whatsapp_error(json_t *errors)
{
    json_t      *e, *out, *code;
    const char  *s;

    e = json_array_get(errors, 0);

    if (!json_is_object(e)) {
        return json_null();
    }

    out = json_object();
    if (out == NULL) {
        return json_null();
    }

    code = json_object_get(e, "code");

    if (json_is_integer(code)) {
        json_object_set_new(out, "code", json_integer(
                                             json_integer_value(code)));
    }

    s = cmp_provider_str(e, "title");
    if (s != NULL) {
        json_object_set_new(out, "title", json_string(s));
    }

    s = cmp_provider_str(e, "message");
    if (s != NULL) {
        json_object_set_new(out, "message", json_string(s));
    }

    s = cmp_provider_str(json_object_get(e, "error_data"), "details");
    if (s != NULL) {
        json_object_set_new(out, "details", json_string(s));
    }

    return out;
}


/*
 * A sender is named by "from" (the number) or, since 2026, by "user_id"
 * alone (a business-scoped user id); contacts[] may carry the user id of
 * a sender named by number.
 */
static void
cmp_whatsapp_messages(json_t *events, json_t *value, const char *route)
{
    char         err[96];
    size_t       i, k;
    json_t      *msg, *ev, *c;
    const char  *from, *uid, *id, *type, *text, *context;

    json_array_foreach(json_object_get(value, "messages"), i, msg) {
        from = cmp_provider_str(msg, "from");
        uid = cmp_provider_str(msg, "user_id");
        id = cmp_provider_str(msg, "id");

        if (uid == NULL) {
            uid = cmp_provider_str(msg, "from_user_id");
        }
        type = cmp_provider_str(msg, "type");

        if (from != NULL && uid == NULL) {
            json_array_foreach(json_object_get(value, "contacts"), k, c) {
                if (json_equal(json_object_get(c, "wa_id"),
                               json_object_get(msg, "from")))
                {
                    uid = cmp_provider_str(c, "user_id");
                    break;
                }
            }
        }

        if (from != NULL && strlen(from) > CMP_PROVIDER_ID_MAX) {
            from = NULL;
        }

        if (uid != NULL && strlen(uid) > CMP_PROVIDER_ID_MAX) {
            uid = NULL;
        }

        if (from == NULL && uid == NULL) {
            cmp_provider_skip(events, route, "messages[] names no sender "
                              "(neither from nor user_id)");
            continue;
        }

        if (!cmp_provider_id_ok(id, "messages[].id", err, sizeof(err))) {
            cmp_provider_skip(events, route, "%s", err);
            continue;
        }

        ev = cmp_provider_event(events, "reply");
        if (ev == NULL) {
            return;
        }

        text = cmp_whatsapp_text(msg, type);

        json_object_set_new(ev, "route", json_string(route));
        json_object_set_new(ev, "from", from ? json_string(from)
                                             : json_null());

        if (uid != NULL) {
            json_object_set_new(ev, "user_id", json_string(uid));
        }

        json_object_set_new(ev, "provider_message_id", json_string(id));
        json_object_set_new(ev, "message_type",
                            type ? json_string(type) : json_null());
        json_object_set_new(ev, "text", text ? json_string(text)
                                             : json_null());
        json_object_set_new(ev, "timestamp",
                            json_integer(cmp_provider_time(
                                json_object_get(msg, "timestamp"))));

        /* a reaction, a bare picture, "unsupported", "system": no answer */
        if (text == NULL || cmp_whatsapp_listed(type, cmp_whatsapp_mute)) {
            json_object_set_new(ev, "answers", json_false());
        }

        context = cmp_provider_str(json_object_get(msg, "context"), "id");

        if (context != NULL && strlen(context) <= CMP_PROVIDER_ID_MAX) {
            json_object_set_new(ev, "context_id", json_string(context));
        }

        if (text != NULL
            && cmp_provider_opt_out_word(&cmp_whatsapp, text, strlen(text)))
        {
            json_object_set_new(ev, "stop", json_true());
        }
    }
}


/* what the contact said, whichever way: typed, a button, a list choice */
static const char *
cmp_whatsapp_text(json_t *msg, const char *type)
{
    json_t      *in;
    const char  *s;

    if (type == NULL) {
        return NULL;
    }

    if (strcmp(type, "text") == 0) {
        return cmp_provider_str(json_object_get(msg, "text"), "body");
    }

    if (strcmp(type, "button") == 0) {
        s = cmp_provider_str(json_object_get(msg, "button"), "text");
        return s ? s : cmp_provider_str(json_object_get(msg, "button"),
                                       "payload");
    }

    if (strcmp(type, "interactive") == 0) {
        in = json_object_get(msg, "interactive");
        s = cmp_provider_str(json_object_get(in, "button_reply"), "title");

        if (s == NULL) {
            s = cmp_provider_str(json_object_get(in, "list_reply"), "title");
        }

        return s;
    }

    /* a picture, a video or a file with a caption says something */
    if (cmp_whatsapp_listed(type, cmp_whatsapp_captioned)) {
        return cmp_provider_str(json_object_get(msg, type), "caption");
    }

    return NULL;
}


static int
cmp_whatsapp_listed(const char *s, const char *const *list)
{
    for ( /* void */ ; s != NULL && *list != NULL; list++) {
        if (strcmp(*list, s) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
cmp_whatsapp_preferences(json_t *events, json_t *list, const char *route)
{
    size_t       i;
    json_t      *p, *ev;
    const char  *wa_id, *uid, *category, *value;

    json_array_foreach(list, i, p) {
        wa_id = cmp_provider_str(p, "wa_id");
        uid = cmp_provider_str(p, "user_id");
        category = cmp_provider_str(p, "category");
        value = cmp_provider_str(p, "value");

        if (wa_id != NULL && strlen(wa_id) > CMP_PROVIDER_ID_MAX) {
            wa_id = NULL;
        }

        if (uid != NULL && strlen(uid) > CMP_PROVIDER_ID_MAX) {
            uid = NULL;
        }

        /* other categories or values say nothing about marketing consent */
        if ((wa_id == NULL && uid == NULL)
            || category == NULL || value == NULL
            || strcmp(category, "marketing_messages") != 0
            || (strcmp(value, "stop") != 0 && strcmp(value, "resume") != 0))
        {
            continue;
        }

        ev = cmp_provider_event(events, value[0] == 's' ? "opt_out"
                                                        : "opt_in");
        if (ev == NULL) {
            return;
        }

        json_object_set_new(ev, "route", json_string(route));
        json_object_set_new(ev, "from", wa_id ? json_string(wa_id)
                                              : json_null());

        if (uid != NULL) {
            json_object_set_new(ev, "user_id", json_string(uid));
        }

        json_object_set_new(ev, "reason", json_string("user_preferences"));
        json_object_set_new(ev, "timestamp",
                            json_integer(cmp_provider_time(
                                json_object_get(p, "timestamp"))));
    }
}
