
/*
 * Writing JSON into a growable buffer, byte for byte as jansson's compact
 * dump would, without its per-dump bookkeeping.
 */


#ifndef _CMP_JSON_WRITER_H_INCLUDED_
#define _CMP_JSON_WRITER_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


typedef struct {
    char          *data;       /* malloc()ed, NUL-terminated when not failed */
    size_t         len;
    size_t         size;
    unsigned       failed:1;   /* out of memory or a value jansson refuses */
} cmp_json_writer_t;


int cmp_json_writer_init(cmp_json_writer_t *w, size_t size);
void cmp_json_writer_free(cmp_json_writer_t *w);
void cmp_json_writer_reset(cmp_json_writer_t *w);
void cmp_json_write_raw(cmp_json_writer_t *w, const char *s, size_t len);
#define cmp_json_write_literal(w, s)  cmp_json_write_raw(w, s, sizeof(s) - 1)
void cmp_json_write_integer(cmp_json_writer_t *w, json_int_t v);
void cmp_json_write_string(cmp_json_writer_t *w, const char *s, size_t len);
void cmp_json_write_value(cmp_json_writer_t *w, const json_t *json);
char *cmp_json_writer_take(cmp_json_writer_t *w, size_t *len);
int cmp_json_write_key(cmp_json_writer_t *w, const char *s, size_t len);


#endif /* _CMP_JSON_WRITER_H_INCLUDED_ */
