
/*
 * Viber bot API: POST {api_base_url}/send_message; HTTP 200 with a
 * "status" other than 0 is an error, classified by that status.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_provider.h"
#include "cmp_json.h"
#include "cmp_json_raw.h"


/* the text and our message id, from the message record's JSON text */
int
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
            cmp_utf8_repair(a->provider_id, strlen(a->provider_id), 1);

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

    cmp_answer_error(a, status, text);

    json_decref(json);
}
