
/*
 * Field rules shared by every resource: each failure fills the op with a
 * 422 naming the field, so the API answers exactly what was wrong.
 */


#ifndef _CMP_VALIDATE_H_INCLUDED_
#define _CMP_VALIDATE_H_INCLUDED_


#include "cmp_op.h"


#define CMP_REQUIRED   1
#define CMP_OPTIONAL   0


int cmp_check_object(cmp_op_t *op, json_t *obj, const char *path);
int cmp_check_fields(cmp_op_t *op, json_t *obj, const char *path,
    const char *const *allowed);
int cmp_check_string(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, size_t min, size_t max, int required,
    const char **value);
int cmp_check_integer(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, json_int_t min, json_int_t max, int required,
    json_int_t *value);
int cmp_check_enum(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, const char *const *values, int required,
    const char **value);
int cmp_check_url(cmp_op_t *op, json_t *obj, const char *path,
    const char *name);
int cmp_check_printable(const char *s);
int cmp_check_token(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, size_t max, const char **out);
int cmp_check_digits(cmp_op_t *op, json_t *obj, const char *path,
    const char *name, size_t max, const char **out);
int cmp_check_id(cmp_op_t *op, json_t *obj);
int cmp_valid_id(const char *s, size_t len);


#endif /* _CMP_VALIDATE_H_INCLUDED_ */
