
/*
 * Template syntax and rendering.  Delimiters are ASCII, and UTF-8 lead and
 * continuation bytes are never ASCII, so scanning bytes is UTF-8 safe.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_template.h"
#include "cmp_json.h"


typedef enum {
    CMP_REF_INVALID = 0,
    CMP_REF_CONTACT_NAME,
    CMP_REF_CONTACT_PHONE,
    CMP_REF_CONTACT_ATTRIBUTE,
    CMP_REF_VAR,
    CMP_REF_CAMPAIGN_ID,
    CMP_REF_CAMPAIGN_NAME,
    CMP_REF_GROUP_ID,
    CMP_REF_RUN_NUMBER
} cmp_ref_e;


typedef struct {
    const char  *name;
    cmp_ref_e    ref;
    unsigned     prefix:1;     /* a key follows the name */
} cmp_ref_def_t;


static cmp_ref_e cmp_template_ref(const char *s, size_t len,
    const char **key, size_t *key_len);
static size_t cmp_template_find(const char *s, size_t len, size_t from,
    char a, char b);
static void cmp_template_value(cmp_text_t *t, cmp_ref_e ref,
    const char *key, size_t key_len, const cmp_template_ctx_t *ctx);


static const cmp_ref_def_t  cmp_ref_defs[] = {
    { "contact.name", CMP_REF_CONTACT_NAME, 0 },
    { "contact.phone", CMP_REF_CONTACT_PHONE, 0 },
    { "contact.attributes.", CMP_REF_CONTACT_ATTRIBUTE, 1 },
    { "vars.", CMP_REF_VAR, 1 },
    { "campaign.id", CMP_REF_CAMPAIGN_ID, 0 },
    { "campaign.name", CMP_REF_CAMPAIGN_NAME, 0 },
    { "group.id", CMP_REF_GROUP_ID, 0 },
    { "run.number", CMP_REF_RUN_NUMBER, 0 },
};


/* a JSON scalar as a person reads it; objects, arrays and null are "" */
void
cmp_text_json_value(cmp_text_t *t, const json_t *v)
{
    if (json_is_string(v)) {
        cmp_text_add(t, json_string_value(v), json_string_length(v));

    } else if (json_is_integer(v)) {
        cmp_text_addf(t, "%lld", (long long) json_integer_value(v));

    } else if (json_is_real(v)) {
        cmp_text_addf(t, "%.15g", json_real_value(v));

    } else if (json_is_true(v)) {
        cmp_text_add(t, "true", 4);

    } else if (json_is_false(v)) {
        cmp_text_add(t, "false", 5);
    }
}


static size_t
cmp_template_find(const char *s, size_t len, size_t from, char a, char b)
{
    size_t  i;

    for (i = from; i + 1 < len; i++) {
        if (s[i] == a && s[i + 1] == b) {
            return i;
        }
    }

    return len;
}


/*
 * A key (attribute name, variable name) is any text without braces,
 * whitespace or control characters, so "{{vars.城市}}" works.
 */
static cmp_ref_e
cmp_template_ref(const char *s, size_t len, const char **key,
    size_t *key_len)
{
    size_t          i, n, k;
    unsigned char   c;

    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }

    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
        len--;
    }

    *key = NULL;
    *key_len = 0;

    for (i = 0; i < sizeof(cmp_ref_defs) / sizeof(cmp_ref_defs[0]); i++) {
        n = strlen(cmp_ref_defs[i].name);

        if (!cmp_ref_defs[i].prefix) {
            if (len == n && memcmp(s, cmp_ref_defs[i].name, n) == 0) {
                return cmp_ref_defs[i].ref;
            }

            continue;
        }

        if (len <= n || memcmp(s, cmp_ref_defs[i].name, n) != 0) {
            continue;
        }

        for (k = n; k < len; k++) {
            c = (unsigned char) s[k];

            if (c <= ' ' || c == 0x7f || c == '{' || c == '}') {
                return CMP_REF_INVALID;
            }
        }

        *key = s + n;
        *key_len = len - n;

        return cmp_ref_defs[i].ref;
    }

    return CMP_REF_INVALID;
}


/* positions in messages are in characters, as an operator counts them */
int
cmp_template_check(const char *s, size_t len, char *err, size_t err_len)
{
    size_t       i, end, next;
    const char  *key;
    size_t       key_len;

    i = 0;

    for ( ;; ) {
        i = cmp_template_find(s, len, i, '{', '{');

        if (i == len) {
            return 0;
        }

        end = cmp_template_find(s, len, i + 2, '}', '}');
        next = cmp_template_find(s, len, i + 2, '{', '{');

        if (end == len || next < end) {
            snprintf(err, err_len, "\"{{\" at character %zu is not "
                     "closed by \"}}\"", cmp_utf8_length(s, i) + 1);
            return -1;
        }

        if (cmp_template_ref(s + i + 2, end - i - 2, &key, &key_len)
            == CMP_REF_INVALID)
        {
            snprintf(err, err_len, "unknown placeholder \"%.*s\" at "
                     "character %zu (known: contact.name, contact.phone, "
                     "contact.attributes.KEY, vars.NAME, campaign.id, "
                     "campaign.name, group.id, run.number)",
                     (int) (end + 2 - i > 80 ? 80 : end + 2 - i), s + i,
                     cmp_utf8_length(s, i) + 1);
            return -1;
        }

        i = end + 2;
    }
}


static void
cmp_template_value(cmp_text_t *t, cmp_ref_e ref, const char *key,
    size_t key_len, const cmp_template_ctx_t *ctx)
{
    const json_t  *obj;
    const char    *s;

    s = NULL;

    switch (ref) {

    case CMP_REF_CONTACT_NAME:
        cmp_text_json_value(t, json_object_get(ctx->contact, "name"));
        return;

    case CMP_REF_CONTACT_PHONE:
        cmp_text_json_value(t, json_object_get(ctx->contact, "phone"));
        return;

    case CMP_REF_CONTACT_ATTRIBUTE:
        obj = json_object_get(ctx->contact, "attributes");
        cmp_text_json_value(t, json_object_getn(obj, key, key_len));
        return;

    case CMP_REF_VAR:
        cmp_text_json_value(t, json_object_getn(ctx->vars, key, key_len));
        return;

    case CMP_REF_CAMPAIGN_ID:
        s = ctx->campaign_id;
        break;

    case CMP_REF_CAMPAIGN_NAME:
        s = ctx->campaign_name;
        break;

    case CMP_REF_GROUP_ID:
        s = ctx->group_id;
        break;

    case CMP_REF_RUN_NUMBER:
        if (ctx->run) {
            cmp_text_addf(t, "%llu", (unsigned long long) ctx->run);
        }
        return;

    default:
        return;
    }

    if (s != NULL) {
        cmp_text_add(t, s, strlen(s));
    }
}


/*
 * A missing value renders as "".  Text that fails cmp_template_check()
 * never reaches a published flow; should it come here anyway, the bad
 * part is copied as it is rather than guessed at.
 */
char *
cmp_template_render(const char *s, size_t len, const cmp_template_ctx_t *ctx,
    size_t *out_len)
{
    size_t       i, start, end, next, key_len;
    cmp_ref_e    ref;
    cmp_text_t   t;
    const char  *key;

    memset(&t, 0, sizeof(cmp_text_t));
    cmp_text_add(&t, "", 0);

    i = 0;

    while (i < len) {
        start = cmp_template_find(s, len, i, '{', '{');

        cmp_text_add(&t, s + i, start - i);

        if (start == len) {
            break;
        }

        end = cmp_template_find(s, len, start + 2, '}', '}');
        next = cmp_template_find(s, len, start + 2, '{', '{');

        if (end == len || next < end) {
            cmp_text_add(&t, s + start, 2);
            i = start + 2;
            continue;
        }

        ref = cmp_template_ref(s + start + 2, end - start - 2, &key,
                               &key_len);

        if (ref == CMP_REF_INVALID) {
            cmp_text_add(&t, s + start, end + 2 - start);

        } else {
            cmp_template_value(&t, ref, key, key_len, ctx);
        }

        i = end + 2;
    }

    if (t.failed) {
        cmp_text_free(&t);
        return NULL;
    }

    if (out_len != NULL) {
        *out_len = t.len;
    }

    return t.data;
}
