
/*
 * Templates in flow messages ("Hi {{contact.name}}"): the syntax check run
 * on publish and the rendering campaignd does for every message it sends.
 */


#ifndef _CMP_TEMPLATE_H_INCLUDED_
#define _CMP_TEMPLATE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "cmp_text.h"


/* the facts a template may name; any of them may be NULL or 0 */
typedef struct {
    const json_t  *contact;     /* the contact record (API form) */
    const json_t  *vars;        /* the instance's variables */
    const char    *campaign_id;
    const char    *campaign_name;
    const char    *group_id;
    uint64_t       run;         /* run number; 0: not a campaign run */
} cmp_template_ctx_t;


int cmp_template_check(const char *s, size_t len, char *err,
    size_t err_len);
char *cmp_template_render(const char *s, size_t len,
    const cmp_template_ctx_t *ctx, size_t *out_len);

void cmp_text_json_value(cmp_text_t *t, const json_t *v);


#endif /* _CMP_TEMPLATE_H_INCLUDED_ */
