
/*
 * The growable byte buffer.  A failed allocation is remembered, so a
 * writer checks once, at the end, instead of after every piece.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_text.h"


/* empty, with room for size bytes already: -1 when that failed */
int
cmp_text_init(cmp_text_t *t, size_t size)
{
    memset(t, 0, sizeof(cmp_text_t));

    return cmp_text_reserve(t, size ? size - 1 : 0);
}


/* room for n more bytes and the NUL; -1 once anything failed */
int
cmp_text_reserve(cmp_text_t *t, size_t n)
{
    char    *p;
    size_t   size;

    if (t->failed) {
        return -1;
    }

    if (t->len + n + 1 <= t->size) {
        return 0;
    }

    size = t->size ? t->size : 256;

    while (size < t->len + n + 1) {
        size *= 2;
    }

    p = realloc(t->data, size);
    if (p == NULL) {
        t->failed = 1;
        return -1;
    }

    t->data = p;
    t->size = size;

    return 0;
}


void
cmp_text_add(cmp_text_t *t, const char *data, size_t len)
{
    if (cmp_text_reserve(t, len) != 0) {
        return;
    }

    if (len) {
        memcpy(t->data + t->len, data, len);
    }

    t->len += len;
    t->data[t->len] = '\0';
}


void
cmp_text_addf(cmp_text_t *t, const char *fmt, ...)
{
    int      n;
    char     buf[512];
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    if (n < 0) {
        return;
    }

    cmp_text_add(t, buf, (size_t) n < sizeof(buf) ? (size_t) n
                                                   : sizeof(buf) - 1);
}


/* empty again, its buffer kept for the next text */
void
cmp_text_reset(cmp_text_t *t)
{
    t->len = 0;
    t->failed = 0;
}


/* the text, NUL-terminated, for the caller to free(); NULL if it failed */
char *
cmp_text_take(cmp_text_t *t, size_t *len)
{
    char  *s;

    if (cmp_text_reserve(t, 0) != 0) {
        cmp_text_free(t);
        return NULL;
    }

    t->data[t->len] = '\0';

    s = t->data;
    *len = t->len;

    memset(t, 0, sizeof(cmp_text_t));

    return s;
}


void
cmp_text_free(cmp_text_t *t)
{
    free(t->data);
    memset(t, 0, sizeof(cmp_text_t));
}
