
/*
 * A JSON writer that gives the bytes of jansson's compact, ordered dump.
 * jansson formats every integer with snprintf() and keys a hashtable by
 * each container's address to catch cycles; a bulk import writes a
 * million records, so the common values are written here directly, and
 * anything unusual (reals, escapes, invalid UTF-8, deep nesting) is still
 * written by jansson itself, so the bytes cannot differ.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_json.h"
#include "cmp_json_writer.h"


/* deeper than anything the API stores: jansson takes over, cycles too */
#define CMP_JSON_WRITER_DEPTH   64


static void cmp_json_write_jansson(cmp_text_t *w, const json_t *json);
static int cmp_json_copy_plain(cmp_text_t *w, const char *s, size_t len);
static void cmp_json_write_nested(cmp_text_t *w, const json_t *json,
    int depth);


/* jansson's own bytes for a value; its failure is the writer's */
static void
cmp_json_write_jansson(cmp_text_t *w, const json_t *json)
{
    char  *s;

    if (w->failed) {
        return;
    }

    s = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER
                         | JSON_ENCODE_ANY);
    if (s == NULL) {
        w->failed = 1;
        return;
    }

    cmp_text_add(w, s, strlen(s));
    free(s);
}


/*
 * Copies "s" as it is, checking while copying; -1 (and nothing written)
 * when jansson would write it otherwise.
 */
static int
cmp_json_copy_plain(cmp_text_t *w, const char *s, size_t len)
{
    char           *p;
    size_t          i;
    unsigned char   c, high;

    if (cmp_text_reserve(w, len + 2) != 0) {
        /* failed: nothing more will be written */
        return 0;
    }

    p = w->data + w->len;
    *p++ = '"';
    high = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c < 0x20 || c == '"' || c == '\\') {
            return -1;
        }

        high |= c;
        p[i] = (char) c;
    }

    if ((high & 0x80) && !cmp_utf8_valid(s, len)) {
        return -1;
    }

    p[len] = '"';
    w->len += len + 2;

    return 0;
}


void
cmp_json_write_string(cmp_text_t *w, const char *s, size_t len)
{
    json_t  *str;

    if (cmp_json_copy_plain(w, s, len) == 0) {
        return;
    }

    str = json_stringn_nocheck(s, len);
    if (str == NULL) {
        w->failed = 1;
        return;
    }

    cmp_json_write_jansson(w, str);
    json_decref(str);
}


/*
 * "key": -1, and nothing written, for a key jansson would escape: it
 * writes a key it cannot encode unterminated, so its caller lets jansson
 * write the whole object.
 */
int
cmp_json_write_key(cmp_text_t *w, const char *s, size_t len)
{
    if (cmp_json_copy_plain(w, s, len) != 0) {
        return -1;
    }

    cmp_text_add(w, ":", 1);

    return 0;
}


/* "%lld", which is JSON_INTEGER_FORMAT */
void
cmp_json_write_integer(cmp_text_t *w, json_int_t v)
{
    char      buf[24], *p;
    uint64_t  u;

    p = buf + sizeof(buf);
    u = (v < 0) ? (uint64_t) 0 - (uint64_t) v : (uint64_t) v;

    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u != 0);

    if (v < 0) {
        *--p = '-';
    }

    cmp_text_add(w, p, buf + sizeof(buf) - p);
}


void
cmp_json_write_value(cmp_text_t *w, const json_t *json)
{
    cmp_json_write_nested(w, json, 0);
}


static void
cmp_json_write_nested(cmp_text_t *w, const json_t *json, int depth)
{
    size_t       i, n, len, start;
    void        *iter;
    const char  *key;

    if (w->failed) {
        return;
    }

    if (json == NULL) {
        w->failed = 1;
        return;
    }

    switch (json_typeof(json)) {

    case JSON_NULL:
        cmp_text_add(w, "null", 4);
        return;

    case JSON_TRUE:
        cmp_text_add(w, "true", 4);
        return;

    case JSON_FALSE:
        cmp_text_add(w, "false", 5);
        return;

    case JSON_INTEGER:
        cmp_json_write_integer(w, json_integer_value(json));
        return;

    case JSON_STRING:
        if (cmp_json_copy_plain(w, json_string_value(json),
                                json_string_length(json))
            != 0)
        {
            cmp_json_write_jansson(w, json);
        }

        return;

    case JSON_ARRAY:
        if (depth >= CMP_JSON_WRITER_DEPTH) {
            cmp_json_write_jansson(w, json);
            return;
        }

        cmp_text_add(w, "[", 1);

        n = json_array_size(json);

        for (i = 0; i < n; i++) {
            if (i > 0) {
                cmp_text_add(w, ",", 1);
            }

            cmp_json_write_nested(w, json_array_get(json, i), depth + 1);
        }

        cmp_text_add(w, "]", 1);
        return;

    case JSON_OBJECT:
        if (depth >= CMP_JSON_WRITER_DEPTH) {
            cmp_json_write_jansson(w, json);
            return;
        }

        start = w->len;
        cmp_text_add(w, "{", 1);

        /* insertion order, as jansson 2.14 dumps with or without PRESERVE */
        for (iter = json_object_iter((json_t *) json), i = 0;
             iter != NULL;
             iter = json_object_iter_next((json_t *) json, iter), i++)
        {
            if (i > 0) {
                cmp_text_add(w, ",", 1);
            }

            key = json_object_iter_key(iter);
            len = json_object_iter_key_len(iter);

            if (cmp_json_write_key(w, key, len) != 0) {
                w->len = start;
                cmp_json_write_jansson(w, json);
                return;
            }
            cmp_json_write_nested(w, json_object_iter_value(iter),
                                  depth + 1);
        }

        cmp_text_add(w, "}", 1);
        return;

    default:
        /* reals: jansson's own shortest round-trip formatting */
        cmp_json_write_jansson(w, json);
        return;
    }
}
