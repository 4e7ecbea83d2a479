
/*
 * WhatsApp Cloud API: POST {api_base_url}/{phone_number_id}/messages,
 * text and template messages, and what each error code means for us.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_provider.h"
#include "cmp_json.h"
#include "cmp_json_raw.h"


static char *cmp_whatsapp_body_json(const json_t *msg, size_t *len);
static int cmp_whatsapp_in(long code, const long *list);


static const long  cmp_whatsapp_throttled[] = {
    130429, 131056, 80007, 4, -1
};

static const long  cmp_whatsapp_blocked[] = {
    0, 190, 368, 131048, 131031, 130497, -1
};

static const long  cmp_whatsapp_refused[] = {
    131026, 131047, 131049, 131050, 100, -1
};


/*
 * The message record's "payload" is what the flow node rendered:
 * {"type":"text","text"} or {"type":"template","template":{"name",
 * "language","body_params"}}; our message id rides along for webhooks.
 * A text, the common case, is put together from the record's own JSON
 * text, the very bytes jansson would have written.
 */
int
cmp_whatsapp_body(const char *rec, size_t len, cmp_text_t *out)
{
    char              err[64], *s;
    size_t            n;
    json_t           *msg;
    cmp_json_field_t  p[3];

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


/* for the failure of a transport, or an answer we cannot read */
void
cmp_answer_transport(long http, int64_t retry_after, const char *what,
    cmp_answer_t *a)
{
    memset(a, 0, sizeof(cmp_answer_t));

    a->code = http;
    a->retry_after = retry_after;

    if (http == 401 || http == 403) {
        a->klass = CMP_ANSWER_BLOCKED;

    } else if (http == 0 || http == 429 || http >= 500) {
        a->klass = CMP_ANSWER_THROTTLED;

    } else {
        a->klass = CMP_ANSWER_REFUSED;
    }

    cmp_answer_error(a, http, what);
}


/*
 * The parts of a text message's record a request body is made of, as raw
 * JSON (quoted strings), each record read once; -1: not a text message.
 */
int
cmp_provider_text(const char *rec, size_t len, cmp_json_field_t *part)
{
    char              type[16];
    cmp_json_field_t  in[2];

    part[CMP_PART_RECIPIENT].name = "recipient";
    part[CMP_PART_ID].name = "id";
    part[CMP_PART_TEXT].name = "payload";

    if (cmp_json_raw_find(rec, len, part, 3) != 0
        || part[CMP_PART_RECIPIENT].value == NULL
        || part[CMP_PART_ID].value == NULL)
    {
        return -1;
    }

    in[0].name = "type";
    in[1].name = "text";

    if (part[CMP_PART_TEXT].value == NULL
        || cmp_json_raw_find(part[CMP_PART_TEXT].value,
                             part[CMP_PART_TEXT].len, in, 2) != 0
        || cmp_json_raw_value_string(in[0].value, in[0].len, type,
                                     sizeof(type)) != 0
        || strcmp(type, "text") != 0
        || in[1].value == NULL)
    {
        return -1;
    }

    part[CMP_PART_TEXT] = in[1];

    return 0;
}


/*
 * "code: text" for the ledger, kept UTF-8: a provider's long text cut to
 * fit may end in half a character, and the record must stay readable.
 */
void
cmp_answer_error(cmp_answer_t *a, long code, const char *text)
{
    snprintf(a->error, sizeof(a->error), "%ld: %s", code,
             text ? text : "error");
    cmp_utf8_repair(a->error, strlen(a->error), 1);
}


void
cmp_whatsapp_classify(long http, const char *body, size_t len,
    int64_t retry_after, cmp_answer_t *a)
{
    long          code;
    json_t       *json, *err, *id;
    const char   *text;

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
    text = json_string_value(json_object_get(err, "message"));

    /* the HTTP status decides what the code list does not know */
    cmp_answer_transport(http, retry_after, "", a);

    if (cmp_whatsapp_in(code, cmp_whatsapp_throttled)) {
        a->klass = CMP_ANSWER_THROTTLED;

    } else if (cmp_whatsapp_in(code, cmp_whatsapp_blocked)) {
        a->klass = CMP_ANSWER_BLOCKED;

    } else if (cmp_whatsapp_in(code, cmp_whatsapp_refused)
               || (code >= 132000 && code <= 132999))
    {
        a->klass = CMP_ANSWER_REFUSED;
    }

    a->code = code;
    a->opt_out = (code == 131050);

    cmp_answer_error(a, code, text);

    json_decref(json);
}
