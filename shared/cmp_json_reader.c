
/*
 * A reader for plain JSON: an object or array of objects, arrays, text
 * without escapes, integers of up to 18 digits, true, false and null.
 * jansson reads a byte at a time through a stream with a token buffer;
 * a bulk import reads a million lines, so lines of this plain shape are
 * read here into the very tree jansson builds (same calls, same order).
 * Anything else (escapes, reals, long integers, duplicate keys, any
 * mistake) gets NULL, and the caller lets jansson read it, accept it or
 * say what is wrong with it.
 */


#include <string.h>

#include "cmp_json.h"
#include "cmp_json_reader.h"


typedef struct {
    const char  *p;
    const char  *end;
    int          depth;
} cmp_json_reader_t;


static void cmp_json_read_space(cmp_json_reader_t *r);
static json_t *cmp_json_read_value(cmp_json_reader_t *r);
static json_t *cmp_json_read_object(cmp_json_reader_t *r);
static json_t *cmp_json_read_array(cmp_json_reader_t *r);
static int cmp_json_read_text(cmp_json_reader_t *r, const char **s,
    size_t *len);
static json_t *cmp_json_read_integer(cmp_json_reader_t *r);
static json_t *cmp_json_read_word(cmp_json_reader_t *r, const char *word,
    size_t len, json_t *value);


json_t *
cmp_json_read_plain(const char *buf, size_t len)
{
    json_t             *json;
    cmp_json_reader_t   r;

    r.p = buf;
    r.end = buf + len;
    r.depth = 0;

    cmp_json_read_space(&r);

    /* jansson reads only an object or an array at the top */
    if (r.p == r.end || (*r.p != '{' && *r.p != '[')) {
        return NULL;
    }

    json = cmp_json_read_value(&r);
    if (json == NULL) {
        return NULL;
    }

    cmp_json_read_space(&r);

    if (r.p != r.end) {
        json_decref(json);
        return NULL;
    }

    return json;
}


/* the four characters JSON and jansson skip between tokens */
static void
cmp_json_read_space(cmp_json_reader_t *r)
{
    while (r->p < r->end
           && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n'
               || *r->p == '\r'))
    {
        r->p++;
    }
}


static json_t *
cmp_json_read_value(cmp_json_reader_t *r)
{
    size_t       len;
    const char  *s;

    if (r->p == r->end) {
        return NULL;
    }

    switch (*r->p) {

    case '{':
        return cmp_json_read_object(r);

    case '[':
        return cmp_json_read_array(r);

    case '"':
        if (cmp_json_read_text(r, &s, &len) != 0) {
            return NULL;
        }

        return json_stringn_nocheck(s, len);

    case 't':
        return cmp_json_read_word(r, "true", 4, json_true());

    case 'f':
        return cmp_json_read_word(r, "false", 5, json_false());

    case 'n':
        return cmp_json_read_word(r, "null", 4, json_null());

    default:
        return cmp_json_read_integer(r);
    }
}


static json_t *
cmp_json_read_object(cmp_json_reader_t *r)
{
    size_t       len;
    json_t      *obj, *v;
    const char  *key;

    if (++r->depth > CMP_JSON_MAX_DEPTH) {
        return NULL;
    }

    obj = json_object();
    if (obj == NULL) {
        return NULL;
    }

    r->p++;
    cmp_json_read_space(r);

    if (r->p < r->end && *r->p == '}') {
        r->p++;
        r->depth--;
        return obj;
    }

    for ( ;; ) {
        if (cmp_json_read_text(r, &key, &len) != 0) {
            goto failed;
        }

        cmp_json_read_space(r);

        if (r->p == r->end || *r->p != ':') {
            goto failed;
        }

        r->p++;
        cmp_json_read_space(r);

        /* jansson refuses duplicates (JSON_REJECT_DUPLICATES) and says so */
        if (json_object_getn(obj, key, len) != NULL) {
            goto failed;
        }

        v = cmp_json_read_value(r);
        if (v == NULL) {
            goto failed;
        }

        if (json_object_setn_new_nocheck(obj, key, len, v) != 0) {
            goto failed;
        }

        cmp_json_read_space(r);

        if (r->p == r->end) {
            goto failed;
        }

        if (*r->p == '}') {
            r->p++;
            r->depth--;
            return obj;
        }

        if (*r->p != ',') {
            goto failed;
        }

        r->p++;
        cmp_json_read_space(r);
    }

failed:

    json_decref(obj);

    return NULL;
}


static json_t *
cmp_json_read_array(cmp_json_reader_t *r)
{
    json_t  *arr, *v;

    if (++r->depth > CMP_JSON_MAX_DEPTH) {
        return NULL;
    }

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }

    r->p++;
    cmp_json_read_space(r);

    if (r->p < r->end && *r->p == ']') {
        r->p++;
        r->depth--;
        return arr;
    }

    for ( ;; ) {
        v = cmp_json_read_value(r);

        if (v == NULL || json_array_append_new(arr, v) != 0) {
            break;
        }

        cmp_json_read_space(r);

        if (r->p == r->end) {
            break;
        }

        if (*r->p == ']') {
            r->p++;
            r->depth--;
            return arr;
        }

        if (*r->p != ',') {
            break;
        }

        r->p++;
        cmp_json_read_space(r);
    }

    json_decref(arr);

    return NULL;
}


/* text between quotes that needs no unescaping: it is used in place */
static int
cmp_json_read_text(cmp_json_reader_t *r, const char **s, size_t *len)
{
    const char     *p;
    unsigned char   c, high;

    if (r->p == r->end || *r->p != '"') {
        return -1;
    }

    high = 0;

    for (p = r->p + 1; p < r->end; p++) {
        c = (unsigned char) *p;

        if (c == '"') {
            *s = r->p + 1;
            *len = p - *s;

            if ((high & 0x80) && !cmp_utf8_valid(*s, *len)) {
                return -1;
            }

            r->p = p + 1;

            return 0;
        }

        if (c < 0x20 || c == '\\') {
            return -1;
        }

        high |= c;
    }

    return -1;
}


/*
 * -?(0|[1-9][0-9]*) of at most 18 digits always fits json_int_t; longer
 * ones (jansson's overflow errors) and reals are jansson's to read
 */
static json_t *
cmp_json_read_integer(cmp_json_reader_t *r)
{
    int          neg, digits;
    json_int_t   v;
    const char  *p;

    p = r->p;
    neg = 0;

    if (p < r->end && *p == '-') {
        neg = 1;
        p++;
    }

    if (p == r->end || *p < '0' || *p > '9') {
        return NULL;
    }

    v = 0;
    digits = 0;

    if (*p == '0') {
        p++;
        digits = 1;

    } else {
        while (p < r->end && *p >= '0' && *p <= '9') {
            if (++digits > 18) {
                return NULL;
            }

            v = v * 10 + (*p - '0');
            p++;
        }
    }

    /* "01" is an error to jansson; "1.5" and "1e3" are reals */
    if (p < r->end
        && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e'
            || *p == 'E'))
    {
        return NULL;
    }

    r->p = p;

    return json_integer(neg ? -v : v);
}


/* jansson reads a run of letters as one word: "truex" is no "true" */
static json_t *
cmp_json_read_word(cmp_json_reader_t *r, const char *word, size_t len,
    json_t *value)
{
    const char  *p;

    if ((size_t) (r->end - r->p) < len || memcmp(r->p, word, len) != 0) {
        return NULL;
    }

    p = r->p + len;

    if (p < r->end
        && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
    {
        return NULL;
    }

    r->p = p;

    return value;
}
