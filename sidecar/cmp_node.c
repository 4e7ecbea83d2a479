
/*
 * Flow nodes evaluated on an instance's JSON ("node", "variables",
 * "jumps", "wake_at", "status", "error"); the store side is cmp_engine.c.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_node.h"
#include "cmp_rule.h"


static int cmp_node_goto(const cmp_flow_t *flow, json_t *inst,
    const char *target);
static int cmp_node_condition(const cmp_flow_node_t *node, json_t *inst,
    const json_t *contact);
static int cmp_node_rules_match(const json_t *rules, int any, json_t *inst,
    const json_t *contact);
static void cmp_node_fail(json_t *inst, const char *fmt, const char *arg);
static void cmp_node_set_var(json_t *inst, const char *name,
    const char *value, size_t len);


const cmp_flow_node_t *
cmp_node_current(const cmp_flow_t *flow, const json_t *inst)
{
    int          i;
    const char  *id;

    id = json_string_value(json_object_get(inst, "node"));
    if (id == NULL) {
        return NULL;
    }

    i = cmp_flow_find(flow, id, strlen(id));

    return (i < 0) ? NULL : &flow->nodes[i];
}


/*
 * Moves to target; no target means the flow ends there (a node without
 * "next" ends the instance).  Returns 0 when it ended.
 */
static int
cmp_node_goto(const cmp_flow_t *flow, json_t *inst, const char *target)
{
    if (target == NULL || cmp_flow_find(flow, target, strlen(target)) < 0) {
        json_object_set_new(inst, "status", json_string("completed"));
        return 0;
    }

    json_object_set_new(inst, "node", json_string(target));

    return 1;
}


static void
cmp_node_fail(json_t *inst, const char *fmt, const char *arg)
{
    char  buf[256];

    snprintf(buf, sizeof(buf), fmt, arg ? arg : "");
    json_object_set_new(inst, "status", json_string("failed"));
    json_object_set_new(inst, "error", json_string(buf));
}


static void
cmp_node_set_var(json_t *inst, const char *name, const char *value,
    size_t len)
{
    json_t  *vars;

    vars = json_object_get(inst, "variables");

    if (!json_is_object(vars)) {
        vars = json_object();
        json_object_set_new(inst, "variables", vars);
    }

    json_object_set_new(vars, name, json_stringn(value, len));
}


/* a rule's variable as text; NULL when it is not set */
const char *
cmp_node_variable(const json_t *inst, const json_t *contact,
    const char *name, char *buf, size_t size)
{
    const json_t  *v;

    if (strcmp(name, "customer_phone_number") == 0) {
        v = json_object_get(contact, "phone");

    } else if (strcmp(name, "customer_name") == 0) {
        v = json_object_get(contact, "name");

    } else if (strncmp(name, "contact.attributes.", 19) == 0) {
        v = json_object_get(json_object_get(contact, "attributes"),
                            name + 19);

    } else {
        v = json_object_get(json_object_get(inst, "variables"), name);
    }

    if (json_is_string(v)) {
        return json_string_value(v);
    }

    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long) json_integer_value(v));
        return buf;
    }

    if (json_is_real(v)) {
        snprintf(buf, size, "%.17g", json_real_value(v));
        return buf;
    }

    if (json_is_boolean(v)) {
        return json_is_true(v) ? "true" : "false";
    }

    return NULL;
}


static int
cmp_node_rules_match(const json_t *rules, int any, json_t *inst,
    const json_t *contact)
{
    int          m;
    char         err[128], buf[64];
    size_t       i;
    json_t      *r;
    const char  *name, *actual;
    cmp_rule_t   rule;

    json_array_foreach(rules, i, r) {
        if (cmp_rule_compile(&rule, r, err, sizeof(err)) != 0) {
            m = 0;

        } else {
            name = json_string_value(json_object_get(r, "variable"));
            actual = cmp_node_variable(inst, contact, name ? name : "", buf,
                                       sizeof(buf));
            m = cmp_rule_match(&rule, actual, actual ? strlen(actual) : 0);
            cmp_rule_free(&rule);
        }

        if (any && m) {
            return 1;
        }

        if (!any && !m) {
            return 0;
        }
    }

    /* no rules: "all" of none holds, "any" of none does not */
    return !any;
}


/* the first branch whose rules match; else the "else" target */
static int
cmp_node_condition(const cmp_flow_node_t *node, json_t *inst,
    const json_t *contact)
{
    size_t       i;
    json_t      *b;
    const char  *match;

    json_array_foreach(json_object_get(node->json, "branches"), i, b) {
        match = json_string_value(json_object_get(b, "match"));

        if (cmp_node_rules_match(json_object_get(b, "rules"),
                                 match != NULL && strcmp(match, "any") == 0,
                                 inst, contact))
        {
            return (int) i;
        }
    }

    return -1;
}


/*
 * Walks from the current node until one that needs the outside world.
 * The instance's "status" says what it is afterwards: running (at a send
 * or http node), waiting (wait_for_reply, delay), completed or failed.
 */
cmp_park_e
cmp_node_walk(const cmp_flow_t *flow, json_t *inst, const json_t *contact,
    const cmp_template_ctx_t *ctx, int64_t now,
    const cmp_flow_node_t **parked)
{
    int                     n, b;
    char                   *value;
    size_t                  len;
    json_t                 *jumps, *v;
    json_int_t              max, taken;
    const char             *name, *target;
    const cmp_flow_node_t  *node;

    *parked = NULL;

    for (n = 0; n < CMP_NODE_WALK_MAX; n++) {
        node = cmp_node_current(flow, inst);

        if (node == NULL) {
            cmp_node_fail(inst, "node \"%s\" is not in the flow",
                          json_string_value(json_object_get(inst, "node")));
            return CMP_PARK_FAIL;
        }

        *parked = node;
        json_object_set_new(inst, "status", json_string("running"));

        switch (node->type) {

        case CMP_NODE_SEND:
            return CMP_PARK_SEND;

        case CMP_NODE_HTTP_REQUEST:
            return CMP_PARK_HTTP;

        case CMP_NODE_FORWARD_TO_FLOW:
            return CMP_PARK_FORWARD;

        case CMP_NODE_WAIT_FOR_REPLY:
            v = json_object_get(node->json, "timeout_seconds");
            json_object_set_new(inst, "wake_at",
                json_integer(now + (json_is_integer(v)
                                    ? json_integer_value(v) : 30)));
            json_object_set_new(inst, "status", json_string("waiting"));
            return CMP_PARK_WAIT;

        case CMP_NODE_DELAY:
            v = json_object_get(node->json, "seconds");
            json_object_set_new(inst, "wake_at",
                json_integer(now + (json_is_integer(v)
                                    ? json_integer_value(v) : 1)));
            json_object_set_new(inst, "status", json_string("waiting"));
            return CMP_PARK_DELAY;

        case CMP_NODE_END:
            json_object_set_new(inst, "status", json_string("completed"));
            return CMP_PARK_END;

        case CMP_NODE_CONDITION:
            b = cmp_node_condition(node, inst, contact);

            if (b >= 0) {
                target = json_string_value(json_object_get(
                             json_array_get(json_object_get(node->json,
                                                            "branches"), b),
                             "next"));
            } else {
                target = json_string_value(json_object_get(node->json,
                                                           "else"));
            }

            break;

        case CMP_NODE_SET_VARIABLE:
            name = json_string_value(json_object_get(node->json, "name"));
            v = json_object_get(node->json, "value");

            if (name != NULL) {
                value = json_is_string(v)
                        ? cmp_template_render(json_string_value(v),
                                              json_string_length(v), ctx,
                                              &len)
                        : NULL;

                if (value != NULL) {
                    cmp_node_set_var(inst, name, value, len);
                    free(value);

                } else {
                    cmp_node_set_var(inst, name, "", 0);
                }
            }

            target = json_string_value(json_object_get(node->json, "next"));
            break;

        case CMP_NODE_JUMP:
            jumps = json_object_get(inst, "jumps");

            if (!json_is_object(jumps)) {
                jumps = json_object();
                json_object_set_new(inst, "jumps", jumps);
            }

            max = json_integer_value(json_object_get(node->json,
                                                     "max_jumps"));
            taken = json_integer_value(json_object_getn(jumps, node->id,
                                                        node->id_len));

            if (taken < max) {
                json_object_setn_new(jumps, node->id, node->id_len,
                                     json_integer(taken + 1));
                target = json_string_value(json_object_get(node->json,
                                                           "target"));
            } else {
                target = json_string_value(json_object_get(node->json,
                                                           "next"));
            }

            break;

        default:
            cmp_node_fail(inst, "node type of \"%s\" is unknown",
                          json_string_value(json_object_get(inst, "node")));
            return CMP_PARK_FAIL;
        }

        if (!cmp_node_goto(flow, inst, target)) {
            return CMP_PARK_END;
        }
    }

    cmp_node_fail(inst, "more than 1000 nodes in a row without a stop%s",
                  NULL);

    return CMP_PARK_FAIL;
}


/*
 * What happened at the node the instance is parked at decides where it
 * goes on.  Returns 1 when the instance goes on (walk it), 0 when it
 * ended (status completed or failed).
 */
int
cmp_node_resume(const cmp_flow_t *flow, json_t *inst, cmp_event_e ev,
    const char *text, const json_t *answer)
{
    char                   *s;
    size_t                  i;
    json_t                 *save, *v;
    const char             *key, *target, *save_as, *path;
    const json_t           *found;
    const cmp_flow_node_t  *node;

    node = cmp_node_current(flow, inst);

    if (node == NULL) {
        cmp_node_fail(inst, "node \"%s\" is not in the flow",
                      json_string_value(json_object_get(inst, "node")));
        return 0;
    }

    json_object_del(inst, "wake_at");
    target = NULL;

    switch (ev) {

    case CMP_EVENT_SENT:
    case CMP_EVENT_SKIPPED:
    case CMP_EVENT_WOKEN:
        target = json_string_value(json_object_get(node->json, "next"));
        break;

    case CMP_EVENT_REPLY:
    case CMP_EVENT_TIMEOUT:
        save_as = json_string_value(json_object_get(node->json, "save_as"));

        if (ev == CMP_EVENT_TIMEOUT
            && json_object_get(node->json, "timeout") != NULL)
        {
            target = json_string_value(json_object_get(node->json,
                                                       "timeout"));
        } else {
            target = json_string_value(json_object_get(node->json,
                                                       "replied"));

            if (text == NULL) {
                text = "";
            }

            if (save_as != NULL) {
                cmp_node_set_var(inst, save_as, text, strlen(text));
            }

            cmp_node_set_var(inst, "incoming_message", text, strlen(text));
        }

        break;

    case CMP_EVENT_HTTP_OK:
        save = json_object_get(node->json, "save");

        json_object_foreach(save, key, v) {
            path = json_string_value(v);
            found = path ? cmp_node_json_path(answer, path) : NULL;

            if (json_is_string(found)) {
                cmp_node_set_var(inst, key, json_string_value(found),
                                 json_string_length(found));

            } else if (found != NULL && !json_is_null(found)) {
                s = json_dumps(found, JSON_COMPACT | JSON_ENCODE_ANY);

                if (s != NULL) {
                    cmp_node_set_var(inst, key, s, strlen(s));
                    free(s);
                }

            } else {
                cmp_node_set_var(inst, key, "", 0);
            }
        }

        target = json_string_value(json_object_get(node->json, "next"));
        break;

    case CMP_EVENT_HTTP_FAIL:
        target = json_string_value(json_object_get(node->json, "failure"));

        if (target == NULL) {
            cmp_node_fail(inst, "http_request \"%s\" failed and has no "
                          "failure branch", node->id);
            return 0;
        }

        break;
    }

    (void) i;

    return cmp_node_goto(flow, inst, target);
}


/* "a.b.0.c": objects by key, arrays by index */
const json_t *
cmp_node_json_path(const json_t *json, const char *path)
{
    char          part[128], *end;
    size_t        n;
    const char   *dot;
    unsigned long idx;

    while (json != NULL && *path != '\0') {
        dot = strchr(path, '.');
        n = dot ? (size_t) (dot - path) : strlen(path);

        if (n >= sizeof(part)) {
            return NULL;
        }

        memcpy(part, path, n);
        part[n] = '\0';

        if (json_is_array(json)) {
            idx = strtoul(part, &end, 10);
            json = (*end == '\0' && n > 0) ? json_array_get(json, idx)
                                            : NULL;

        } else {
            json = json_object_get(json, part);
        }

        path += n;

        if (*path == '.') {
            path++;
        }
    }

    return json;
}
