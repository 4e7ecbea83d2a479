
/*
 * Viber bot API: POST {api_base_url}/send_message; HTTP 200 with a
 * "status" other than 0 is an error, classified by that status.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_provider.h"


char *
cmp_viber_body(const json_t *msg, const char *sender_name, size_t *len)
{
    char    *s;
    json_t  *body;

    body = json_pack("{s:O, s:i, s:{s:s}, s:O, s:s, s:O}",
                     "receiver", json_object_get(msg, "recipient"),
                     "min_api_version", 1,
                     "sender", "name", sender_name ? sender_name : "",
                     "tracking_data", json_object_get(msg, "id"),
                     "type", "text",
                     "text", json_object_get(json_object_get(msg, "payload"),
                                             "text"));
    if (body == NULL) {
        return NULL;
    }

    s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);

    if (s != NULL) {
        *len = strlen(s);
    }

    return s;
}


void
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

        } else if (json_is_real(tok)) {
            snprintf(a->provider_id, sizeof(a->provider_id), "%.0f",
                     json_real_value(tok));
        }

        a->klass = CMP_ANSWER_SENT;
        json_decref(json);
        return;
    }

    switch (status) {
    case 12:
        a->klass = CMP_ANSWER_THROTTLED;
        break;
    case 2: case 7: case 8: case 9: case 15:
        a->klass = CMP_ANSWER_BLOCKED;
        break;
    default:
        /* 3, 4, 5, 6, 11, and what is not known: not this recipient */
        a->klass = CMP_ANSWER_REFUSED;
    }

    snprintf(a->error, sizeof(a->error), "%ld: %s", status,
             text ? text : "error");

    json_decref(json);
}
