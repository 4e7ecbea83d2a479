
/*
 * Condition rules: what each operator means, exactly, for strings, numbers
 * and dates; regexes are PCRE2's, with limits that keep one from hurting
 * the sidecar.
 */


#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "cmp_rule.h"
#include "cmp_json.h"


struct cmp_regex_s {
    pcre2_code           *code;
    pcre2_match_data     *match;
    pcre2_match_context  *limits;
};


static int cmp_rule_regex_compile(cmp_rule_t *rule, const char *s,
    size_t len, char *err, size_t err_len);
static int cmp_rule_regex_counts(const char *s, size_t len, char *err,
    size_t err_len);
static int cmp_rule_regex_match(const cmp_rule_t *rule, const char *s,
    size_t len);
static int cmp_rule_blank(const char *s, size_t len);
static uint32_t cmp_fold_cp(uint32_t cp);
static int cmp_rule_compare_text(const cmp_rule_t *rule, const char *actual,
    size_t len);


static const char *const  cmp_rule_ops[] = {
    "string_equals",
    "string_contains",
    "string_starts_with",
    "string_is_blank",
    "string_is_not_blank",
    "string_matches_regex",
    "string_contains_regex",
    "number_equals",
    "number_greater_than",
    "number_less_than",
    "date_equals",
    "date_greater_than",
    "date_less_than",
};


cmp_rule_op_e
cmp_rule_op(const char *name)
{
    size_t  i;

    for (i = 0; i < CMP_RULE_UNKNOWN; i++) {
        if (strcmp(cmp_rule_ops[i], name) == 0) {
            return (cmp_rule_op_e) i;
        }
    }

    return CMP_RULE_UNKNOWN;
}


const char *
cmp_rule_op_name(cmp_rule_op_e op)
{
    return (op < CMP_RULE_UNKNOWN) ? cmp_rule_ops[op] : "unknown";
}


/* decimal numbers only: no hex, no "nan", no "inf" (strtod takes them) */
int
cmp_rule_parse_number(const char *s, size_t len, double *v)
{
    char    buf[64], *end;
    size_t  i;

    while (len && isspace((unsigned char) *s)) {
        s++;
        len--;
    }

    while (len && isspace((unsigned char) s[len - 1])) {
        len--;
    }

    if (len == 0 || len >= sizeof(buf)) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!(isdigit((unsigned char) s[i]) || s[i] == '-' || s[i] == '+'
              || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
        {
            return 0;
        }
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    *v = strtod(buf, &end);

    return end == buf + len && isfinite(*v);
}


/*
 * "YYYY-MM-DD" or RFC 3339.  A date-time also gives the date as written
 * (in its own offset): the customer's calendar day is what a rule about
 * a birthday or an expiry date means.
 */
int
cmp_rule_parse_date(const char *s, size_t len, int64_t *time, int64_t *day,
    int *date_only)
{
    char     buf[64];
    int64_t  t;

    while (len && isspace((unsigned char) *s)) {
        s++;
        len--;
    }

    while (len && isspace((unsigned char) s[len - 1])) {
        len--;
    }

    if (len < 10 || len >= sizeof(buf)) {
        return 0;
    }

    memcpy(buf, s, 10);
    memcpy(buf + 10, "T00:00:00Z", sizeof("T00:00:00Z"));

    if (!cmp_time_parse(buf, &t)) {
        return 0;
    }

    *day = (t >= 0) ? t / 86400 : -((-t + 86399) / 86400);

    if (len == 10) {
        *time = t;
        *date_only = 1;
        return 1;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    if (!cmp_time_parse(buf, time)) {
        return 0;
    }

    *date_only = 0;

    return 1;
}


/*
 * Simple case folding of the scripts our operators' customers write in:
 * ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic and fullwidth Latin.
 * CJK has no case.  Every mapping keeps the UTF-8 length.
 */
static uint32_t
cmp_fold_cp(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z') {
        return cp + 0x20;
    }

    if (cp < 0xc0) {
        return cp;
    }

    if (cp <= 0xde && cp != 0xd7) {
        return cp + 0x20;
    }

    if ((cp >= 0x100 && cp <= 0x12f) || (cp >= 0x132 && cp <= 0x137)
        || (cp >= 0x14a && cp <= 0x177))
    {
        return cp | 1;
    }

    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e)) {
        return (cp & 1) ? cp + 1 : cp;
    }

    if (cp == 0x178) {
        return 0xff;
    }

    if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) {
        return cp + 0x20;
    }

    if (cp >= 0x410 && cp <= 0x42f) {
        return cp + 0x20;
    }

    if (cp >= 0x400 && cp <= 0x40f) {
        return cp + 0x50;
    }

    if (cp >= 0xff21 && cp <= 0xff3a) {
        return cp + 0x20;
    }

    return cp;
}


/* malloc()ed and NUL-terminated; bytes that are not UTF-8 are kept */
char *
cmp_rule_fold(const char *s, size_t len, size_t *out_len)
{
    char           *out;
    size_t          i, n, k;
    uint32_t        cp;
    unsigned char   c, *o;

    out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }

    o = (unsigned char *) out;

    for (i = 0; i < len; i += n) {
        c = (unsigned char) s[i];

        if (c < 0x80) {
            *o++ = (unsigned char) cmp_fold_cp(c);
            n = 1;
            continue;
        }

        if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;

        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;

        } else {
            *o++ = c;
            n = 1;
            continue;
        }

        if (i + n > len) {
            *o++ = c;
            n = 1;
            continue;
        }

        for (k = 1; k < n; k++) {
            if (((unsigned char) s[i + k] & 0xc0) != 0x80) {
                break;
            }

            cp = (cp << 6) | ((unsigned char) s[i + k] & 0x3f);
        }

        if (k < n) {
            *o++ = c;
            n = 1;
            continue;
        }

        cp = cmp_fold_cp(cp);

        if (n == 2) {
            *o++ = (unsigned char) (0xc0 | (cp >> 6));
            *o++ = (unsigned char) (0x80 | (cp & 0x3f));

        } else {
            *o++ = (unsigned char) (0xe0 | (cp >> 12));
            *o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
            *o++ = (unsigned char) (0x80 | (cp & 0x3f));
        }
    }

    *o = '\0';
    *out_len = (size_t) ((char *) o - out);

    return out;
}


/*
 * A counted repetition is a loop PCRE2 runs in full for every start
 * position it tries: counts are bounded so that a rule stays cheap.
 */
static int
cmp_rule_regex_counts(const char *s, size_t len, char *err, size_t err_len)
{
    size_t  i, n;

    for (i = 0; i < len; i++) {
        if (s[i] == '\\') {
            i++;
            continue;
        }

        if (s[i] != '{' && s[i] != ',') {
            continue;
        }

        n = 0;

        while (i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9') {
            if (n <= CMP_RULE_REGEX_COUNT_MAX) {
                n = n * 10 + (s[i + 1] - '0');
            }

            i++;
        }

        if (n > CMP_RULE_REGEX_COUNT_MAX && i + 1 < len
            && (s[i + 1] == '}' || s[i + 1] == ','))
        {
            snprintf(err, err_len, "regex repetition counts above %d are "
                     "not supported", CMP_RULE_REGEX_COUNT_MAX);
            return -1;
        }
    }

    return 0;
}


static int
cmp_rule_regex_compile(cmp_rule_t *rule, const char *s, size_t len,
    char *err, size_t err_len)
{
    int           rc;
    size_t        offset;
    uint32_t      flags, refs;
    cmp_regex_t  *re;
    PCRE2_UCHAR   msg[160];

    if (cmp_rule_regex_counts(s, len, err, err_len) != 0) {
        return -1;
    }

    re = calloc(1, sizeof(cmp_regex_t));
    if (re == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }

    rule->regex = re;

    /* UTF-8 patterns; a subject that is not UTF-8 simply does not match */
    flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;

    if (rule->ignore_case) {
        flags |= PCRE2_CASELESS;
    }

    re->code = pcre2_compile((PCRE2_SPTR) s, len, flags, &rc, &offset, NULL);

    if (re->code == NULL) {
        if (rc == PCRE2_ERROR_QUANTIFIER_INVALID) {
            snprintf(err, err_len, "regex repeats a quantifier, or "
                     "quantifies nothing (at character %zu)", offset + 1);

        } else if (rc == PCRE2_ERROR_PATTERN_TOO_LARGE) {
            snprintf(err, err_len, "regex is too complex (it compiles "
                     "too large)");

        } else {
            pcre2_get_error_message(rc, msg, sizeof(msg));
            snprintf(err, err_len, "regex does not compile: %s", msg);
        }

        goto failed;
    }

    /* a back-reference makes a match's cost grow with the subject */
    if (pcre2_pattern_info(re->code, PCRE2_INFO_BACKREFMAX, &refs) == 0
        && refs > 0)
    {
        snprintf(err, err_len, "back-references (\\%u) are not supported",
                 (unsigned) refs);
        goto failed;
    }

    re->match = pcre2_match_data_create_from_pattern(re->code, NULL);
    re->limits = pcre2_match_context_create(NULL);

    if (re->match == NULL || re->limits == NULL) {
        snprintf(err, err_len, "out of memory");
        goto failed;
    }

    pcre2_set_match_limit(re->limits, CMP_RULE_MATCH_LIMIT);
    pcre2_set_depth_limit(re->limits, CMP_RULE_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->limits, CMP_RULE_HEAP_LIMIT);

    return 0;

failed:

    /* a rule that did not compile matches nothing */
    pcre2_match_context_free(re->limits);
    pcre2_match_data_free(re->match);
    pcre2_code_free(re->code);
    free(re);
    rule->regex = NULL;

    return -1;
}


/*
 * A match that hits a limit is no match: the rule's other branches and
 * the flow go on, and the cost of one reply stays bounded.
 */
static int
cmp_rule_regex_match(const cmp_rule_t *rule, const char *s, size_t len)
{
    int           rc;
    uint32_t      options;
    cmp_regex_t  *re;

    re = rule->regex;

    /* string_matches_regex is about the whole string */
    options = (rule->op == CMP_RULE_STRING_MATCHES_REGEX)
              ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0;

    rc = pcre2_match(re->code, (PCRE2_SPTR) s, len, 0, options, re->match,
                     re->limits);

    return rc >= 0;
}


int
cmp_rule_compile(cmp_rule_t *rule, const json_t *json, char *err,
    size_t err_len)
{
    int            date_only;
    char          *folded;
    size_t         len;
    json_t        *v;
    const char    *s;

    memset(rule, 0, sizeof(cmp_rule_t));
    rule->op = CMP_RULE_UNKNOWN;

    if (!json_is_object(json)) {
        snprintf(err, err_len, "a rule must be an object");
        return -1;
    }

    v = json_object_get(json, "variable");

    if (!json_is_string(v) || json_string_length(v) == 0
        || json_string_length(v) > 256)
    {
        snprintf(err, err_len, "variable must be a variable name");
        return -1;
    }

    rule->variable = json_string_value(v);

    v = json_object_get(json, "op");

    if (!json_is_string(v)) {
        snprintf(err, err_len, "op is required");
        return -1;
    }

    rule->op = cmp_rule_op(json_string_value(v));

    if (rule->op == CMP_RULE_UNKNOWN) {
        snprintf(err, err_len, "op \"%.64s\" is not an operator",
                 json_string_value(v));
        return -1;
    }

    v = json_object_get(json, "ignore_case");

    if (v != NULL && !json_is_boolean(v)) {
        snprintf(err, err_len, "ignore_case must be true or false");
        return -1;
    }

    rule->ignore_case = json_is_true(v);

    v = json_object_get(json, "value");

    switch (rule->op) {

    case CMP_RULE_STRING_IS_BLANK:
    case CMP_RULE_STRING_IS_NOT_BLANK:
        if (v != NULL && !json_is_null(v)) {
            snprintf(err, err_len, "%s takes no value",
                     cmp_rule_op_name(rule->op));
            return -1;
        }

        return 0;

    case CMP_RULE_NUMBER_EQUALS:
    case CMP_RULE_NUMBER_GREATER_THAN:
    case CMP_RULE_NUMBER_LESS_THAN:
        if (json_is_number(v)) {
            rule->number = json_number_value(v);
            return 0;
        }

        if (json_is_string(v)
            && cmp_rule_parse_number(json_string_value(v),
                                     json_string_length(v), &rule->number))
        {
            return 0;
        }

        snprintf(err, err_len, "%s needs a number as value",
                 cmp_rule_op_name(rule->op));
        return -1;

    case CMP_RULE_DATE_EQUALS:
    case CMP_RULE_DATE_GREATER_THAN:
    case CMP_RULE_DATE_LESS_THAN:
        if (json_is_string(v)
            && cmp_rule_parse_date(json_string_value(v),
                                   json_string_length(v), &rule->time,
                                   &rule->day, &date_only))
        {
            rule->date_only = date_only;
            return 0;
        }

        snprintf(err, err_len, "%s needs a date as value (YYYY-MM-DD or "
                 "RFC 3339)", cmp_rule_op_name(rule->op));
        return -1;

    default:
        break;
    }

    if (!json_is_string(v)) {
        snprintf(err, err_len, "%s needs a string as value",
                 cmp_rule_op_name(rule->op));
        return -1;
    }

    s = json_string_value(v);
    len = json_string_length(v);

    if (rule->op == CMP_RULE_STRING_MATCHES_REGEX
        || rule->op == CMP_RULE_STRING_CONTAINS_REGEX)
    {
        if (len == 0 || len > CMP_RULE_REGEX_MAX) {
            snprintf(err, err_len, "regex must be 1 to %d bytes",
                     CMP_RULE_REGEX_MAX);
            return -1;
        }

        if (strlen(s) != len) {
            snprintf(err, err_len, "regex must not contain NUL");
            return -1;
        }

        return cmp_rule_regex_compile(rule, s, len, err, err_len);
    }

    if (rule->ignore_case) {
        folded = cmp_rule_fold(s, len, &rule->value_len);

    } else {
        folded = malloc(len + 1);

        if (folded != NULL) {
            memcpy(folded, s, len);
            folded[len] = '\0';
            rule->value_len = len;
        }
    }

    if (folded == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }

    rule->value = folded;

    return 0;
}


void
cmp_rule_free(cmp_rule_t *rule)
{
    if (rule->regex != NULL) {
        pcre2_match_context_free(rule->regex->limits);
        pcre2_match_data_free(rule->regex->match);
        pcre2_code_free(rule->regex->code);
        free(rule->regex);
        rule->regex = NULL;
    }

    free(rule->value);
    rule->value = NULL;
}


/* ASCII whitespace, NO-BREAK SPACE, the U+2000 spaces, IDEOGRAPHIC SPACE */
static int
cmp_rule_blank(const char *s, size_t len)
{
    size_t          i;
    unsigned char  *p;

    p = (unsigned char *) s;

    for (i = 0; i < len; i++) {
        if (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')) {
            continue;
        }

        if (i + 1 < len && p[i] == 0xc2 && p[i + 1] == 0xa0) {
            i++;
            continue;
        }

        if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x80
            && p[i + 2] <= 0x8b)
        {
            i += 2;
            continue;
        }

        if (i + 2 < len && p[i] == 0xe3 && p[i + 1] == 0x80
            && p[i + 2] == 0x80)
        {
            i += 2;
            continue;
        }

        return 0;
    }

    return 1;
}


static int
cmp_rule_compare_text(const cmp_rule_t *rule, const char *actual,
    size_t len)
{
    int          rc;
    char        *folded;
    size_t       n;
    const char  *a;

    folded = NULL;
    a = actual;
    n = len;

    if (rule->ignore_case) {
        folded = cmp_rule_fold(actual, len, &n);
        if (folded == NULL) {
            return 0;
        }

        a = folded;
    }

    switch (rule->op) {

    case CMP_RULE_STRING_EQUALS:
        rc = (n == rule->value_len && memcmp(a, rule->value, n) == 0);
        break;

    case CMP_RULE_STRING_CONTAINS:
        rc = (rule->value_len == 0
              || memmem(a, n, rule->value, rule->value_len) != NULL);
        break;

    case CMP_RULE_STRING_STARTS_WITH:
        rc = (n >= rule->value_len
              && memcmp(a, rule->value, rule->value_len) == 0);
        break;

    default:
        rc = 0;
        break;
    }

    free(folded);

    return rc;
}


/*
 * A variable that is not set is the empty string to string operators and
 * matches no number or date operator.
 */
int
cmp_rule_match(const cmp_rule_t *rule, const char *actual, size_t len)
{
    int          date_only;
    double       number;
    int64_t      time, day, a, b;

    if (actual == NULL) {
        actual = "";
        len = 0;

        if (rule->op >= CMP_RULE_NUMBER_EQUALS) {
            return 0;
        }
    }

    switch (rule->op) {

    case CMP_RULE_STRING_EQUALS:
    case CMP_RULE_STRING_CONTAINS:
    case CMP_RULE_STRING_STARTS_WITH:
        return cmp_rule_compare_text(rule, actual, len);

    case CMP_RULE_STRING_IS_BLANK:
        return cmp_rule_blank(actual, len);

    case CMP_RULE_STRING_IS_NOT_BLANK:
        return !cmp_rule_blank(actual, len);

    case CMP_RULE_STRING_MATCHES_REGEX:
    case CMP_RULE_STRING_CONTAINS_REGEX:
        if (rule->regex == NULL) {
            return 0;
        }

        return cmp_rule_regex_match(rule, actual, len);

    case CMP_RULE_NUMBER_EQUALS:
    case CMP_RULE_NUMBER_GREATER_THAN:
    case CMP_RULE_NUMBER_LESS_THAN:
        if (!cmp_rule_parse_number(actual, len, &number)) {
            return 0;
        }

        if (rule->op == CMP_RULE_NUMBER_EQUALS) {
            return number == rule->number;
        }

        if (rule->op == CMP_RULE_NUMBER_GREATER_THAN) {
            return number > rule->number;
        }

        return number < rule->number;

    case CMP_RULE_DATE_EQUALS:
    case CMP_RULE_DATE_GREATER_THAN:
    case CMP_RULE_DATE_LESS_THAN:
        if (!cmp_rule_parse_date(actual, len, &time, &day, &date_only)) {
            return 0;
        }

        /* a bare date on either side compares calendar days */
        if (date_only || rule->date_only) {
            a = day;
            b = rule->day;

        } else {
            a = time;
            b = rule->time;
        }

        if (rule->op == CMP_RULE_DATE_EQUALS) {
            return a == b;
        }

        if (rule->op == CMP_RULE_DATE_GREATER_THAN) {
            return a > b;
        }

        return a < b;

    default:
        return 0;
    }
}
