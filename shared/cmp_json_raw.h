
/*
 * Reading and rewriting top-level members of a stored JSON object in
 * place, without building a tree: the ledger's hot path touches a few
 * members of every message record, and a parse and a dump of the whole
 * record cost more than everything else it does.
 *
 * The records these read are written by jansson (cmp_json_dump), so a
 * member's name is never escaped: names are compared as raw bytes.
 */


#ifndef _CMP_JSON_RAW_H_INCLUDED_
#define _CMP_JSON_RAW_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "cmp_json_writer.h"


/* a member: its name and the raw JSON text of its value (NULL: absent) */
typedef struct {
    const char    *name;
    const char    *value;
    size_t         len;
} cmp_json_field_t;


/* the members named in want[], in one pass; -1: not an object */
int cmp_json_raw_find(const char *buf, size_t len, cmp_json_field_t *want,
    size_t n);

/* a raw value as a string, unescaped into dst, or as an integer */
int cmp_json_raw_value_string(const char *v, size_t n, char *dst,
    size_t size);
int64_t cmp_json_raw_value_int(const char *v, size_t n);

/* the object with set[] applied (absent members added at its end) */
int cmp_json_raw_patch(const char *buf, size_t len, const cmp_json_field_t *set,
    size_t n, cmp_text_t *out);


#endif /* _CMP_JSON_RAW_H_INCLUDED_ */
