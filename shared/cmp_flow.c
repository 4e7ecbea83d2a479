
/*
 * Flow definitions: one table of node types and their fields drives the
 * shape check (on save) and the graph; validation (on publish) lists every
 * problem with its node, so an operator fixes a flow in one round.
 */


#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_flow.h"
#include "cmp_rule.h"
#include "cmp_template.h"
#include "cmp_json.h"


#define CMP_FLOW_VALUE_MAX        4096     /* a set_variable's value */
#define CMP_FLOW_BRANCHES_MAX     50
#define CMP_FLOW_RULES_MAX        50
#define CMP_FLOW_LABEL_MAX        60


typedef enum {
    CMP_F_STRING = 0,
    CMP_F_INTEGER,
    CMP_F_BOOLEAN,
    CMP_F_TARGET,          /* a node id, or null for none */
    CMP_F_SCALAR,          /* string, number or null */
    CMP_F_OBJECT,          /* with sub: those fields; else string values */
    CMP_F_ARRAY            /* with sub: objects of those; else strings */
} cmp_field_kind_e;


typedef struct cmp_field_s  cmp_field_t;

struct cmp_field_s {
    const char          *name;
    cmp_field_kind_e     kind;
    const cmp_field_t   *sub;
};


typedef struct {
    const char          *name;
    cmp_node_type_e      type;
    const cmp_field_t   *fields;
    const char          *shape;   /* for DOT */
} cmp_node_def_t;


typedef struct {
    const cmp_flow_t        *flow;
    cmp_flow_lookup_t       *lookup;
    json_t                  *errors;
    const cmp_flow_node_t   *node;
    size_t                   index;
    int                      count;
    int                      failed;
} cmp_flow_check_t;


static int cmp_flow_shape_object(const json_t *obj, const cmp_field_t *f1,
    const cmp_field_t *f2, const cmp_provider_field_t *f3, const char *path,
    char *field, size_t field_len, char *err, size_t err_len);
static int cmp_flow_shape_value(const json_t *v, const cmp_field_t *f,
    const char *path, char *field, size_t field_len, char *err,
    size_t err_len);
static const cmp_node_def_t *cmp_flow_def(const char *name);
static size_t cmp_flow_count_edges(const json_t *node,
    const cmp_node_def_t *def);
static cmp_flow_edge_t *cmp_flow_add_edge(cmp_flow_edge_t *e,
    const json_t *target, const char *field, const char *label);
static int cmp_flow_compare(const void *a, const void *b, void *data);

static void cmp_flow_error(cmp_flow_check_t *c, const char *fmt, ...);
static const char *cmp_flow_string(cmp_flow_check_t *c, const json_t *obj,
    const char *path, const char *name, size_t min, size_t max,
    int required);
static int cmp_flow_integer(cmp_flow_check_t *c, const json_t *obj,
    const char *name, json_int_t min, json_int_t max, int required);
static void cmp_flow_template(cmp_flow_check_t *c, const char *path,
    const char *s);
static int cmp_flow_var_name(const char *s);
static void cmp_flow_check_ids(cmp_flow_check_t *c);
static void cmp_flow_check_node(cmp_flow_check_t *c);
static void cmp_flow_check_send(cmp_flow_check_t *c, const json_t *n);
static void cmp_flow_check_node_fields(cmp_flow_check_t *c,
    const json_t *n);
static void cmp_flow_no_send(cmp_flow_check_t *c);
static void cmp_flow_check_condition(cmp_flow_check_t *c, const json_t *n);
static void cmp_flow_check_http(cmp_flow_check_t *c, const json_t *n);
static void cmp_flow_check_forward(cmp_flow_check_t *c, const json_t *n);
static void cmp_flow_check_reach(cmp_flow_check_t *c);
static void cmp_flow_check_cycles(cmp_flow_check_t *c);
static int cmp_flow_index_order(const void *a, const void *b);
static void cmp_flow_report_cycle(cmp_flow_check_t *c, const size_t *scc,
    size_t n);
static void cmp_flow_summary(const cmp_flow_node_t *node, cmp_text_t *t);
static void cmp_flow_dot_string(cmp_text_t *t, const char *s, size_t len);


static const cmp_field_t  cmp_template_fields[] = {
    { "name", CMP_F_STRING, NULL },
    { "language", CMP_F_STRING, NULL },
    { "body_params", CMP_F_ARRAY, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_message_fields[] = {
    { "type", CMP_F_STRING, NULL },
    { "text", CMP_F_STRING, NULL },
    { "template", CMP_F_OBJECT, cmp_template_fields },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_rule_fields[] = {
    { "variable", CMP_F_STRING, NULL },
    { "op", CMP_F_STRING, NULL },
    { "value", CMP_F_SCALAR, NULL },
    { "ignore_case", CMP_F_BOOLEAN, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_branch_fields[] = {
    { "match", CMP_F_STRING, NULL },
    { "rules", CMP_F_ARRAY, cmp_rule_fields },
    { "next", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_node_common[] = {
    { "id", CMP_F_STRING, NULL },
    { "type", CMP_F_STRING, NULL },
    { "label", CMP_F_STRING, NULL },
    { NULL, 0, NULL }
};

/* and the provider's own node_fields, strings */
static const cmp_field_t  cmp_send_fields[] = {
    { "channel_id", CMP_F_STRING, NULL },
    { "message", CMP_F_OBJECT, cmp_message_fields },
    { "next", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_wait_fields[] = {
    { "timeout_seconds", CMP_F_INTEGER, NULL },
    { "save_as", CMP_F_STRING, NULL },
    { "replied", CMP_F_TARGET, NULL },
    { "timeout", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_delay_fields[] = {
    { "seconds", CMP_F_INTEGER, NULL },
    { "next", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_condition_fields[] = {
    { "branches", CMP_F_ARRAY, cmp_branch_fields },
    { "else", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_set_variable_fields[] = {
    { "name", CMP_F_STRING, NULL },
    { "value", CMP_F_STRING, NULL },
    { "next", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_jump_fields[] = {
    { "target", CMP_F_TARGET, NULL },
    { "max_jumps", CMP_F_INTEGER, NULL },
    { "next", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_http_fields[] = {
    { "method", CMP_F_STRING, NULL },
    { "url", CMP_F_STRING, NULL },
    { "headers", CMP_F_OBJECT, NULL },
    { "body", CMP_F_STRING, NULL },
    { "timeout_seconds", CMP_F_INTEGER, NULL },
    { "save", CMP_F_OBJECT, NULL },
    { "next", CMP_F_TARGET, NULL },
    { "failure", CMP_F_TARGET, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_forward_fields[] = {
    { "flow_id", CMP_F_STRING, NULL },
    { NULL, 0, NULL }
};

static const cmp_field_t  cmp_end_fields[] = {
    { NULL, 0, NULL }
};


/* by cmp_node_type_e; a send node is named by its provider's node */
static const cmp_node_def_t  cmp_node_defs[] = {
    { NULL, CMP_NODE_SEND, cmp_send_fields, "box" },
    { "wait_for_reply", CMP_NODE_WAIT_FOR_REPLY, cmp_wait_fields,
      "parallelogram" },
    { "delay", CMP_NODE_DELAY, cmp_delay_fields, "parallelogram" },
    { "condition", CMP_NODE_CONDITION, cmp_condition_fields, "diamond" },
    { "set_variable", CMP_NODE_SET_VARIABLE, cmp_set_variable_fields,
      "note" },
    { "jump", CMP_NODE_JUMP, cmp_jump_fields, "cds" },
    { "http_request", CMP_NODE_HTTP_REQUEST, cmp_http_fields, "component" },
    { "forward_to_flow", CMP_NODE_FORWARD_TO_FLOW, cmp_forward_fields,
      "house" },
    { "end", CMP_NODE_END, cmp_end_fields, "doublecircle" },
};


static const char *const  cmp_field_kinds[] = {
    "a string", "an integer", "true or false", "a node id or null",
    "a string or a number", "an object", "an array"
};


const char *
cmp_flow_type_name(const cmp_flow_node_t *node)
{
    if (node->type == CMP_NODE_SEND) {
        return node->provider->node;
    }

    return (node->type < CMP_NODE_UNKNOWN) ? cmp_node_defs[node->type].name
                                           : "unknown";
}


static const cmp_node_def_t *
cmp_flow_def(const char *name)
{
    size_t  i;

    if (name == NULL) {
        return NULL;
    }

    if (cmp_provider_by_node(name) != NULL) {
        return &cmp_node_defs[CMP_NODE_SEND];
    }

    for (i = 1; i < sizeof(cmp_node_defs) / sizeof(cmp_node_defs[0]); i++) {
        if (strcmp(cmp_node_defs[i].name, name) == 0) {
            return &cmp_node_defs[i];
        }
    }

    return NULL;
}


/*
 * On save only the shape is checked: the right JSON type in every field
 * and no unknown field, so a draft may still name nodes it lacks.
 */
int
cmp_flow_check_shape(const json_t *def, char *field, size_t field_len,
    char *err, size_t err_len)
{
    int                    rc;
    char                   path[64];
    size_t                 i, k, n;
    json_t                *nodes, *node, *type;
    const char            *key;
    json_t                *v;
    const cmp_provider_t  *p;
    const cmp_node_def_t  *nd;

    if (!json_is_object(def)) {
        snprintf(field, field_len, "definition");
        snprintf(err, err_len, "definition must be an object");
        return CMP_FLOW_SHAPE_INVALID;
    }

    json_object_foreach((json_t *) def, key, v) {
        if (strcmp(key, "start") != 0 && strcmp(key, "nodes") != 0) {
            snprintf(field, field_len, "definition.%s", key);
            snprintf(err, err_len, "unknown field \"%s\"", field);
            return CMP_FLOW_SHAPE_UNKNOWN;
        }
    }

    v = json_object_get(def, "start");

    if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
        snprintf(field, field_len, "definition.start");
        snprintf(err, err_len, "definition.start must be a node id");
        return CMP_FLOW_SHAPE_INVALID;
    }

    nodes = json_object_get(def, "nodes");

    if (!json_is_array(nodes)) {
        snprintf(field, field_len, "definition.nodes");
        snprintf(err, err_len, "definition.nodes must be an array");
        return CMP_FLOW_SHAPE_INVALID;
    }

    json_array_foreach(nodes, i, node) {
        snprintf(path, sizeof(path), "definition.nodes[%zu]", i);

        if (!json_is_object(node)) {
            snprintf(field, field_len, "%s", path);
            snprintf(err, err_len, "%s must be an object", path);
            return CMP_FLOW_SHAPE_INVALID;
        }

        if (!json_is_string(json_object_get(node, "id"))) {
            snprintf(field, field_len, "%s.id", path);
            snprintf(err, err_len, "%s.id must be a string", path);
            return CMP_FLOW_SHAPE_INVALID;
        }

        type = json_object_get(node, "type");
        nd = cmp_flow_def(json_string_value(type));

        if (nd == NULL) {
            snprintf(field, field_len, "%s.type", path);
            n = snprintf(err, err_len, "%s.type must be one of: ", path);

            for (k = 0; cmp_providers[k] != NULL && n < err_len; k++) {
                n += snprintf(err + n, err_len - n, "%s, ",
                              cmp_providers[k]->node);
            }

            for (k = 1; k < CMP_NODE_UNKNOWN && n < err_len; k++) {
                n += snprintf(err + n, err_len - n, "%s%s",
                              cmp_node_defs[k].name,
                              (k + 1 < CMP_NODE_UNKNOWN) ? ", " : "");
            }

            return CMP_FLOW_SHAPE_INVALID;
        }

        p = cmp_provider_by_node(json_string_value(type));

        rc = cmp_flow_shape_object(node, cmp_node_common, nd->fields,
                                   p ? p->node_fields : NULL, path, field,
                                   field_len, err, err_len);
        if (rc != CMP_FLOW_SHAPE_OK) {
            return rc;
        }
    }

    return CMP_FLOW_SHAPE_OK;
}


static int
cmp_flow_shape_object(const json_t *obj, const cmp_field_t *f1,
    const cmp_field_t *f2, const cmp_provider_field_t *f3, const char *path,
    char *field, size_t field_len, char *err, size_t err_len)
{
    int                          rc;
    char                         sub[256];
    json_t                      *v;
    const char                  *key;
    cmp_field_t                  string;
    const cmp_field_t           *f;
    const cmp_provider_field_t  *pf;

    json_object_foreach((json_t *) obj, key, v) {
        f = NULL;

        for (f = f1; f != NULL && f->name != NULL; f++) {
            if (strcmp(f->name, key) == 0) {
                break;
            }
        }

        if (f == NULL || f->name == NULL) {
            for (f = f2; f != NULL && f->name != NULL; f++) {
                if (strcmp(f->name, key) == 0) {
                    break;
                }
            }
        }

        if (f == NULL || f->name == NULL) {
            for (pf = f3; pf != NULL && pf->name != NULL; pf++) {
                if (strcmp(pf->name, key) == 0) {
                    string.name = pf->name;
                    string.kind = CMP_F_STRING;
                    string.sub = NULL;
                    f = &string;
                    break;
                }
            }
        }

        snprintf(sub, sizeof(sub), "%.160s.%.64s", path, key);

        if (f == NULL || f->name == NULL) {
            snprintf(field, field_len, "%s", sub);
            snprintf(err, err_len, "unknown field \"%s\"", sub);
            return CMP_FLOW_SHAPE_UNKNOWN;
        }

        rc = cmp_flow_shape_value(v, f, sub, field, field_len, err,
                                  err_len);
        if (rc != CMP_FLOW_SHAPE_OK) {
            return rc;
        }
    }

    return CMP_FLOW_SHAPE_OK;
}


static int
cmp_flow_shape_value(const json_t *v, const cmp_field_t *f, const char *path,
    char *field, size_t field_len, char *err, size_t err_len)
{
    int          ok, rc;
    char         sub[256];
    size_t       i;
    json_t      *e;
    const char  *key;

    switch (f->kind) {

    case CMP_F_STRING:
        ok = json_is_string(v);
        break;

    case CMP_F_INTEGER:
        ok = json_is_integer(v);
        break;

    case CMP_F_BOOLEAN:
        ok = json_is_boolean(v);
        break;

    case CMP_F_TARGET:
        ok = json_is_string(v) || json_is_null(v);
        break;

    case CMP_F_SCALAR:
        ok = json_is_string(v) || json_is_number(v) || json_is_null(v);
        break;

    case CMP_F_OBJECT:
        ok = json_is_object(v);

        if (!ok) {
            break;
        }

        if (f->sub != NULL) {
            return cmp_flow_shape_object(v, f->sub, NULL, NULL, path, field,
                                         field_len, err, err_len);
        }

        json_object_foreach((json_t *) v, key, e) {
            if (!json_is_string(e)) {
                snprintf(field, field_len, "%s.%s", path, key);
                snprintf(err, err_len, "%s.%s must be a string", path, key);
                return CMP_FLOW_SHAPE_INVALID;
            }
        }

        break;

    default: /* CMP_F_ARRAY */
        ok = json_is_array(v);

        if (!ok) {
            break;
        }

        json_array_foreach(v, i, e) {
            snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);

            if (f->sub == NULL) {
                if (!json_is_string(e)) {
                    snprintf(field, field_len, "%s", sub);
                    snprintf(err, err_len, "%s must be a string", sub);
                    return CMP_FLOW_SHAPE_INVALID;
                }

                continue;
            }

            if (!json_is_object(e)) {
                snprintf(field, field_len, "%s", sub);
                snprintf(err, err_len, "%s must be an object", sub);
                return CMP_FLOW_SHAPE_INVALID;
            }

            rc = cmp_flow_shape_object(e, f->sub, NULL, NULL, sub, field,
                                       field_len, err, err_len);
            if (rc != CMP_FLOW_SHAPE_OK) {
                return rc;
            }
        }

        break;
    }

    if (!ok) {
        snprintf(field, field_len, "%s", path);
        snprintf(err, err_len, "%s must be %s", path,
                 cmp_field_kinds[f->kind]);
        return CMP_FLOW_SHAPE_INVALID;
    }

    return CMP_FLOW_SHAPE_OK;
}


static size_t
cmp_flow_count_edges(const json_t *node, const cmp_node_def_t *def)
{
    size_t              n;
    const json_t       *branches;
    const cmp_field_t  *f;

    n = 0;

    for (f = def->fields; f->name != NULL; f++) {
        if (f->kind == CMP_F_TARGET) {
            n++;
        }
    }

    if (def->type == CMP_NODE_CONDITION) {
        branches = json_object_get(node, "branches");
        n += json_is_array(branches) ? json_array_size(branches) : 0;
    }

    return n;
}


static cmp_flow_edge_t *
cmp_flow_add_edge(cmp_flow_edge_t *e, const json_t *target,
    const char *field, const char *label)
{
    if (target == NULL || json_is_null(target)) {
        return e;
    }

    snprintf(e->field, sizeof(e->field), "%s", field);
    snprintf(e->label, sizeof(e->label), "%s", label);

    e->to = -1;

    if (json_is_string(target)) {
        e->target = json_string_value(target);

    } else {
        e->bad = 1;
    }

    return e + 1;
}


static int
cmp_flow_compare(const void *a, const void *b, void *data)
{
    int                     rc;
    size_t                  i, j, n;
    const cmp_flow_t       *flow;
    const cmp_flow_node_t  *x, *y;

    flow = data;
    i = *(const size_t *) a;
    j = *(const size_t *) b;
    x = &flow->nodes[i];
    y = &flow->nodes[j];

    /* nodes without an id sort last; equal ids keep definition order */
    if (x->id == NULL || y->id == NULL) {
        if (x->id != y->id) {
            return x->id == NULL ? 1 : -1;
        }

        return (i > j) - (i < j);
    }

    n = x->id_len < y->id_len ? x->id_len : y->id_len;
    rc = memcmp(x->id, y->id, n);

    if (rc == 0) {
        rc = (x->id_len > y->id_len) - (x->id_len < y->id_len);
    }

    return rc ? rc : (i > j) - (i < j);
}


/* the first node (in definition order) with that id, or -1 */
int
cmp_flow_find(const cmp_flow_t *flow, const char *id, size_t len)
{
    int                     rc;
    size_t                  lo, hi, mid, n;
    const cmp_flow_node_t  *x;

    lo = 0;
    hi = flow->nnodes;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        x = &flow->nodes[flow->sorted[mid]];

        if (x->id == NULL) {
            rc = 1;

        } else {
            n = x->id_len < len ? x->id_len : len;
            rc = memcmp(x->id, id, n);

            if (rc == 0) {
                rc = (x->id_len > len) - (x->id_len < len);
            }
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    if (lo < flow->nnodes) {
        x = &flow->nodes[flow->sorted[lo]];

        if (x->id != NULL && x->id_len == len
            && memcmp(x->id, id, len) == 0)
        {
            return (int) flow->sorted[lo];
        }
    }

    return -1;
}


int
cmp_flow_load(cmp_flow_t *flow, json_t *def)
{
    char                    field[40], label[32];
    size_t                  i, k, nedges;
    json_t                 *nodes, *node, *v, *branches, *b;
    cmp_flow_edge_t        *e;
    cmp_flow_node_t        *fn;
    const cmp_field_t      *f;
    const cmp_node_def_t   *nd;

    memset(flow, 0, sizeof(cmp_flow_t));

    flow->definition = def;
    flow->start_node = -1;

    v = json_object_get(def, "start");
    flow->start = json_is_string(v) ? json_string_value(v) : NULL;

    nodes = json_object_get(def, "nodes");

    if (!json_is_array(nodes) || json_array_size(nodes) == 0) {
        return 0;
    }

    flow->nnodes = json_array_size(nodes);
    flow->nodes = calloc(flow->nnodes, sizeof(cmp_flow_node_t));
    flow->sorted = calloc(flow->nnodes, sizeof(size_t));

    if (flow->nodes == NULL || flow->sorted == NULL) {
        cmp_flow_free(flow);
        return -1;
    }

    nedges = 0;

    json_array_foreach(nodes, i, node) {
        fn = &flow->nodes[i];
        fn->json = node;
        fn->type = CMP_NODE_UNKNOWN;
        flow->sorted[i] = i;

        v = json_object_get(node, "id");

        if (json_is_string(v)) {
            fn->id = json_string_value(v);
            fn->id_len = json_string_length(v);
        }

        nd = cmp_flow_def(json_string_value(json_object_get(node, "type")));

        if (nd != NULL) {
            fn->type = nd->type;
            fn->provider = cmp_provider_by_node(json_string_value(
                               json_object_get(node, "type")));
            nedges += cmp_flow_count_edges(node, nd);
        }
    }

    if (nedges) {
        flow->edges = calloc(nedges, sizeof(cmp_flow_edge_t));
        if (flow->edges == NULL) {
            cmp_flow_free(flow);
            return -1;
        }
    }

    e = flow->edges;

    for (i = 0; i < flow->nnodes; i++) {
        fn = &flow->nodes[i];
        fn->edges = e;

        if (fn->type == CMP_NODE_UNKNOWN) {
            continue;
        }

        node = fn->json;

        if (fn->type == CMP_NODE_CONDITION) {
            branches = json_object_get(node, "branches");

            json_array_foreach(branches, k, b) {
                snprintf(field, sizeof(field), "branches[%zu].next", k);
                snprintf(label, sizeof(label), "branch %zu", k + 1);
                e = cmp_flow_add_edge(e, json_object_get(b, "next"), field,
                                      label);
            }
        }

        for (f = cmp_node_defs[fn->type].fields; f->name != NULL; f++) {
            if (f->kind != CMP_F_TARGET) {
                continue;
            }

            e = cmp_flow_add_edge(e, json_object_get(node, f->name),
                                  f->name,
                                  strcmp(f->name, "target") == 0
                                  ? "jump" : f->name);

            if (fn->type == CMP_NODE_JUMP && strcmp(f->name, "target") == 0
                && e > fn->edges)
            {
                e[-1].jump = 1;
            }
        }

        fn->nedges = (size_t) (e - fn->edges);
    }

    qsort_r(flow->sorted, flow->nnodes, sizeof(size_t), cmp_flow_compare,
            flow);

    for (i = 0; i < flow->nnodes; i++) {
        fn = &flow->nodes[i];

        for (k = 0; k < fn->nedges; k++) {
            e = &fn->edges[k];

            if (e->target != NULL) {
                e->to = cmp_flow_find(flow, e->target, strlen(e->target));
            }
        }
    }

    if (flow->start != NULL) {
        flow->start_node = cmp_flow_find(flow, flow->start,
                                         strlen(flow->start));
    }

    return 0;
}


void
cmp_flow_free(cmp_flow_t *flow)
{
    free(flow->nodes);
    free(flow->edges);
    free(flow->sorted);

    flow->nodes = NULL;
    flow->edges = NULL;
    flow->sorted = NULL;
    flow->nnodes = 0;
}


static void
cmp_flow_error(cmp_flow_check_t *c, const char *fmt, ...)
{
    int       n;
    char      msg[512];
    json_t   *err;
    va_list   args;

    n = 0;

    if (c->node != NULL && c->node->id == NULL) {
        n = snprintf(msg, sizeof(msg), "nodes[%zu]: ", c->index);
    }

    va_start(args, fmt);
    vsnprintf(msg + n, sizeof(msg) - n, fmt, args);
    va_end(args);

    err = json_object();
    if (err == NULL) {
        c->failed = 1;
        return;
    }

    json_object_set_new(err, "node",
                        (c->node != NULL && c->node->id != NULL)
                        ? json_stringn(c->node->id, c->node->id_len)
                        : json_null());
    json_object_set_new(err, "message", json_string(msg));

    if (json_array_append_new(c->errors, err) != 0) {
        c->failed = 1;
    }

    c->count++;
}


/* a field of the node (path names the object it is in: "message") */
static const char *
cmp_flow_string(cmp_flow_check_t *c, const json_t *obj, const char *path,
    const char *name, size_t min, size_t max, int required)
{
    size_t       n;
    json_t      *v;
    const char  *dot;

    dot = (path[0] != '\0') ? "." : "";
    v = json_object_get(obj, name);

    if (v == NULL || json_is_null(v)) {
        if (required) {
            cmp_flow_error(c, "%s%s%s is required", path, dot, name);
        }

        return NULL;
    }

    if (!json_is_string(v)) {
        cmp_flow_error(c, "%s%s%s must be a string", path, dot, name);
        return NULL;
    }

    n = cmp_utf8_length(json_string_value(v), json_string_length(v));

    if (n < min || n > max) {
        cmp_flow_error(c, "%s%s%s must be %zu to %zu characters", path, dot,
                       name, min, max);
        return NULL;
    }

    return json_string_value(v);
}


static int
cmp_flow_integer(cmp_flow_check_t *c, const json_t *obj, const char *name,
    json_int_t min, json_int_t max, int required)
{
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL || json_is_null(v)) {
        if (required) {
            cmp_flow_error(c, "%s is required", name);
            return -1;
        }

        return 0;
    }

    if (!json_is_integer(v)
        || json_integer_value(v) < min || json_integer_value(v) > max)
    {
        cmp_flow_error(c, "%s must be an integer from %lld to %lld", name,
                       (long long) min, (long long) max);
        return -1;
    }

    return 0;
}


static void
cmp_flow_template(cmp_flow_check_t *c, const char *path, const char *s)
{
    char  err[256];

    if (s != NULL && cmp_template_check(s, strlen(s), err, sizeof(err))
                     != 0)
    {
        cmp_flow_error(c, "%s: %s", path, err);
    }
}


/* variable names follow the id rule, so "{{vars.NAME}}" can name them */
static int
cmp_flow_var_name(const char *s)
{
    size_t  i, n;

    n = strlen(s);

    if (n == 0 || n > 64) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Checks everything README "Chat flows" asks of a definition and
 * appends one {"node", "message"} to errors per problem.  Returns the number of
 * problems, or -1 when a lookup or an allocation failed.
 */
int
cmp_flow_validate(const cmp_flow_t *flow, cmp_flow_lookup_t *lookup,
    json_t *errors)
{
    size_t            i, sends;
    cmp_flow_check_t  c;

    memset(&c, 0, sizeof(cmp_flow_check_t));
    c.flow = flow;
    c.lookup = lookup;
    c.errors = errors;

    if (!json_is_object(flow->definition)) {
        cmp_flow_error(&c, "the definition must be an object");
        return c.failed ? -1 : c.count;
    }

    if (!json_is_array(json_object_get(flow->definition, "nodes"))) {
        cmp_flow_error(&c, "nodes must be an array of nodes");
    }

    if (flow->nnodes > CMP_FLOW_MAX_NODES) {
        cmp_flow_error(&c, "a flow has at most %d nodes; this one has %zu",
                       CMP_FLOW_MAX_NODES, flow->nnodes);
    }

    if (flow->start == NULL) {
        cmp_flow_error(&c, "start is required: it names the first node");

    } else if (flow->start_node < 0) {
        cmp_flow_error(&c, "start names no node \"%.64s\"", flow->start);
    }

    cmp_flow_check_ids(&c);

    sends = 0;

    for (i = 0; i < flow->nnodes && !c.failed; i++) {
        c.node = &flow->nodes[i];
        c.index = i;

        if (c.node->type == CMP_NODE_SEND) {
            sends++;
        }

        cmp_flow_check_node(&c);
    }

    c.node = NULL;

    if (sends == 0) {
        cmp_flow_no_send(&c);
    }

    if (!c.failed) {
        cmp_flow_check_reach(&c);
    }

    if (!c.failed) {
        cmp_flow_check_cycles(&c);
    }

    return c.failed ? -1 : c.count;
}


static void
cmp_flow_check_ids(cmp_flow_check_t *c)
{
    size_t                  i, prev;
    const cmp_flow_node_t  *n, *p;

    for (i = 0; i < c->flow->nnodes; i++) {
        c->node = &c->flow->nodes[i];
        c->index = i;

        if (c->node->id == NULL) {
            cmp_flow_error(c, "id is required and must be a string");

        } else if (!cmp_flow_var_name(c->node->id)
                   || strlen(c->node->id) != c->node->id_len)
        {
            cmp_flow_error(c, "id must be 1 to 64 characters of "
                           "[A-Za-z0-9_-]");
        }
    }

    /* sorted order puts equal ids together; report each repeat once */
    for (i = 1; i < c->flow->nnodes; i++) {
        prev = c->flow->sorted[i - 1];
        p = &c->flow->nodes[prev];
        n = &c->flow->nodes[c->flow->sorted[i]];

        if (n->id == NULL || p->id == NULL || n->id_len != p->id_len
            || memcmp(n->id, p->id, n->id_len) != 0)
        {
            continue;
        }

        c->node = n;
        c->index = c->flow->sorted[i];
        cmp_flow_error(c, "id is not unique: nodes[%zu] and nodes[%zu] "
                       "have it", prev, c->index);
    }

    c->node = NULL;
}


static void
cmp_flow_check_node(cmp_flow_check_t *c)
{
    size_t                  k;
    const char             *s;
    const json_t           *n;
    cmp_flow_edge_t        *e;
    const cmp_flow_node_t  *node;

    node = c->node;
    n = node->json;

    if (!json_is_object(n)) {
        cmp_flow_error(c, "a node must be an object");
        return;
    }

    if (node->type == CMP_NODE_UNKNOWN) {
        s = json_string_value(json_object_get(n, "type"));

        if (s == NULL) {
            cmp_flow_error(c, "type is required");

        } else {
            cmp_flow_error(c, "type \"%.64s\" is not a node type", s);
        }

        return;
    }

    (void) cmp_flow_string(c, n, "", "label", 0, CMP_FLOW_LABEL_MAX * 4, 0);

    for (k = 0; k < node->nedges; k++) {
        e = &node->edges[k];

        if (e->bad) {
            cmp_flow_error(c, "%s must be a node id", e->field);

        } else if (e->to < 0) {
            cmp_flow_error(c, "%s names no node \"%.64s\"", e->field,
                           e->target);
        }
    }

    switch (node->type) {

    case CMP_NODE_SEND:
        cmp_flow_check_send(c, n);
        break;

    case CMP_NODE_WAIT_FOR_REPLY:
        (void) cmp_flow_integer(c, n, "timeout_seconds", 1, 604800, 0);
        s = cmp_flow_string(c, n, "", "save_as", 1, 64, 0);

        if (s != NULL && !cmp_flow_var_name(s)) {
            cmp_flow_error(c, "save_as must be a variable name: 1 to 64 "
                           "characters of [A-Za-z0-9_-]");
        }

        break;

    case CMP_NODE_DELAY:
        (void) cmp_flow_integer(c, n, "seconds", 1, 2592000, 1);
        break;

    case CMP_NODE_CONDITION:
        cmp_flow_check_condition(c, n);
        break;

    case CMP_NODE_SET_VARIABLE:
        s = cmp_flow_string(c, n, "", "name", 1, 64, 1);

        if (s != NULL && !cmp_flow_var_name(s)) {
            cmp_flow_error(c, "name must be a variable name: 1 to 64 "
                           "characters of [A-Za-z0-9_-]");
        }

        cmp_flow_template(c, "value",
                          cmp_flow_string(c, n, "", "value", 0,
                                          CMP_FLOW_VALUE_MAX, 1));
        break;

    case CMP_NODE_JUMP:
        if (json_object_get(n, "target") == NULL
            || json_is_null(json_object_get(n, "target")))
        {
            cmp_flow_error(c, "target is required");
        }

        (void) cmp_flow_integer(c, n, "max_jumps", 1, 100, 1);
        break;

    case CMP_NODE_HTTP_REQUEST:
        cmp_flow_check_http(c, n);
        break;

    case CMP_NODE_FORWARD_TO_FLOW:
        cmp_flow_check_forward(c, n);
        break;

    default: /* end */
        break;
    }
}


static void
cmp_flow_check_send(cmp_flow_check_t *c, const json_t *n)
{
    int                    rc;
    char                   type[32], path[64];
    size_t                 i;
    json_t                *msg, *tpl, *params, *p;
    const char            *id, *mtype, *want;
    const cmp_provider_t  *pr;

    pr = c->node->provider;
    want = pr->name;

    id = cmp_flow_string(c, n, "", "channel_id", 1, 64, 1);

    if (id != NULL && c->lookup != NULL && c->lookup->channel_type != NULL) {
        rc = c->lookup->channel_type(c->lookup->data, id, strlen(id), type,
                                     sizeof(type));

        if (rc < 0) {
            c->lookup->rc = rc;
            c->failed = 1;
            return;
        }

        if (rc == CMP_FLOW_MISSING) {
            cmp_flow_error(c, "channel \"%s\" does not exist", id);

        } else if (strcmp(type, want) != 0) {
            cmp_flow_error(c, "channel \"%s\" is a %s channel; %s needs a "
                           "%s channel", id, type, pr->node, want);
        }
    }

    cmp_flow_check_node_fields(c, n);

    msg = json_object_get(n, "message");

    if (msg == NULL || json_is_null(msg)) {
        cmp_flow_error(c, "message is required");
        return;
    }

    if (!json_is_object(msg)) {
        cmp_flow_error(c, "message must be an object");
        return;
    }

    mtype = cmp_flow_string(c, msg, "message", "type", 1, 32, 1);

    if (mtype == NULL) {
        return;
    }

    if (strcmp(mtype, "text") == 0) {
        cmp_flow_template(c, "message.text",
                          cmp_flow_string(c, msg, "message", "text", 1,
                                          pr->text_max, 1));

        if (json_object_get(msg, "template") != NULL) {
            cmp_flow_error(c, "message.template is only for messages of "
                           "type template");
        }

        return;
    }

    if (!pr->templates || strcmp(mtype, "template") != 0) {
        cmp_flow_error(c, "message.type must be %s",
                       pr->templates ? "text or template" : "text");
        return;
    }

    if (json_object_get(msg, "text") != NULL) {
        cmp_flow_error(c, "message.text is only for messages of type text");
    }

    tpl = json_object_get(msg, "template");

    if (!json_is_object(tpl)) {
        cmp_flow_error(c, "message.template is required and must be an "
                       "object");
        return;
    }

    (void) cmp_flow_string(c, tpl, "message.template", "name", 1, 512, 1);
    (void) cmp_flow_string(c, tpl, "message.template", "language", 1, 20,
                           1);

    params = json_object_get(tpl, "body_params");

    if (params == NULL || json_is_null(params)) {
        return;
    }

    if (!json_is_array(params)) {
        cmp_flow_error(c, "message.template.body_params must be an array "
                       "of strings");
        return;
    }

    json_array_foreach(params, i, p) {
        snprintf(path, sizeof(path), "message.template.body_params[%zu]", i);

        if (!json_is_string(p)) {
            cmp_flow_error(c, "%s must be a string", path);
            continue;
        }

        cmp_flow_template(c, path, json_string_value(p));
    }
}


/* the provider's own members of its send node: strings, maybe an enum */
static void
cmp_flow_check_node_fields(cmp_flow_check_t *c, const json_t *n)
{
    char                         list[256];
    size_t                       k, len;
    const char                  *s;
    const cmp_provider_field_t  *pf;

    for (pf = c->node->provider->node_fields; pf->name != NULL; pf++) {
        s = cmp_flow_string(c, n, "", pf->name, 1, pf->max, pf->required);

        if (s == NULL || pf->values == NULL) {
            continue;
        }

        for (k = 0; pf->values[k] != NULL; k++) {
            if (strcmp(s, pf->values[k]) == 0) {
                break;
            }
        }

        if (pf->values[k] != NULL) {
            continue;
        }

        len = 0;

        for (k = 0; pf->values[k] != NULL && len < sizeof(list); k++) {
            len += snprintf(list + len, sizeof(list) - len, "%s%s",
                            k == 0 ? ""
                            : pf->values[k + 1] == NULL ? " or " : ", ",
                            pf->values[k]);
        }

        cmp_flow_error(c, "%s must be %s", pf->name, list);
    }
}


static void
cmp_flow_no_send(cmp_flow_check_t *c)
{
    char    list[256];
    size_t  k, len;

    len = 0;

    for (k = 0; cmp_providers[k] != NULL && len < sizeof(list); k++) {
        len += snprintf(list + len, sizeof(list) - len, "%s%s",
                        k == 0 ? ""
                        : cmp_providers[k + 1] == NULL ? " or " : ", ",
                        cmp_providers[k]->node);
    }

    cmp_flow_error(c, "a flow needs at least one %s node", list);
}


static void
cmp_flow_check_condition(cmp_flow_check_t *c, const json_t *n)
{
    char          path[64], err[256];
    size_t        i, k;
    json_t       *branches, *b, *rules, *r;
    const char   *s;
    cmp_rule_t    rule;

    branches = json_object_get(n, "branches");

    if (!json_is_array(branches) || json_array_size(branches) == 0
        || json_array_size(branches) > CMP_FLOW_BRANCHES_MAX)
    {
        cmp_flow_error(c, "branches must be an array of 1 to %d branches",
                       CMP_FLOW_BRANCHES_MAX);
        return;
    }

    json_array_foreach(branches, i, b) {
        snprintf(path, sizeof(path), "branches[%zu]", i);

        if (!json_is_object(b)) {
            cmp_flow_error(c, "%s must be an object", path);
            continue;
        }

        s = cmp_flow_string(c, b, path, "match", 1, 8, 0);

        if (s != NULL && strcmp(s, "all") != 0 && strcmp(s, "any") != 0) {
            cmp_flow_error(c, "%s.match must be all or any", path);
        }

        rules = json_object_get(b, "rules");

        if (!json_is_array(rules) || json_array_size(rules) == 0
            || json_array_size(rules) > CMP_FLOW_RULES_MAX)
        {
            cmp_flow_error(c, "%s.rules must be an array of 1 to %d rules",
                           path, CMP_FLOW_RULES_MAX);
            continue;
        }

        json_array_foreach(rules, k, r) {
            if (cmp_rule_compile(&rule, r, err, sizeof(err)) != 0) {
                cmp_flow_error(c, "%s.rules[%zu]: %s", path, k, err);
            }

            cmp_rule_free(&rule);
        }
    }
}


static void
cmp_flow_check_http(cmp_flow_check_t *c, const json_t *n)
{
    char         path[300];
    json_t      *obj, *v;
    const char  *s, *key;

    s = cmp_flow_string(c, n, "", "method", 1, 8, 1);

    if (s != NULL && strcmp(s, "GET") != 0 && strcmp(s, "POST") != 0) {
        cmp_flow_error(c, "method must be GET or POST");
    }

    if (s != NULL && strcmp(s, "GET") == 0
        && json_is_string(json_object_get(n, "body")))
    {
        cmp_flow_error(c, "body is sent with POST only");
    }

    s = cmp_flow_string(c, n, "", "url", 1, 2048, 1);

    if (s != NULL) {
        /* a URL that starts with a placeholder is checked when it runs */
        if (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0
            && strncmp(s, "{{", 2) != 0)
        {
            cmp_flow_error(c, "url must be an http:// or https:// URL");
        }

        cmp_flow_template(c, "url", s);
    }

    cmp_flow_template(c, "body",
                      cmp_flow_string(c, n, "", "body", 0, 65536, 0));

    (void) cmp_flow_integer(c, n, "timeout_seconds", 1, 30, 0);

    obj = json_object_get(n, "headers");

    if (obj != NULL && !json_is_null(obj)) {
        if (!json_is_object(obj)) {
            cmp_flow_error(c, "headers must be an object of strings");

        } else {
            json_object_foreach(obj, key, v) {
                snprintf(path, sizeof(path), "headers.%.200s", key);

                if (key[0] == '\0' || strcspn(key, " \t\r\n:()<>@,;\\\"/[]?={}")
                                      != strlen(key))
                {
                    cmp_flow_error(c, "%s is not a header name", path);

                } else if (!json_is_string(v)) {
                    cmp_flow_error(c, "%s must be a string", path);

                } else {
                    cmp_flow_template(c, path, json_string_value(v));
                }
            }
        }
    }

    obj = json_object_get(n, "save");

    if (obj != NULL && !json_is_null(obj)) {
        if (!json_is_object(obj)) {
            cmp_flow_error(c, "save must be an object of variable: "
                           "\"json.path\"");
            return;
        }

        json_object_foreach(obj, key, v) {
            snprintf(path, sizeof(path), "save.%.200s", key);

            if (!cmp_flow_var_name(key)) {
                cmp_flow_error(c, "%s: a variable name is 1 to 64 "
                               "characters of [A-Za-z0-9_-]", path);

            } else if (!json_is_string(v) || json_string_length(v) == 0
                       || json_string_length(v) > 256)
            {
                cmp_flow_error(c, "%s must be a JSON path of 1 to 256 "
                               "characters", path);
            }
        }
    }
}


static void
cmp_flow_check_forward(cmp_flow_check_t *c, const json_t *n)
{
    int          rc, status;
    const char  *id;

    id = cmp_flow_string(c, n, "", "flow_id", 1, 64, 1);

    if (id == NULL) {
        return;
    }

    if (c->lookup != NULL && c->lookup->self_id != NULL
        && strcmp(id, c->lookup->self_id) == 0)
    {
        cmp_flow_error(c, "flow_id names this flow itself: the instance "
                       "would never end");
        return;
    }

    if (c->lookup == NULL || c->lookup->flow_status == NULL) {
        return;
    }

    rc = c->lookup->flow_status(c->lookup->data, id, strlen(id), &status);

    if (rc < 0) {
        c->lookup->rc = rc;
        c->failed = 1;
        return;
    }

    if (rc == CMP_FLOW_MISSING) {
        cmp_flow_error(c, "flow \"%s\" does not exist", id);

    } else if (status != CMP_FLOW_PUBLISHED) {
        cmp_flow_error(c, "flow \"%s\" is not published", id);
    }
}


static void
cmp_flow_check_reach(cmp_flow_check_t *c)
{
    size_t                  i, k, head, tail, *queue;
    unsigned char          *seen;
    const cmp_flow_node_t  *n;

    /* without a valid start every node would be reported: say it once */
    if (c->flow->start_node < 0) {
        return;
    }

    queue = malloc(c->flow->nnodes * sizeof(size_t));
    seen = calloc(c->flow->nnodes, 1);

    if (queue == NULL || seen == NULL) {
        free(queue);
        free(seen);
        c->failed = 1;
        return;
    }

    head = 0;
    tail = 0;
    queue[tail++] = (size_t) c->flow->start_node;
    seen[c->flow->start_node] = 1;

    while (head < tail) {
        n = &c->flow->nodes[queue[head++]];

        for (k = 0; k < n->nedges; k++) {
            if (n->edges[k].to >= 0 && !seen[n->edges[k].to]) {
                seen[n->edges[k].to] = 1;
                queue[tail++] = (size_t) n->edges[k].to;
            }
        }
    }

    for (i = 0; i < c->flow->nnodes; i++) {
        n = &c->flow->nodes[i];

        /* a repeated id was reported as such; edges reach its first use */
        if (n->id != NULL
            && cmp_flow_find(c->flow, n->id, n->id_len) != (int) i)
        {
            continue;
        }

        if (!seen[i]) {
            c->node = &c->flow->nodes[i];
            c->index = i;
            cmp_flow_error(c, "node is not reachable from start");
        }
    }

    c->node = NULL;

    free(queue);
    free(seen);
}


/*
 * Tarjan's strongly connected components, iteratively (a fuzzer's flow
 * may be long).  A jump's target edge is left out: it is taken at most
 * max_jumps times, so a cycle through it ends.  A cycle that remains
 * without it could run forever, including one through a jump's "next",
 * which is taken every time once the jumps are used up.
 */
static void
cmp_flow_check_cycles(cmp_flow_check_t *c)
{
    int                     w;
    size_t                  n, i, k, v, sp, top, counter, depth;
    size_t                 *index, *low, *stack, *call, *edge;
    unsigned char          *on;
    const cmp_flow_node_t  *node;
    const cmp_flow_edge_t  *e;

    n = c->flow->nnodes;

    if (n == 0) {
        return;
    }

    index = malloc(n * sizeof(size_t));
    low = malloc(n * sizeof(size_t));
    stack = malloc(n * sizeof(size_t));
    call = malloc(n * sizeof(size_t));
    edge = malloc(n * sizeof(size_t));
    on = calloc(n, 1);

    if (index == NULL || low == NULL || stack == NULL || call == NULL
        || edge == NULL || on == NULL)
    {
        c->failed = 1;
        goto done;
    }

    for (i = 0; i < n; i++) {
        index[i] = (size_t) -1;
    }

    counter = 0;
    sp = 0;

    for (i = 0; i < n; i++) {
        if (index[i] != (size_t) -1) {
            continue;
        }

        depth = 0;
        call[depth] = i;
        edge[depth] = 0;
        index[i] = low[i] = counter++;
        stack[sp++] = i;
        on[i] = 1;

        for ( ;; ) {
            v = call[depth];
            node = &c->flow->nodes[v];

            if (edge[depth] < node->nedges) {
                e = &node->edges[edge[depth]++];
                w = e->to;

                if (w < 0 || e->jump) {
                    continue;
                }

                if (index[w] == (size_t) -1) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = (size_t) w;
                    on[w] = 1;
                    depth++;
                    call[depth] = (size_t) w;
                    edge[depth] = 0;

                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }

                continue;
            }

            if (low[v] == index[v]) {
                top = sp;

                do {
                    sp--;
                    on[stack[sp]] = 0;
                } while (stack[sp] != v);

                if (top - sp > 1) {
                    cmp_flow_report_cycle(c, stack + sp, top - sp);

                } else {
                    /* a node whose own edge leads back to it */
                    for (k = 0; k < node->nedges; k++) {
                        if (node->edges[k].to == (int) v
                            && !node->edges[k].jump)
                        {
                            cmp_flow_report_cycle(c, stack + sp, 1);
                            break;
                        }
                    }
                }
            }

            if (depth == 0) {
                break;
            }

            depth--;

            if (low[v] < low[call[depth]]) {
                low[call[depth]] = low[v];
            }
        }
    }

done:

    free(index);
    free(low);
    free(stack);
    free(call);
    free(edge);
    free(on);
}


static int
cmp_flow_index_order(const void *a, const void *b)
{
    size_t  x, y;

    x = *(const size_t *) a;
    y = *(const size_t *) b;

    return (x > y) - (x < y);
}


/* reported on the member that comes first in the definition */
static void
cmp_flow_report_cycle(cmp_flow_check_t *c, const size_t *scc, size_t n)
{
    size_t                  i, first, *sorted;
    cmp_text_t              t;
    const cmp_flow_node_t  *node;

    sorted = malloc(n * sizeof(size_t));
    if (sorted == NULL) {
        c->failed = 1;
        return;
    }

    memcpy(sorted, scc, n * sizeof(size_t));
    qsort(sorted, n, sizeof(size_t), cmp_flow_index_order);

    first = sorted[0];

    memset(&t, 0, sizeof(cmp_text_t));

    for (i = 0; i < n && i < 10; i++) {
        node = &c->flow->nodes[sorted[i]];

        if (i) {
            cmp_text_add(&t, ", ", 2);
        }

        if (node->id != NULL) {
            cmp_text_add(&t, node->id, node->id_len);

        } else {
            cmp_text_addf(&t, "nodes[%zu]", sorted[i]);
        }
    }

    free(sorted);

    if (n > 10) {
        cmp_text_addf(&t, " and %zu more", n - 10);
    }

    c->node = &c->flow->nodes[first];
    c->index = first;

    cmp_flow_error(c, "cycle through %s passes through no jump: an "
                   "instance could loop forever", t.data ? t.data : "");

    c->node = NULL;
    cmp_text_free(&t);
}


/* the distinct channel ids the send nodes use, for reference counts */
json_t *
cmp_flow_channels(const cmp_flow_t *flow)
{
    size_t   i, k;
    json_t  *out, *id, *v;

    out = json_array();
    if (out == NULL) {
        return NULL;
    }

    for (i = 0; i < flow->nnodes; i++) {
        if (flow->nodes[i].type != CMP_NODE_SEND) {
            continue;
        }

        id = json_object_get(flow->nodes[i].json, "channel_id");

        if (!json_is_string(id)) {
            continue;
        }

        json_array_foreach(out, k, v) {
            if (json_equal(v, id)) {
                break;
            }
        }

        if (k == json_array_size(out)) {
            json_array_append(out, id);
        }
    }

    return out;
}


/* a short human description of a node: its label or what it does */
static void
cmp_flow_summary(const cmp_flow_node_t *node, cmp_text_t *t)
{
    json_t      *n, *msg, *v;
    const char  *s;

    n = node->json;
    v = json_object_get(n, "label");

    if (json_is_string(v) && json_string_length(v) > 0) {
        cmp_text_add(t, json_string_value(v), json_string_length(v));
        return;
    }

    switch (node->type) {

    case CMP_NODE_SEND:
        msg = json_object_get(n, "message");
        v = json_object_get(msg, "text");

        if (json_is_string(v)) {
            cmp_text_add(t, json_string_value(v), json_string_length(v));

        } else {
            s = json_string_value(json_object_get(json_object_get(msg,
                                                  "template"), "name"));
            cmp_text_addf(t, "template %s", s ? s : "");
        }

        break;

    case CMP_NODE_WAIT_FOR_REPLY:
        v = json_object_get(n, "timeout_seconds");
        cmp_text_addf(t, "wait for a reply, at most %lld s",
                      json_is_integer(v) ? (long long) json_integer_value(v)
                                         : 30LL);
        break;

    case CMP_NODE_DELAY:
        cmp_text_addf(t, "wait %lld s",
                      (long long) json_integer_value(json_object_get(n,
                                                         "seconds")));
        break;

    case CMP_NODE_CONDITION:
        v = json_object_get(n, "branches");
        cmp_text_addf(t, "condition, %zu branch%s", json_array_size(v),
                      json_array_size(v) == 1 ? "" : "es");
        break;

    case CMP_NODE_SET_VARIABLE:
        s = json_string_value(json_object_get(n, "name"));
        cmp_text_addf(t, "set vars.%s", s ? s : "");
        break;

    case CMP_NODE_JUMP:
        s = json_string_value(json_object_get(n, "target"));
        cmp_text_addf(t, "jump to %s, max_jumps %lld", s ? s : "",
                      (long long) json_integer_value(json_object_get(n,
                                                         "max_jumps")));
        break;

    case CMP_NODE_HTTP_REQUEST:
        s = json_string_value(json_object_get(n, "method"));
        cmp_text_addf(t, "%s ", s ? s : "");
        v = json_object_get(n, "url");

        if (json_is_string(v)) {
            cmp_text_add(t, json_string_value(v), json_string_length(v));
        }

        break;

    case CMP_NODE_FORWARD_TO_FLOW:
        s = json_string_value(json_object_get(n, "flow_id"));
        cmp_text_addf(t, "forward to flow %s", s ? s : "");
        break;

    default:
        cmp_text_add(t, "end", 3);
        break;
    }
}


/* labels are cut at CMP_FLOW_LABEL_MAX characters, never inside one */
static json_t *
cmp_flow_label(const cmp_flow_node_t *node)
{
    size_t      i, chars;
    json_t     *s;
    cmp_text_t  t;

    memset(&t, 0, sizeof(cmp_text_t));
    cmp_flow_summary(node, &t);

    if (t.failed || t.data == NULL) {
        cmp_text_free(&t);
        return json_string("");
    }

    chars = 0;

    for (i = 0; i < t.len; i++) {
        if (((unsigned char) t.data[i] & 0xc0) != 0x80
            && ++chars > CMP_FLOW_LABEL_MAX)
        {
            t.len = i;
            cmp_text_add(&t, "\xe2\x80\xa6", 3);
            break;
        }
    }

    s = json_stringn(t.data, t.len);
    cmp_text_free(&t);

    return s ? s : json_string("");
}


json_t *
cmp_flow_preview(const cmp_flow_t *flow)
{
    size_t                  i, k;
    json_t                 *out, *nodes, *edges, *o;
    const cmp_flow_node_t  *n, *to;

    out = json_object();
    nodes = json_array();
    edges = json_array();

    if (out == NULL || nodes == NULL || edges == NULL) {
        json_decref(out);
        json_decref(nodes);
        json_decref(edges);
        return NULL;
    }

    json_object_set_new(out, "nodes", nodes);
    json_object_set_new(out, "edges", edges);

    for (i = 0; i < flow->nnodes; i++) {
        n = &flow->nodes[i];

        if (n->id == NULL) {
            continue;
        }

        o = json_object();
        if (o == NULL) {
            json_decref(out);
            return NULL;
        }

        json_object_set_new(o, "id", json_stringn(n->id, n->id_len));
        json_object_set_new(o, "type",
                            json_string(cmp_flow_type_name(n)));
        json_object_set_new(o, "label", cmp_flow_label(n));
        json_array_append_new(nodes, o);

        for (k = 0; k < n->nedges; k++) {
            if (n->edges[k].to < 0) {
                continue;
            }

            to = &flow->nodes[n->edges[k].to];

            o = json_object();
            if (o == NULL) {
                json_decref(out);
                return NULL;
            }

            json_object_set_new(o, "from", json_stringn(n->id, n->id_len));
            json_object_set_new(o, "to", json_stringn(to->id, to->id_len));
            json_object_set_new(o, "label",
                                json_string(n->edges[k].label));
            json_array_append_new(edges, o);
        }
    }

    return out;
}


static void
cmp_flow_dot_string(cmp_text_t *t, const char *s, size_t len)
{
    size_t  i, from;

    cmp_text_add(t, "\"", 1);

    from = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\' || (unsigned char) s[i] < ' ') {
            cmp_text_add(t, s + from, i - from);

            if (s[i] == '\n') {
                cmp_text_add(t, "\\n", 2);

            } else if ((unsigned char) s[i] < ' ') {
                cmp_text_add(t, " ", 1);

            } else {
                cmp_text_add(t, "\\", 1);
                cmp_text_add(t, s + i, 1);
            }

            from = i + 1;
        }
    }

    cmp_text_add(t, s + from, len - from);
    cmp_text_add(t, "\"", 1);
}


/* the same graph as cmp_flow_preview(), as Graphviz DOT text */
char *
cmp_flow_dot(const cmp_flow_t *flow, const char *name, size_t *len)
{
    size_t                  i, k;
    json_t                 *label;
    cmp_text_t              t, l;
    const char             *shape;
    const cmp_flow_node_t  *n, *to;

    memset(&t, 0, sizeof(cmp_text_t));

    cmp_text_literal(&t, "digraph ");
    cmp_flow_dot_string(&t, name, strlen(name));
    cmp_text_literal(&t, " {\n    rankdir=TB;\n    node [fontsize=10];\n");

    for (i = 0; i < flow->nnodes; i++) {
        n = &flow->nodes[i];

        if (n->id == NULL) {
            continue;
        }

        label = cmp_flow_label(n);
        shape = (n->type < CMP_NODE_UNKNOWN) ? cmp_node_defs[n->type].shape
                                             : "box";

        cmp_text_literal(&t, "    ");
        cmp_flow_dot_string(&t, n->id, n->id_len);
        cmp_text_addf(&t, " [shape=%s%s, label=", shape,
                      ((int) i == flow->start_node) ? ", peripheries=2"
                                                    : "");

        memset(&l, 0, sizeof(cmp_text_t));
        cmp_text_add(&l, n->id, n->id_len);
        cmp_text_addf(&l, " (%s)\n", cmp_flow_type_name(n));
        cmp_text_add(&l, json_string_value(label), json_string_length(label));

        cmp_flow_dot_string(&t, l.data ? l.data : "", l.len);
        cmp_text_free(&l);

        json_decref(label);
        cmp_text_literal(&t, "];\n");
    }

    for (i = 0; i < flow->nnodes; i++) {
        n = &flow->nodes[i];

        for (k = 0; k < n->nedges; k++) {
            if (n->id == NULL || n->edges[k].to < 0) {
                continue;
            }

            to = &flow->nodes[n->edges[k].to];

            cmp_text_literal(&t, "    ");
            cmp_flow_dot_string(&t, n->id, n->id_len);
            cmp_text_literal(&t, " -> ");
            cmp_flow_dot_string(&t, to->id, to->id_len);
            cmp_text_literal(&t, " [label=");
            cmp_flow_dot_string(&t, n->edges[k].label,
                                strlen(n->edges[k].label));

            if (n->edges[k].jump) {
                cmp_text_literal(&t, ", style=dashed");
            }

            cmp_text_literal(&t, "];\n");
        }
    }

    cmp_text_literal(&t, "}\n");

    if (t.failed) {
        cmp_text_free(&t);
        return NULL;
    }

    *len = t.len;

    return t.data;
}
