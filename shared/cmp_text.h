
/*
 * A growable byte buffer: rendered templates, answers read off the
 * network, and every JSON text cmp_json_writer.c writes.
 */


#ifndef _CMP_TEXT_H_INCLUDED_
#define _CMP_TEXT_H_INCLUDED_


#include <stddef.h>


/* data is NUL-terminated after cmp_text_add() and cmp_text_take() */
typedef struct {
    char          *data;
    size_t         len;
    size_t         size;
    int            failed;      /* an allocation failed: data is unusable */
} cmp_text_t;


int cmp_text_init(cmp_text_t *t, size_t size);
int cmp_text_reserve(cmp_text_t *t, size_t n);
void cmp_text_add(cmp_text_t *t, const char *data, size_t len);
#define cmp_text_literal(t, s)  cmp_text_add(t, s, sizeof(s) - 1)
void cmp_text_addf(cmp_text_t *t, const char *fmt, ...);
void cmp_text_reset(cmp_text_t *t);
char *cmp_text_take(cmp_text_t *t, size_t *len);
void cmp_text_free(cmp_text_t *t);


#endif /* _CMP_TEXT_H_INCLUDED_ */
