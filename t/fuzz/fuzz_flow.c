
/*
 * libFuzzer target: any bytes through the flow parser, the shape check,
 * the validator, preview, DOT, templates and rules, as the API feeds them.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_flow.h"
#include "cmp_json.h"
#include "cmp_rule.h"
#include "cmp_template.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static int fuzz_channel_type(void *data, const char *id, size_t len,
    char *type, size_t size);
static int fuzz_flow_status(void *data, const char *id, size_t len,
    int *status);
static void fuzz_strings(json_t *v, const cmp_template_ctx_t *ctx,
    int depth);


/* whatever the id, an answer: the lookups are part of what is fuzzed */
static int
fuzz_channel_type(void *data, const char *id, size_t len, char *type,
    size_t size)
{
    (void) data;

    if (len == 0) {
        return CMP_FLOW_MISSING;
    }

    snprintf(type, size, "%s", (id[0] & 1) ? "whatsapp" : "viber");

    return CMP_FLOW_FOUND;
}


static int
fuzz_flow_status(void *data, const char *id, size_t len, int *status)
{
    (void) data;

    if (len == 0) {
        return CMP_FLOW_MISSING;
    }

    *status = (id[0] & 1) ? CMP_FLOW_PUBLISHED : CMP_FLOW_UNPUBLISHED;

    return CMP_FLOW_FOUND;
}


/* every string in the document is also a template and a rule operand */
static void
fuzz_strings(json_t *v, const cmp_template_ctx_t *ctx, int depth)
{
    char         err[256], *out;
    size_t       i, len;
    json_t      *e;
    cmp_rule_t   rule;
    const char  *key;

    if (depth > 8) {
        return;
    }

    if (json_is_string(v)) {
        (void) cmp_template_check(json_string_value(v),
                                  json_string_length(v), err, sizeof(err));

        out = cmp_template_render(json_string_value(v),
                                  json_string_length(v), ctx, &len);
        free(out);
        return;
    }

    if (json_is_object(v)) {
        if (cmp_rule_compile(&rule, v, err, sizeof(err)) == 0) {
            (void) cmp_rule_match(&rule, "2026-01-01", 10);
            (void) cmp_rule_match(&rule, "Yes 12", 6);
            /* backtracking patterns meet a subject that feeds them */
            (void) cmp_rule_match(&rule, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                  "aaaaaaaaaaxxxxxxxxxxxxxxxxxxxxb", 61);
            (void) cmp_rule_match(&rule, NULL, 0);
        }

        cmp_rule_free(&rule);

        json_object_foreach(v, key, e) {
            fuzz_strings(e, ctx, depth + 1);
        }

        return;
    }

    json_array_foreach(v, i, e) {
        fuzz_strings(e, ctx, depth + 1);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                 err[256], field[256], *dot;
    size_t               len;
    json_t              *root, *def, *errors, *preview, *channels;
    cmp_flow_t           flow;
    cmp_flow_lookup_t    lookup;
    cmp_template_ctx_t   ctx;

    root = cmp_json_parse((const char *) data, size, err, sizeof(err));
    if (root == NULL) {
        return 0;
    }

    /* a flow as created ({"definition": ...}) or a bare definition */
    def = json_object_get(root, "definition");
    if (def == NULL) {
        def = root;
    }

    (void) cmp_flow_check_shape(def, field, sizeof(field), err,
                                sizeof(err));

    if (cmp_flow_load(&flow, def) == 0) {
        memset(&lookup, 0, sizeof(lookup));
        lookup.channel_type = fuzz_channel_type;
        lookup.flow_status = fuzz_flow_status;
        lookup.self_id = "self";

        errors = json_array();
        (void) cmp_flow_validate(&flow, &lookup, errors);
        json_decref(errors);

        preview = cmp_flow_preview(&flow);
        json_decref(preview);

        dot = cmp_flow_dot(&flow, "fuzz", &len);
        free(dot);

        channels = cmp_flow_channels(&flow);
        json_decref(channels);

        cmp_flow_free(&flow);
    }

    memset(&ctx, 0, sizeof(ctx));
    ctx.contact = json_object_get(root, "contact");
    ctx.vars = json_object_get(root, "vars");
    ctx.campaign_id = "cp";
    ctx.run = 1;

    fuzz_strings(root, &ctx, 0);

    json_decref(root);

    return 0;
}
