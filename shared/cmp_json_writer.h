
/*
 * Writing JSON onto a cmp_text_t, byte for byte as jansson's compact
 * dump would, without its per-dump bookkeeping.
 */


#ifndef _CMP_JSON_WRITER_H_INCLUDED_
#define _CMP_JSON_WRITER_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "cmp_text.h"


/* each writes onto t; a failure (memory, a value jansson refuses) sticks */
void cmp_json_write_integer(cmp_text_t *t, json_int_t v);
void cmp_json_write_string(cmp_text_t *t, const char *s, size_t len);
void cmp_json_write_value(cmp_text_t *t, const json_t *json);
int cmp_json_write_key(cmp_text_t *t, const char *s, size_t len);


#endif /* _CMP_JSON_WRITER_H_INCLUDED_ */
