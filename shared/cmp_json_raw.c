
/*
 * Top-level members of a JSON object, read and rewritten as text.  The
 * scanner only finds where values begin and end; it validates nothing
 * that jansson did not already check when the record was written.
 */


#include <string.h>
#include <jansson.h>

#include "cmp_json_raw.h"


typedef struct {
    const char    *name;
    size_t         name_len;
    const char    *value;
    size_t         value_len;
} cmp_json_member_t;


static const char *cmp_json_raw_ws(const char *p, const char *end);
static const char *cmp_json_raw_skip_string(const char *p, const char *end);
static const char *cmp_json_raw_skip_value(const char *p, const char *end);
static int cmp_json_raw_next(const char **pos, const char *end,
    cmp_json_member_t *m);


static const char *
cmp_json_raw_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    return p;
}


/*
 * p at the opening quote; the end is just past the closing one.  memchr
 * finds each quote; one after an odd run of backslashes is escaped.
 */
static const char *
cmp_json_raw_skip_string(const char *p, const char *end)
{
    const char  *start, *q, *b;

    start = p + 1;

    for (p = start; p < end; p = q + 1) {
        q = memchr(p, '"', end - p);
        if (q == NULL) {
            return NULL;
        }

        for (b = q; b > start && b[-1] == '\\'; b--) {
            /* void */
        }

        if ((q - b) % 2 == 0) {
            return q + 1;
        }
    }

    return NULL;
}


static const char *
cmp_json_raw_skip_value(const char *p, const char *end)
{
    int  depth;

    if (p >= end) {
        return NULL;
    }

    if (*p == '"') {
        return cmp_json_raw_skip_string(p, end);
    }

    if (*p == '{' || *p == '[') {
        depth = 0;

        while (p < end) {
            switch (*p) {

            case '"':
                p = cmp_json_raw_skip_string(p, end);
                if (p == NULL) {
                    return NULL;
                }

                continue;

            case '{':
            case '[':
                depth++;
                break;

            case '}':
            case ']':
                if (--depth == 0) {
                    return p + 1;
                }

                break;
            }

            p++;
        }

        return NULL;
    }

    /* a number, true, false or null */
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' '
           && *p != '\t' && *p != '\n' && *p != '\r')
    {
        p++;
    }

    return p;
}


/*
 * The member at *pos (just after '{' or a ','); 1: one was read, 0: the
 * object ended, -1: it is not an object we can read.
 */
static int
cmp_json_raw_next(const char **pos, const char *end, cmp_json_member_t *m)
{
    const char  *p, *q;

    p = cmp_json_raw_ws(*pos, end);

    if (p < end && *p == '}') {
        return 0;
    }

    if (p >= end || *p != '"') {
        return -1;
    }

    q = cmp_json_raw_skip_string(p, end);
    if (q == NULL) {
        return -1;
    }

    m->name = p + 1;
    m->name_len = q - p - 2;

    p = cmp_json_raw_ws(q, end);
    if (p >= end || *p != ':') {
        return -1;
    }

    p = cmp_json_raw_ws(p + 1, end);
    q = cmp_json_raw_skip_value(p, end);
    if (q == NULL || q == p) {
        return -1;
    }

    m->value = p;
    m->value_len = q - p;

    p = cmp_json_raw_ws(q, end);

    if (p < end && *p == ',') {
        p++;

    } else if (p >= end || *p != '}') {
        return -1;
    }

    *pos = p;

    return 1;
}


int
cmp_json_raw_find(const char *buf, size_t len, cmp_json_field_t *want,
    size_t n)
{
    size_t              i;
    const char         *p, *end;
    cmp_json_member_t   m;

    for (i = 0; i < n; i++) {
        want[i].value = NULL;
        want[i].len = 0;
    }

    end = buf + len;
    p = cmp_json_raw_ws(buf, end);

    if (p >= end || *p != '{') {
        return -1;
    }

    p++;

    while (cmp_json_raw_next(&p, end, &m) == 1) {
        for (i = 0; i < n; i++) {
            if (want[i].value == NULL
                && strncmp(want[i].name, m.name, m.name_len) == 0
                && want[i].name[m.name_len] == '\0')
            {
                want[i].value = m.value;
                want[i].len = m.value_len;
                break;
            }
        }
    }

    return 0;
}


/* -1: not a string, or longer than the room for it */
int
cmp_json_raw_value_string(const char *v, size_t n, char *dst, size_t size)
{
    json_t  *s;

    if (v == NULL || n < 2 || v[0] != '"') {
        return -1;
    }

    if (memchr(v, '\\', n) == NULL) {
        if (n - 2 >= size) {
            return -1;
        }

        memcpy(dst, v + 1, n - 2);
        dst[n - 2] = '\0';

        return 0;
    }

    /* escapes are rare in what we store: jansson decodes them */
    s = json_loadb(v, n, JSON_DECODE_ANY, NULL);

    if (!json_is_string(s) || json_string_length(s) >= size
        || memchr(json_string_value(s), '\0', json_string_length(s)))
    {
        json_decref(s);
        return -1;
    }

    memcpy(dst, json_string_value(s), json_string_length(s) + 1);

    /* what is read this way may be a secret: its decoded copy cleared */
    explicit_bzero((char *) json_string_value(s), json_string_length(s));
    json_decref(s);

    return 0;
}


/* null, absent, or not an integer: 0 */
int64_t
cmp_json_raw_value_int(const char *v, size_t n)
{
    int      neg;
    size_t   i;
    int64_t  r;

    if (v == NULL || n == 0) {
        return 0;
    }

    neg = (v[0] == '-');
    r = 0;

    for (i = neg; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || r > (INT64_MAX - 9) / 10) {
            return 0;
        }

        r = r * 10 + (v[i] - '0');
    }

    return neg ? -r : r;
}


int
cmp_json_raw_patch(const char *buf, size_t len, const cmp_json_field_t *set,
    size_t n, cmp_text_t *out)
{
    int                 rc, first;
    size_t              i;
    uint64_t            used;
    const char         *p, *end;
    cmp_json_member_t   m;

    /* first: a reused buffer's last failure must not be read as this one's */
    cmp_text_reset(out);

    if (n > 64) {
        return -1;
    }

    end = buf + len;
    p = cmp_json_raw_ws(buf, end);

    if (p >= end || *p != '{') {
        return -1;
    }

    p++;
    used = 0;
    first = 1;
    cmp_text_literal(out, "{");

    while ((rc = cmp_json_raw_next(&p, end, &m)) == 1) {
        if (!first) {
            cmp_text_literal(out, ",");
        }

        first = 0;

        for (i = 0; i < n; i++) {
            if (strlen(set[i].name) == m.name_len
                && memcmp(set[i].name, m.name, m.name_len) == 0)
            {
                break;
            }
        }

        cmp_text_add(out, m.name - 1, m.name_len + 2);
        cmp_text_literal(out, ":");

        if (i < n) {
            cmp_text_add(out, set[i].value, set[i].len);
            used |= (uint64_t) 1 << i;

        } else {
            cmp_text_add(out, m.value, m.value_len);
        }
    }

    if (rc != 0) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        if (used & ((uint64_t) 1 << i)) {
            continue;
        }

        if (!first) {
            cmp_text_literal(out, ",");
        }

        first = 0;
        cmp_json_write_string(out, set[i].name, strlen(set[i].name));
        cmp_text_literal(out, ":");
        cmp_text_add(out, set[i].value, set[i].len);
    }

    cmp_text_literal(out, "}");

    return out->failed ? -1 : 0;
}
