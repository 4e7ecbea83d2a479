
/*
 * JSON and text helpers both processes use: strict parsing with a nesting
 * limit, lengths in code points, and RFC 3339 times.
 */


#ifndef _CMP_JSON_H_INCLUDED_
#define _CMP_JSON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


#define CMP_JSON_MAX_DEPTH   32
#define CMP_TIME_LEN         20      /* "2026-12-01T01:00:00Z" */


json_t *cmp_json_parse(const char *buf, size_t len, char *err,
    size_t err_len);
int cmp_json_depth_ok(const char *buf, size_t len, int max_depth);
char *cmp_json_dump(const json_t *json, size_t *len);

int cmp_utf8_valid(const char *s, size_t len);
size_t cmp_utf8_length(const char *s, size_t len);
size_t cmp_utf8_repair(char *s, size_t len, int truncated);

int cmp_time_parse(const char *s, int64_t *t);
void cmp_time_format(int64_t t, char *buf);


#endif /* _CMP_JSON_H_INCLUDED_ */
