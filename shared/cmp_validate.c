
/*
 * Field rules shared by every resource.  Lengths are counted in code
 * points; jansson has already refused invalid UTF-8.
 */


#include <stdio.h>
#include <string.h>

#include "cmp_validate.h"


static void cmp_field_path(char *buf, size_t size, const char *path,
    const char *name);


static void
cmp_field_path(char *buf, size_t size, const char *path, const char *name)
{
    int  n;

    if (path != NULL && path[0] != '\0') {
        n = snprintf(buf, size, "%s.%s", path, name);

    } else {
        n = snprintf(buf, size, "%s", name);
    }

    /* a long non-ASCII key is cut between characters, not inside one */
    cmp_utf8_repair(buf, strlen(buf), n >= (int) size);
}


int
cmp_check_object(cmp_op_t *op, json_t *obj, const char *path)
{
    if (!json_is_object(obj)) {
        return cmp_op_fail(op, 422, "validation_failed",
                           path[0] ? path : NULL,
                           "%s must be a JSON object",
                           path[0] ? path : "the request body");
    }

    return CMP_OK;
}


/* a typo must never be silently ignored: unknown names are refused */
int
cmp_check_fields(cmp_op_t *op, json_t *obj, const char *path,
    const char *const *allowed)
{
    char               field[128];
    json_t            *v;
    const char        *key;
    const char *const *a;

    json_object_foreach(obj, key, v) {
        for (a = allowed; *a != NULL; a++) {
            if (strcmp(*a, key) == 0) {
                break;
            }
        }

        if (*a == NULL) {
            cmp_field_path(field, sizeof(field), path, key);
            return cmp_op_fail(op, 422, "unknown_field", field,
                               "unknown field \"%s\"", field);
        }
    }

    return CMP_OK;
}


int
cmp_check_string(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, size_t min, size_t max, int required,
    const char **value)
{
    char     field[128];
    size_t   n;
    json_t  *v;

    *value = NULL;
    v = json_object_get(obj, name);
    n = 0;

    if (v == NULL) {
        if (!required) {
            return CMP_OK;
        }

    } else if (json_is_string(v)) {
        n = cmp_utf8_length(json_string_value(v), json_string_length(v));

        if (n >= min && n <= max) {
            *value = json_string_value(v);
            return CMP_OK;
        }
    }

    /* the field's full name is only needed to say what is wrong */
    cmp_field_path(field, sizeof(field), path, name);

    if (v == NULL) {
        return cmp_op_fail(op, 422, "validation_failed", field,
                           "%s is required", field);
    }

    if (!json_is_string(v)) {
        return cmp_op_fail(op, 422, "validation_failed", field,
                           "%s must be a string", field);
    }

    if (min == max) {
        return cmp_op_fail(op, 422, "validation_failed", field,
                           "%s must be %zu characters", field, min);
    }

    if (min == 0) {
        return cmp_op_fail(op, 422, "validation_failed", field,
                           "%s must be at most %zu characters", field, max);
    }

    return cmp_op_fail(op, 422, "validation_failed", field,
                       "%s must be %zu to %zu characters", field, min, max);
}


int
cmp_check_integer(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, json_int_t min, json_int_t max, int required,
    json_int_t *value)
{
    char     field[128];
    json_t  *v;

    cmp_field_path(field, sizeof(field), path, name);

    v = json_object_get(obj, name);

    if (v == NULL) {
        if (required) {
            return cmp_op_fail(op, 422, "validation_failed", field,
                               "%s is required", field);
        }

        return CMP_OK;
    }

    if (!json_is_integer(v)
        || json_integer_value(v) < min || json_integer_value(v) > max)
    {
        return cmp_op_fail(op, 422, "validation_failed", field,
                           "%s must be an integer from %lld to %lld",
                           field, (long long) min, (long long) max);
    }

    *value = json_integer_value(v);

    return CMP_OK;
}


int
cmp_check_enum(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, const char *const *values, int required,
    const char **value)
{
    char               field[128], list[256];
    size_t             n;
    const char        *s;
    const char *const *p;

    if (cmp_check_string(op, obj, path, name, 1, 64, required, &s)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    *value = s;

    if (s == NULL) {
        return CMP_OK;
    }

    list[0] = '\0';
    n = 0;

    for (p = values; *p != NULL; p++) {
        if (strcmp(*p, s) == 0) {
            return CMP_OK;
        }

        n += snprintf(list + n, sizeof(list) - n, "%s%s",
                      n ? ", " : "", *p);
        if (n >= sizeof(list)) {
            n = sizeof(list) - 1;
        }
    }

    cmp_field_path(field, sizeof(field), path, name);

    return cmp_op_fail(op, 422, "validation_failed", field,
                       "%s must be one of: %s", field, list);
}


int
cmp_check_url(cmp_op_t *op, json_t *obj, const char *path, const char *name)
{
    char        field[128];
    size_t      n;
    const char *s;

    if (cmp_check_string(op, obj, path, name, 1, 2048, CMP_OPTIONAL, &s)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (s == NULL) {
        return CMP_OK;
    }

    n = (strncmp(s, "http://", 7) == 0) ? 7
        : (strncmp(s, "https://", 8) == 0) ? 8 : 0;

    /* a host, and nothing a request line or header could be split by */
    if (n > 0 && s[n] != '\0' && s[n] != '/'
        && strcspn(s, "?# \t\r\n") == strlen(s)
        && cmp_check_printable(s))
    {
        return CMP_OK;
    }

    cmp_field_path(field, sizeof(field), path, name);

    return cmp_op_fail(op, 422, "validation_failed", field,
                       "%s must be an http:// or https:// URL with a host, "
                       "without a query, a fragment, blanks or control "
                       "characters", field);
}


/* no control characters (CR, LF, NUL, ...): they would split a header */
int
cmp_check_printable(const char *s)
{
    for ( /* void */ ; *s != '\0'; s++) {
        if ((unsigned char) *s < 0x20 || (unsigned char) *s == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* a string of 1 to max characters that is safe in an HTTP header */
int
cmp_check_token(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, size_t max, const char **out)
{
    char  field[128];

    if (cmp_check_string(op, obj, path, name, 1, max, CMP_OPTIONAL, out)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (*out == NULL || cmp_check_printable(*out)) {
        return CMP_OK;
    }

    cmp_field_path(field, sizeof(field), path, name);

    return cmp_op_fail(op, 422, "validation_failed", field,
                       "%s must not contain control characters", field);
}


/* digits only: a Graph API id, which goes into the request's path */
int
cmp_check_digits(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, size_t max, const char **out)
{
    char  field[128];

    if (cmp_check_string(op, obj, path, name, 1, max, CMP_OPTIONAL, out)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (*out == NULL || strspn(*out, "0123456789") == strlen(*out)) {
        return CMP_OK;
    }

    cmp_field_path(field, sizeof(field), path, name);

    return cmp_op_fail(op, 422, "validation_failed", field,
                       "%s must be digits only", field);
}


int
cmp_valid_id(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > CMP_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


int
cmp_check_id(cmp_op_t *op, json_t *obj)
{
    json_t  *v;

    v = json_object_get(obj, "id");

    if (v == NULL) {
        return CMP_OK;
    }

    if (!json_is_string(v)
        || !cmp_valid_id(json_string_value(v), json_string_length(v)))
    {
        return cmp_op_fail(op, 422, "validation_failed", "id",
                           "id must be 1 to 64 characters of "
                           "[A-Za-z0-9_-]");
    }

    return CMP_OK;
}
