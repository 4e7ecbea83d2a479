
/*
 * Rules of a flow's condition nodes ({"variable", "op", "value",
 * "ignore_case"}): compiled once, then matched against variable values.
 */


#ifndef _CMP_RULE_H_INCLUDED_
#define _CMP_RULE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


/* a pattern longer than this, or counting higher, is refused */
#define CMP_RULE_REGEX_MAX       512
#define CMP_RULE_REGEX_COUNT_MAX 255

/*
 * What one match may cost (PCRE2's limits, per rule): backtracking
 * steps, nested backtracking frames, and KiB of heap for those frames.
 */
#define CMP_RULE_MATCH_LIMIT     100000
#define CMP_RULE_DEPTH_LIMIT     1000
#define CMP_RULE_HEAP_LIMIT      1024


typedef struct cmp_regex_s  cmp_regex_t;


typedef enum {
    CMP_RULE_STRING_EQUALS = 0,
    CMP_RULE_STRING_CONTAINS,
    CMP_RULE_STRING_STARTS_WITH,
    CMP_RULE_STRING_IS_BLANK,
    CMP_RULE_STRING_IS_NOT_BLANK,
    CMP_RULE_STRING_MATCHES_REGEX,
    CMP_RULE_STRING_CONTAINS_REGEX,
    CMP_RULE_NUMBER_EQUALS,
    CMP_RULE_NUMBER_GREATER_THAN,
    CMP_RULE_NUMBER_LESS_THAN,
    CMP_RULE_DATE_EQUALS,
    CMP_RULE_DATE_GREATER_THAN,
    CMP_RULE_DATE_LESS_THAN,
    CMP_RULE_UNKNOWN
} cmp_rule_op_e;


typedef struct {
    cmp_rule_op_e   op;
    const char     *variable;   /* points into the rule's JSON */
    char           *value;      /* malloc()ed; NULL for the blank tests */
    size_t          value_len;
    double          number;
    int64_t         time;       /* seconds, for dates with a time */
    int64_t         day;        /* days since 1970-01-01 as written */
    unsigned        date_only:1;
    unsigned        ignore_case:1;
    cmp_regex_t    *regex;      /* the regex operators' */
} cmp_rule_t;


cmp_rule_op_e cmp_rule_op(const char *name);
const char *cmp_rule_op_name(cmp_rule_op_e op);
int cmp_rule_compile(cmp_rule_t *rule, const json_t *json, char *err,
    size_t err_len);
int cmp_rule_match(const cmp_rule_t *rule, const char *actual, size_t len);
void cmp_rule_free(cmp_rule_t *rule);

int cmp_rule_parse_number(const char *s, size_t len, double *v);
int cmp_rule_parse_date(const char *s, size_t len, int64_t *time,
    int64_t *day, int *date_only);
char *cmp_rule_fold(const char *s, size_t len, size_t *out_len);


#endif /* _CMP_RULE_H_INCLUDED_ */
