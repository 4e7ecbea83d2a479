
/*
 * Flow definitions: the validator (each defect alone, then all at once),
 * every rule operator, template rendering, the shape check and preview.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cmp_flow.h"
#include "cmp_rule.h"
#include "cmp_template.h"


/* a send node that is valid on its own */
#define S(id, extra)                                                          \
    "{\"id\":\"" id "\",\"type\":\"send_whatsapp\",\"channel_id\":\"wa1\","  \
    "\"message\":{\"type\":\"text\",\"text\":\"hi\"}" extra "}"

#define END(id)   "{\"id\":\"" id "\",\"type\":\"end\"}"

/* one character more than an id may have */
#define ID65      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"                          \
                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"


typedef struct {
    const char  *name;
    const char  *json;
    int          errors;       /* expected count; -1: at least one */
    const char  *node;         /* node of the first error; NULL: null */
    const char  *message;      /* a part of the first error's message */
} flow_case_t;


typedef struct {
    const char  *op;
    const char  *value;        /* JSON text of "value"; NULL: none */
    int          ignore_case;
    const char  *actual;       /* NULL: the variable is not set */
    int          match;
} rule_case_t;


typedef struct {
    const char  *tpl;
    const char  *out;
} template_case_t;


static int fake_channel_type(void *data, const char *id, size_t len,
    char *type, size_t size);
static int fake_flow_status(void *data, const char *id, size_t len,
    int *status);
static json_t *validate(const char *text, int *count);


static int
fake_channel_type(void *data, const char *id, size_t len, char *type,
    size_t size)
{
    (void) data;

    if (len == 3 && memcmp(id, "wa1", 3) == 0) {
        snprintf(type, size, "whatsapp");
        return CMP_FLOW_FOUND;
    }

    if (len == 3 && memcmp(id, "vb1", 3) == 0) {
        snprintf(type, size, "viber");
        return CMP_FLOW_FOUND;
    }

    if (len == 4 && memcmp(id, "fail", 4) == 0) {
        return -1;
    }

    return CMP_FLOW_MISSING;
}


static int
fake_flow_status(void *data, const char *id, size_t len, int *status)
{
    (void) data;

    if (len == 5 && memcmp(id, "other", 5) == 0) {
        *status = CMP_FLOW_PUBLISHED;
        return CMP_FLOW_FOUND;
    }

    if (len == 5 && memcmp(id, "draft", 5) == 0) {
        *status = CMP_FLOW_UNPUBLISHED;
        return CMP_FLOW_FOUND;
    }

    return CMP_FLOW_MISSING;
}


/* the errors array; *count is what the validator answered */
static json_t *
validate(const char *text, int *count)
{
    json_t             *def, *errors;
    cmp_flow_t          flow;
    json_error_t        err;
    cmp_flow_lookup_t   lookup;

    def = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (def == NULL) {
        fail_msg("bad test JSON: %s: %s", err.text, text);
    }

    memset(&lookup, 0, sizeof(lookup));
    lookup.channel_type = fake_channel_type;
    lookup.flow_status = fake_flow_status;
    lookup.self_id = "me";

    errors = json_array();

    assert_int_equal(cmp_flow_load(&flow, def), 0);
    *count = cmp_flow_validate(&flow, &lookup, errors);
    cmp_flow_free(&flow);

    json_decref(def);

    return errors;
}


static const flow_case_t  flow_cases[] = {

    { "the README's example is valid",
      "{\"start\":\"hello\",\"nodes\":["
      "{\"id\":\"hello\",\"type\":\"send_whatsapp\",\"channel_id\":\"wa1\","
      "\"message\":{\"type\":\"template\",\"template\":{\"name\":\"p\","
      "\"language\":\"en_US\",\"body_params\":[\"{{contact.name}}\","
      "\"{{contact.attributes.city}}\"]}},\"next\":\"ask\"},"
      "{\"id\":\"ask\",\"type\":\"wait_for_reply\",\"timeout_seconds\":3600,"
      "\"save_as\":\"answer\",\"replied\":\"check\",\"timeout\":\"nudge\"},"
      "{\"id\":\"check\",\"type\":\"condition\",\"branches\":[{\"match\":"
      "\"any\",\"rules\":[{\"variable\":\"answer\",\"op\":\"string_equals\","
      "\"value\":\"YES\"},{\"variable\":\"answer\",\"op\":"
      "\"string_starts_with\",\"value\":\"Y\"}],\"next\":\"coupon\"}],"
      "\"else\":\"bye\"},"
      "{\"id\":\"coupon\",\"type\":\"send_whatsapp\",\"channel_id\":\"wa1\","
      "\"message\":{\"type\":\"text\",\"text\":\"Code: {{vars.code}}\"},"
      "\"next\":\"bye\"},"
      "{\"id\":\"nudge\",\"type\":\"jump\",\"target\":\"hello\","
      "\"max_jumps\":1,\"next\":\"bye\"},"
      "{\"id\":\"bye\",\"type\":\"end\"}]}",
      0, NULL, NULL },

    { "every node type, valid",
      "{\"start\":\"s\",\"nodes\":["
      S("s", ",\"next\":\"v\"") ","
      "{\"id\":\"v\",\"type\":\"send_viber\",\"channel_id\":\"vb1\","
      "\"message\":{\"type\":\"text\",\"text\":\"hey\"},\"category\":"
      "\"transaction\",\"next\":\"d\"},"
      "{\"id\":\"d\",\"type\":\"delay\",\"seconds\":2592000,\"next\":\"x\"},"
      "{\"id\":\"x\",\"type\":\"set_variable\",\"name\":\"n\",\"value\":"
      "\"{{run.number}}\",\"next\":\"h\"},"
      "{\"id\":\"h\",\"type\":\"http_request\",\"method\":\"POST\",\"url\":"
      "\"https://crm/x?c={{contact.phone}}\",\"headers\":{\"X-Id\":"
      "\"{{campaign.id}}\"},\"body\":\"{}\",\"timeout_seconds\":30,"
      "\"save\":{\"code\":\"data.code\"},\"next\":\"f\",\"failure\":\"e\"},"
      "{\"id\":\"f\",\"type\":\"forward_to_flow\",\"flow_id\":\"other\"},"
      END("e") "]}",
      0, NULL, NULL },

    { "a cycle through a jump's target is bounded",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"j\"") ","
      "{\"id\":\"j\",\"type\":\"jump\",\"target\":\"s\",\"max_jumps\":100,"
      "\"next\":\"e\"}," END("e") "]}",
      0, NULL, NULL },

    { "start is missing",
      "{\"nodes\":[" S("s", "") "]}",
      1, NULL, "start is required" },

    { "start names no node",
      "{\"start\":\"x\",\"nodes\":[" S("s", "") "]}",
      1, NULL, "start names no node \"x\"" },

    { "an id with a space",
      "{\"start\":\"a b\",\"nodes\":[" S("a b", "") "]}",
      1, "a b", "id must be 1 to 64 characters" },

    { "an id of 65 characters",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"" ID65 "\"") ","
      END(ID65) "]}",
      1, ID65,
      "id must be 1 to 64 characters" },

    { "an id used twice",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"e\"") ","
      END("e") "," END("e") "]}",
      1, "e", "id is not unique: nodes[1] and nodes[2]" },

    { "next names no node",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"zz\"") "]}",
      1, "s", "next names no node \"zz\"" },

    { "a branch names no node",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"string_is_blank\"}],\"next\":\"q\"}]}]}",
      1, "c", "branches[0].next names no node \"q\"" },

    { "a node nobody reaches",
      "{\"start\":\"s\",\"nodes\":[" S("s", "") "," END("lost") "]}",
      1, "lost", "not reachable from start" },

    { "a cycle without a jump",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"d\"") ","
      "{\"id\":\"d\",\"type\":\"delay\",\"seconds\":5,\"next\":\"s\"}]}",
      1, "s", "cycle through s, d passes through no jump" },

    { "a node that leads to itself",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"s\"") "]}",
      1, "s", "cycle through s passes" },

    { "a cycle through a jump's next runs forever",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"j\"") ","
      "{\"id\":\"j\",\"type\":\"jump\",\"target\":\"e\",\"max_jumps\":1,"
      "\"next\":\"s\"}," END("e") "]}",
      1, "s", "passes through no jump" },

    { "a channel that does not exist",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_whatsapp\","
      "\"channel_id\":\"nope\",\"message\":{\"type\":\"text\","
      "\"text\":\"x\"}}]}",
      1, "s", "channel \"nope\" does not exist" },

    { "a Viber channel in a WhatsApp node",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_whatsapp\","
      "\"channel_id\":\"vb1\",\"message\":{\"type\":\"text\","
      "\"text\":\"x\"}}]}",
      1, "s", "channel \"vb1\" is a viber channel" },

    { "a WhatsApp channel in a Viber node",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_viber\","
      "\"channel_id\":\"wa1\",\"category\":\"promotion\",\"message\":{"
      "\"type\":\"text\",\"text\":\"x\"}}]}",
      1, "s", "channel \"wa1\" is a whatsapp channel" },

    { "a regex that does not compile",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"string_matches_regex\",\"value\":"
      "\"([a-z\"}]}]}]}",
      1, "c", "branches[0].rules[0]: regex does not compile" },

    { "a regex with a back-reference",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"string_contains_regex\",\"value\":"
      "\"(a)\\\\1\"}]}]}]}",
      1, "c", "back-references" },

    { "a regex that expands too far",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"string_contains_regex\",\"value\":"
      "\"((a{200}){200}){200}\"}]}]}]}",
      1, "c", "too complex" },

    /* found by the fuzzer: glibc copies the tree for each stacked "+" */
    { "a regex with stacked quantifiers",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"string_contains_regex\",\"value\":"
      "\"(a{2,3}|[[:alpha:]])++++++++++++++++++++++++\"}]}]}]}",
      1, "c", "repeats a quantifier" },

    { "no send node",
      "{\"start\":\"e\",\"nodes\":[" END("e") "]}",
      1, NULL, "at least one send_whatsapp or send_viber" },

    { "wait_for_reply timeout out of range",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"w\"") ","
      "{\"id\":\"w\",\"type\":\"wait_for_reply\",\"timeout_seconds\":"
      "604801}]}",
      1, "w", "timeout_seconds must be an integer from 1 to 604800" },

    { "delay without seconds",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"d\"") ","
      "{\"id\":\"d\",\"type\":\"delay\"}]}",
      1, "d", "seconds is required" },

    { "delay too long",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"d\"") ","
      "{\"id\":\"d\",\"type\":\"delay\",\"seconds\":2592001}]}",
      1, "d", "seconds must be an integer from 1 to 2592000" },

    { "max_jumps 101",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"j\"") ","
      "{\"id\":\"j\",\"type\":\"jump\",\"target\":\"s\",\"max_jumps\":101}"
      "]}",
      1, "j", "max_jumps must be an integer from 1 to 100" },

    { "a jump without target",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"j\"") ","
      "{\"id\":\"j\",\"type\":\"jump\",\"max_jumps\":1}]}",
      1, "j", "target is required" },

    { "http_request with PUT",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"h\"") ","
      "{\"id\":\"h\",\"type\":\"http_request\",\"method\":\"PUT\","
      "\"url\":\"https://x\"}]}",
      1, "h", "method must be GET or POST" },

    { "http_request timeout 31",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"h\"") ","
      "{\"id\":\"h\",\"type\":\"http_request\",\"method\":\"GET\","
      "\"url\":\"https://x\",\"timeout_seconds\":31}]}",
      1, "h", "timeout_seconds must be an integer from 1 to 30" },

    { "Viber category not promotion or transaction",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_viber\","
      "\"channel_id\":\"vb1\",\"category\":\"spam\",\"message\":{"
      "\"type\":\"text\",\"text\":\"x\"}}]}",
      1, "s", "category must be promotion or transaction" },

    { "Viber does not send templates",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_viber\","
      "\"channel_id\":\"vb1\",\"category\":\"promotion\",\"message\":{"
      "\"type\":\"template\",\"template\":{\"name\":\"a\","
      "\"language\":\"en\"}}}]}",
      1, "s", "message.type must be text" },

    { "a {{ never closed",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_whatsapp\","
      "\"channel_id\":\"wa1\",\"message\":{\"type\":\"text\","
      "\"text\":\"Hi {{contact.name\"}}]}",
      1, "s", "message.text: \"{{\" at character 4 is not closed" },

    { "an unknown placeholder in a body parameter",
      "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":\"send_whatsapp\","
      "\"channel_id\":\"wa1\",\"message\":{\"type\":\"template\","
      "\"template\":{\"name\":\"t\",\"language\":\"en\",\"body_params\":"
      "[\"{{contact.city}}\"]}}}]}",
      1, "s", "message.template.body_params[0]: unknown placeholder" },

    { "forward to this flow itself",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"f\"") ","
      "{\"id\":\"f\",\"type\":\"forward_to_flow\",\"flow_id\":\"me\"}]}",
      1, "f", "names this flow itself" },

    { "forward to an unpublished flow",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"f\"") ","
      "{\"id\":\"f\",\"type\":\"forward_to_flow\",\"flow_id\":\"draft\"}]}",
      1, "f", "flow \"draft\" is not published" },

    { "an unknown node type",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"x\"") ","
      "{\"id\":\"x\",\"type\":\"teleport\"}]}",
      1, "x", "type \"teleport\" is not a node type" },

    { "a rule with an unknown operator",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"is_nice\",\"value\":\"x\"}]}]}]}",
      1, "c", "op \"is_nice\" is not an operator" },

    { "a number rule without a number",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"number_equals\",\"value\":\"ten\"}]}]}]}",
      1, "c", "number_equals needs a number" },

    { "a date rule with a bad date",
      "{\"start\":\"s\",\"nodes\":[" S("s", ",\"next\":\"c\"") ","
      "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
      "\"variable\":\"a\",\"op\":\"date_less_than\",\"value\":"
      "\"2026-02-30\"}]}]}]}",
      1, "c", "date_less_than needs a date" },
};


static void
test_validator_each_defect(void **state)
{
    int           count;
    size_t        i;
    json_t       *errors, *first;
    const char   *node, *msg;

    (void) state;

    for (i = 0; i < sizeof(flow_cases) / sizeof(flow_cases[0]); i++) {
        errors = validate(flow_cases[i].json, &count);

        if (count != flow_cases[i].errors) {
            fail_msg("%s: %d errors, expected %d: %s", flow_cases[i].name,
                     count, flow_cases[i].errors,
                     json_dumps(errors, JSON_COMPACT));
        }

        if (count > 0) {
            first = json_array_get(errors, 0);
            node = json_string_value(json_object_get(first, "node"));
            msg = json_string_value(json_object_get(first, "message"));

            if (flow_cases[i].node == NULL) {
                assert_true(json_is_null(json_object_get(first, "node")));

            } else if (node == NULL
                       || strcmp(node, flow_cases[i].node) != 0)
            {
                fail_msg("%s: node %s", flow_cases[i].name,
                         node ? node : "null");
            }

            if (msg == NULL || strstr(msg, flow_cases[i].message) == NULL) {
                fail_msg("%s: message \"%s\"", flow_cases[i].name,
                         msg ? msg : "");
            }
        }

        json_decref(errors);
    }
}


/* every defect in one definition: each is reported, none hides another */
static void
test_validator_all_defects(void **state)
{
    int          count;
    char        *dump;
    size_t       i;
    json_t      *errors;
    static const char *const  expect[] = {
        "\"node\":\"bad id\",\"message\":\"id must be 1 to 64",
        "\"node\":\"e\",\"message\":\"id is not unique",
        "\"node\":\"s\",\"message\":\"next names no node \\\"zz\\\"",
        "\"node\":\"s\",\"message\":\"channel \\\"nope\\\" does not exist",
        "\"node\":\"s\",\"message\":\"message.text: \\\"{{\\\" at",
        "\"node\":\"v\",\"message\":\"channel \\\"wa1\\\" is a whatsapp",
        "\"node\":\"v\",\"message\":\"category must be",
        "\"node\":\"c\",\"message\":\"branches[0].rules[0]: regex does not",
        "\"node\":\"d\",\"message\":\"seconds must be an integer",
        "\"node\":\"w\",\"message\":\"timeout_seconds must be",
        "\"node\":\"j\",\"message\":\"max_jumps must be",
        "\"node\":\"h\",\"message\":\"method must be GET or POST",
        "\"node\":\"h\",\"message\":\"timeout_seconds must be an integer "
            "from 1 to 30",
        "\"node\":\"f\",\"message\":\"flow \\\"ghost\\\" does not exist",
        "\"node\":\"lost\",\"message\":\"node is not reachable",
        "\"node\":\"c\",\"message\":\"cycle through c, d passes",
    };

    (void) state;

    errors = validate(
        "{\"start\":\"s\",\"nodes\":["
        "{\"id\":\"s\",\"type\":\"send_whatsapp\",\"channel_id\":\"nope\","
        "\"message\":{\"type\":\"text\",\"text\":\"{{oops\"},\"next\":\"zz\"},"
        "{\"id\":\"v\",\"type\":\"send_viber\",\"channel_id\":\"wa1\","
        "\"category\":\"x\",\"message\":{\"type\":\"text\",\"text\":\"a\"},"
        "\"next\":\"c\"},"
        "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"rules\":[{"
        "\"variable\":\"a\",\"op\":\"string_matches_regex\",\"value\":\"[\"}"
        "],\"next\":\"d\"}],\"else\":\"w\"},"
        "{\"id\":\"d\",\"type\":\"delay\",\"seconds\":0,\"next\":\"c\"},"
        "{\"id\":\"w\",\"type\":\"wait_for_reply\",\"timeout_seconds\":0,"
        "\"replied\":\"j\"},"
        "{\"id\":\"j\",\"type\":\"jump\",\"target\":\"v\",\"max_jumps\":0,"
        "\"next\":\"h\"},"
        "{\"id\":\"h\",\"type\":\"http_request\",\"method\":\"PUT\","
        "\"url\":\"https://x\",\"timeout_seconds\":99,\"next\":\"f\"},"
        "{\"id\":\"f\",\"type\":\"forward_to_flow\",\"flow_id\":\"ghost\"},"
        "{\"id\":\"bad id\",\"type\":\"end\"},"
        "{\"id\":\"e\",\"type\":\"end\"},{\"id\":\"e\",\"type\":\"end\"},"
        "{\"id\":\"lost\",\"type\":\"end\"}]}", &count);

    dump = json_dumps(errors, JSON_COMPACT);

    for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        if (strstr(dump, expect[i]) == NULL) {
            fail_msg("missing %s in %s", expect[i], dump);
        }
    }

    assert_int_equal(count, (int) json_array_size(errors));
    assert_true(count >= (int) (sizeof(expect) / sizeof(expect[0])));

    free(dump);
    json_decref(errors);
}


static void
test_validator_limits(void **state)
{
    int          count;
    size_t       i;
    char        *text, *p, *big;
    json_t      *errors;

    (void) state;

    /* 501 nodes in a line: only the limit is wrong */
    text = malloc(501 * 64 + 128);
    assert_non_null(text);

    p = text + sprintf(text, "{\"start\":\"n0\",\"nodes\":[");
    p += sprintf(p, S("n0", ",\"next\":\"n1\""));

    for (i = 1; i < 500; i++) {
        p += sprintf(p, ",{\"id\":\"n%zu\",\"type\":\"delay\",\"seconds\":1,"
                     "\"next\":\"n%zu\"}", i, i + 1);
    }

    sprintf(p, ",{\"id\":\"n500\",\"type\":\"end\"}]}");

    errors = validate(text, &count);
    assert_int_equal(count, 1);
    assert_non_null(strstr(json_string_value(json_object_get(
        json_array_get(errors, 0), "message")), "at most 500 nodes"));
    json_decref(errors);
    free(text);

    /* Viber text: 7000 characters pass, 7001 do not (UTF-8, 3 bytes) */
    big = malloc(7001 * 3 + 1);
    text = malloc(7001 * 3 + 512);
    assert_non_null(big);
    assert_non_null(text);

    for (i = 0; i < 7001; i++) {
        memcpy(big + i * 3, "\xe4\xbd\xa0", 3);
    }

    big[7000 * 3] = '\0';
    sprintf(text, "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":"
            "\"send_viber\",\"channel_id\":\"vb1\",\"category\":"
            "\"promotion\",\"message\":{\"type\":\"text\",\"text\":\"%s\"}}"
            "]}", big);
    errors = validate(text, &count);
    assert_int_equal(count, 0);
    json_decref(errors);

    memcpy(big + 7000 * 3, "\xe4\xbd\xa0", 3);
    big[7001 * 3] = '\0';
    sprintf(text, "{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":"
            "\"send_viber\",\"channel_id\":\"vb1\",\"category\":"
            "\"promotion\",\"message\":{\"type\":\"text\",\"text\":\"%s\"}}"
            "]}", big);
    errors = validate(text, &count);
    assert_int_equal(count, 1);
    assert_non_null(strstr(json_string_value(json_object_get(
        json_array_get(errors, 0), "message")), "1 to 7000 characters"));
    json_decref(errors);

    free(big);
    free(text);
}


static void
test_validator_lookup_failure(void **state)
{
    int      count;
    json_t  *errors;

    (void) state;

    /* a store failure is no validation error: the caller answers 503 */
    errors = validate("{\"start\":\"s\",\"nodes\":[{\"id\":\"s\",\"type\":"
                      "\"send_whatsapp\",\"channel_id\":\"fail\",\"message\":"
                      "{\"type\":\"text\",\"text\":\"x\"}}]}", &count);
    assert_int_equal(count, -1);
    json_decref(errors);
}


static void
test_shape(void **state)
{
    int            rc;
    char           field[256], err[256];
    size_t         i;
    json_t        *def;
    static const struct {
        const char  *json;
        int          rc;
        const char  *field;
    } cases[] = {
        { "{\"start\":\"x\",\"nodes\":[{\"id\":\"a\",\"type\":\"end\"}]}",
          CMP_FLOW_SHAPE_OK, "" },
        /* a draft may name nodes it lacks: that is publish's business */
        { "{\"start\":\"nowhere\",\"nodes\":[{\"id\":\"a\",\"type\":"
          "\"jump\",\"target\":\"b\",\"max_jumps\":500}]}",
          CMP_FLOW_SHAPE_OK, "" },
        { "[]", CMP_FLOW_SHAPE_INVALID, "definition" },
        { "{\"nodes\":{}}", CMP_FLOW_SHAPE_INVALID, "definition.nodes" },
        { "{\"start\":1,\"nodes\":[]}", CMP_FLOW_SHAPE_INVALID,
          "definition.start" },
        { "{\"nodes\":[],\"extra\":1}", CMP_FLOW_SHAPE_UNKNOWN,
          "definition.extra" },
        { "{\"nodes\":[{\"type\":\"end\"}]}", CMP_FLOW_SHAPE_INVALID,
          "definition.nodes[0].id" },
        { "{\"nodes\":[{\"id\":\"a\",\"type\":\"nope\"}]}",
          CMP_FLOW_SHAPE_INVALID, "definition.nodes[0].type" },
        { "{\"nodes\":[{\"id\":\"a\",\"type\":\"delay\",\"seconds\":\"5\"}]}",
          CMP_FLOW_SHAPE_INVALID, "definition.nodes[0].seconds" },
        { "{\"nodes\":[{\"id\":\"a\",\"type\":\"delay\",\"secs\":5}]}",
          CMP_FLOW_SHAPE_UNKNOWN, "definition.nodes[0].secs" },
        { "{\"nodes\":[{\"id\":\"a\",\"type\":\"condition\",\"branches\":"
          "[{\"rules\":[{\"variable\":\"x\",\"op\":\"string_equals\","
          "\"value\":\"a\",\"ignorecase\":true}]}]}]}",
          CMP_FLOW_SHAPE_UNKNOWN,
          "definition.nodes[0].branches[0].rules[0].ignorecase" },
        { "{\"nodes\":[{\"id\":\"a\",\"type\":\"send_whatsapp\",\"message\":"
          "{\"type\":\"template\",\"template\":{\"body_params\":[1]}}}]}",
          CMP_FLOW_SHAPE_INVALID,
          "definition.nodes[0].message.template.body_params[0]" },
        { "{\"nodes\":[{\"id\":\"a\",\"type\":\"http_request\",\"headers\":"
          "{\"X\":5}}]}",
          CMP_FLOW_SHAPE_INVALID, "definition.nodes[0].headers.X" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        def = json_loads(cases[i].json, 0, NULL);
        assert_non_null(def);

        field[0] = '\0';
        rc = cmp_flow_check_shape(def, field, sizeof(field), err,
                                  sizeof(err));

        if (rc != cases[i].rc || strcmp(field, cases[i].field) != 0) {
            fail_msg("%s: rc %d field \"%s\" (%s)", cases[i].json, rc,
                     field, err);
        }

        json_decref(def);
    }
}


static const rule_case_t  rule_cases[] = {
    { "string_equals", "\"YES\"", 0, "YES", 1 },
    { "string_equals", "\"YES\"", 0, "yes", 0 },
    { "string_equals", "\"YES\"", 1, "yes", 1 },
    { "string_equals", "\"YES\"", 0, NULL, 0 },
    { "string_equals", "\"\"", 0, NULL, 1 },
    { "string_equals", "\"ÉCOLE\"", 1, "école", 1 },
    { "string_equals", "\"ПРИВЕТ\"", 1, "привет", 1 },
    { "string_equals", "\"你好\"", 1, "你好", 1 },
    { "string_contains", "\"code\"", 0, "your code is", 1 },
    { "string_contains", "\"CODE\"", 0, "your code is", 0 },
    { "string_contains", "\"CODE\"", 1, "your code is", 1 },
    { "string_contains", "\"\"", 0, "anything", 1 },
    { "string_starts_with", "\"Y\"", 0, "Yes", 1 },
    { "string_starts_with", "\"Y\"", 0, "yes", 0 },
    { "string_starts_with", "\"Y\"", 1, "yes", 1 },
    { "string_starts_with", "\"Yes please\"", 0, "Yes", 0 },
    { "string_is_blank", NULL, 0, "", 1 },
    { "string_is_blank", NULL, 0, NULL, 1 },
    { "string_is_blank", NULL, 0, " \t\r\n", 1 },
    { "string_is_blank", NULL, 0, "\xe3\x80\x80\xc2\xa0", 1 },
    { "string_is_blank", NULL, 0, " x ", 0 },
    { "string_is_not_blank", NULL, 0, " x ", 1 },
    { "string_is_not_blank", NULL, 0, "  ", 0 },
    { "string_is_not_blank", NULL, 0, NULL, 0 },
    { "string_matches_regex", "\"[0-9]{4}\"", 0, "1234", 1 },
    { "string_matches_regex", "\"[0-9]{4}\"", 0, "12345", 0 },
    { "string_matches_regex", "\"[0-9]{4}\"", 0, "a1234", 0 },
    { "string_matches_regex", "\"a|ab\"", 0, "ab", 1 },
    { "string_matches_regex", "\"yes|no\"", 0, "YES", 0 },
    { "string_matches_regex", "\"yes|no\"", 1, "YES", 1 },
    { "string_contains_regex", "\"[0-9]{4}\"", 0, "code 1234 ok", 1 },
    { "string_contains_regex", "\"^[0-9]+$\"", 0, "code 1234", 0 },
    { "string_contains_regex", "\"stop\"", 1, "please STOP now", 1 },
    { "string_contains_regex", "\"привет\"", 1,
      "ПРИВЕТ мир", 1 },
    { "string_matches_regex", "\"[[:alpha:]]+\"", 0, "abc", 1 },
    { "number_equals", "10", 0, "10", 1 },
    { "number_equals", "10", 0, " 10.0 ", 1 },
    { "number_equals", "\"1.5\"", 0, "1.50", 1 },
    { "number_equals", "10", 0, "ten", 0 },
    { "number_equals", "10", 0, NULL, 0 },
    { "number_equals", "10", 0, "0x0a", 0 },
    { "number_greater_than", "2", 0, "3", 1 },
    { "number_greater_than", "2", 0, "2", 0 },
    { "number_greater_than", "-1.5", 0, "-1", 1 },
    { "number_less_than", "2", 0, "1e0", 1 },
    { "number_less_than", "2", 0, "2", 0 },
    { "number_less_than", "2", 0, "nan", 0 },
    { "date_equals", "\"1990-05-01\"", 0, "1990-05-01", 1 },
    { "date_equals", "\"1990-05-01\"", 0, "1990-05-02", 0 },
    { "date_equals", "\"1990-05-01\"", 0, "1990-05-01T23:30:00+08:00", 1 },
    { "date_equals", "\"2026-01-01T00:00:00Z\"", 0,
      "2026-01-01T08:00:00+08:00", 1 },
    { "date_greater_than", "\"2026-01-01\"", 0, "2026-01-02", 1 },
    { "date_greater_than", "\"2026-01-01\"", 0, "2026-01-01T23:59:59Z", 0 },
    { "date_greater_than", "\"2026-01-01T10:00:00Z\"", 0,
      "2026-01-01T10:00:01Z", 1 },
    { "date_less_than", "\"2026-01-01\"", 0, "2025-12-31", 1 },
    { "date_less_than", "\"2026-01-01\"", 0, "2026-13-01", 0 },
    { "date_less_than", "\"2026-01-01\"", 0, NULL, 0 },
    { "date_less_than", "\"2024-03-01\"", 0, "2024-02-29", 1 },
};


static void
test_rules(void **state)
{
    char         text[256], err[256];
    size_t       i;
    json_t      *json;
    cmp_rule_t   rule;
    const char  *a;

    (void) state;

    for (i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
        snprintf(text, sizeof(text), "{\"variable\":\"v\",\"op\":\"%s\"%s%s"
                 "%s}", rule_cases[i].op,
                 rule_cases[i].value ? ",\"value\":" : "",
                 rule_cases[i].value ? rule_cases[i].value : "",
                 rule_cases[i].ignore_case ? ",\"ignore_case\":true" : "");

        json = json_loads(text, 0, NULL);
        assert_non_null(json);

        if (cmp_rule_compile(&rule, json, err, sizeof(err)) != 0) {
            fail_msg("%s: %s", text, err);
        }

        a = rule_cases[i].actual;

        if (cmp_rule_match(&rule, a, a ? strlen(a) : 0)
            != rule_cases[i].match)
        {
            fail_msg("%s against \"%s\": expected %d", text,
                     a ? a : "(unset)", rule_cases[i].match);
        }

        cmp_rule_free(&rule);
        json_decref(json);
    }

    assert_int_equal(cmp_rule_op("date_equals"), CMP_RULE_DATE_EQUALS);
    assert_int_equal(cmp_rule_op("nope"), CMP_RULE_UNKNOWN);
}


static void
test_rule_refusals(void **state)
{
    char         err[256];
    size_t       i;
    json_t      *json;
    cmp_rule_t   rule;
    static const char *const  bad[] = {
        "{\"variable\":\"v\",\"op\":\"string_equals\"}",
        "{\"variable\":\"v\",\"op\":\"string_equals\",\"value\":1}",
        "{\"variable\":\"v\",\"op\":\"string_is_blank\",\"value\":\"x\"}",
        "{\"variable\":\"\",\"op\":\"string_is_blank\"}",
        "{\"variable\":\"v\",\"op\":\"string_equals\",\"value\":\"a\","
            "\"ignore_case\":1}",
        "{\"variable\":\"v\",\"op\":\"string_matches_regex\",\"value\":\"\"}",
        "{\"variable\":\"v\",\"op\":\"string_matches_regex\","
            "\"value\":\"a{1000}\"}",
        "{\"variable\":\"v\",\"op\":\"number_less_than\",\"value\":\"inf\"}",
        "{\"variable\":\"v\",\"op\":\"date_equals\",\"value\":\"01/05/1990\"}",
        "{\"variable\":\"v\",\"op\":\"date_equals\","
            "\"value\":\"2026-01-01T10:00:00\"}",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json = json_loads(bad[i], 0, NULL);
        assert_non_null(json);

        if (cmp_rule_compile(&rule, json, err, sizeof(err)) == 0) {
            fail_msg("accepted %s", bad[i]);
        }

        cmp_rule_free(&rule);
        json_decref(json);
    }
}


/*
 * Patterns that backtrack exponentially stay cheap: the match limits end
 * them, and a rule that hit a limit simply does not match.
 */
static void
test_rule_regex_limits(void **state)
{
    char          err[256], subject[64];
    size_t        i;
    clock_t       start;
    json_t       *json;
    cmp_rule_t    rule;
    static const char *const  patterns[] = {
        "{\"variable\":\"v\",\"op\":\"string_matches_regex\","
            "\"value\":\"(a|a)+$\"}",
        "{\"variable\":\"v\",\"op\":\"string_contains_regex\","
            "\"value\":\"((a*)*)*c\"}",
        "{\"variable\":\"v\",\"op\":\"string_matches_regex\","
            "\"value\":\"(x+x+)+y\"}",
    };

    (void) state;

    memset(subject, 'a', 40);
    memcpy(subject + 40, "xxxxxxxxxxxxxxxxxxxxb", 22);

    for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        json = json_loads(patterns[i], 0, NULL);
        assert_non_null(json);

        if (cmp_rule_compile(&rule, json, err, sizeof(err)) != 0) {
            fail_msg("%s: %s", patterns[i], err);
        }

        start = clock();
        assert_false(cmp_rule_match(&rule, subject, strlen(subject)));
        assert_true(clock() - start < CLOCKS_PER_SEC);

        cmp_rule_free(&rule);
        json_decref(json);
    }
}


static const template_case_t  template_cases[] = {
    { "Hi {{contact.name}}!", "Hi Li Lei!" },
    { "{{contact.phone}}", "+8613800000000" },
    { "{{ contact.name }}", "Li Lei" },
    { "{{contact.attributes.city}}", "杭州" },
    { "{{contact.attributes.tier}} {{contact.attributes.vip}}", "2 true" },
    { "{{contact.attributes.score}}", "4.5" },
    { "[{{contact.attributes.missing}}]", "[]" },
    { "{{vars.code}}/{{vars.城市}}", "X1/上海" },
    { "[{{vars.nothing}}]", "[]" },
    { "{{campaign.id}} {{campaign.name}} {{group.id}} {{run.number}}",
      "cp_1 双十一 vip 3" },
    { "你好 {{contact.name}}，再见", "你好 Li Lei，再见" },
    { "{ single } and }} and {x}", "{ single } and }} and {x}" },
    { "", "" },
    { "no placeholders", "no placeholders" },
};


static void
test_template_render(void **state)
{
    char                *out;
    size_t               i, len;
    json_t              *contact, *vars;
    cmp_template_ctx_t   ctx, empty;

    (void) state;

    contact = json_loads("{\"name\":\"Li Lei\",\"phone\":\"+8613800000000\","
                         "\"attributes\":{\"city\":\"杭州\",\"tier\":2,"
                         "\"vip\":true,\"score\":4.5}}", 0, NULL);
    vars = json_loads("{\"code\":\"X1\",\"城市\":\"上海\"}", 0, NULL);
    assert_non_null(contact);
    assert_non_null(vars);

    memset(&ctx, 0, sizeof(ctx));
    ctx.contact = contact;
    ctx.vars = vars;
    ctx.campaign_id = "cp_1";
    ctx.campaign_name = "双十一";
    ctx.group_id = "vip";
    ctx.run = 3;

    for (i = 0; i < sizeof(template_cases) / sizeof(template_cases[0]); i++)
    {
        out = cmp_template_render(template_cases[i].tpl,
                                  strlen(template_cases[i].tpl), &ctx, &len);
        assert_non_null(out);

        if (strcmp(out, template_cases[i].out) != 0
            || len != strlen(template_cases[i].out))
        {
            fail_msg("\"%s\" rendered \"%s\"", template_cases[i].tpl, out);
        }

        free(out);
    }

    /* nothing known: every placeholder is empty, nothing crashes */
    memset(&empty, 0, sizeof(empty));

    out = cmp_template_render("a{{contact.name}}b{{run.number}}c"
                              "{{contact.attributes.x}}{{campaign.id}}",
                              sizeof("a{{contact.name}}b{{run.number}}c"
                                     "{{contact.attributes.x}}"
                                     "{{campaign.id}}") - 1, &empty, &len);
    assert_non_null(out);
    assert_string_equal(out, "abc");
    free(out);

    json_decref(contact);
    json_decref(vars);
}


static void
test_template_check(void **state)
{
    char         err[256];
    size_t       i;
    static const struct {
        const char  *tpl;
        int          ok;
        const char  *message;
    } cases[] = {
        { "Hi {{contact.name}}", 1, NULL },
        { "{{vars.城市}} {{contact.attributes.生日}}", 1, NULL },
        { "{ not a placeholder }", 1, NULL },
        { "}} stray closers }}", 1, NULL },
        { "Hi {{contact.name", 0, "\"{{\" at character 4 is not closed" },
        { "你好 {{", 0, "\"{{\" at character 4 is not closed" },
        { "{{ {{contact.name}}", 0, "at character 1 is not closed" },
        { "{{}}", 0, "unknown placeholder \"{{}}\"" },
        { "{{contact.email}}", 0, "unknown placeholder" },
        { "{{vars.}}", 0, "unknown placeholder" },
        { "{{vars.a b}}", 0, "unknown placeholder" },
        { "{{vars.a}}{{run}}", 0, "at character 11" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';

        if ((cmp_template_check(cases[i].tpl, strlen(cases[i].tpl), err,
                                sizeof(err)) == 0) != cases[i].ok)
        {
            fail_msg("\"%s\": %s", cases[i].tpl, err);
        }

        if (!cases[i].ok && strstr(err, cases[i].message) == NULL) {
            fail_msg("\"%s\": message \"%s\"", cases[i].tpl, err);
        }
    }
}


static void
test_preview(void **state)
{
    char        *dot, *dump;
    size_t       len;
    json_t      *def, *preview;
    cmp_flow_t   flow;

    (void) state;

    def = json_loads("{\"start\":\"s\",\"nodes\":["
                     S("s", ",\"next\":\"j\",\"label\":\"Say \\\"hi\\\"\"")
                     ",{\"id\":\"j\",\"type\":\"jump\",\"target\":\"s\","
                     "\"max_jumps\":2,\"next\":\"e\"}," END("e") "]}",
                     0, NULL);
    assert_non_null(def);
    assert_int_equal(cmp_flow_load(&flow, def), 0);

    preview = cmp_flow_preview(&flow);
    dump = json_dumps(preview, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(dump,
        "{\"nodes\":[{\"id\":\"s\",\"type\":\"send_whatsapp\","
        "\"label\":\"Say \\\"hi\\\"\"},{\"id\":\"j\",\"type\":\"jump\","
        "\"label\":\"jump to s, max_jumps 2\"},{\"id\":\"e\","
        "\"type\":\"end\",\"label\":\"end\"}],"
        "\"edges\":[{\"from\":\"s\",\"to\":\"j\",\"label\":\"next\"},"
        "{\"from\":\"j\",\"to\":\"s\",\"label\":\"jump\"},"
        "{\"from\":\"j\",\"to\":\"e\",\"label\":\"next\"}]}");
    free(dump);
    json_decref(preview);

    dot = cmp_flow_dot(&flow, "flow-x", &len);
    assert_non_null(dot);
    assert_int_equal(len, strlen(dot));
    assert_string_equal(dot,
        "digraph \"flow-x\" {\n"
        "    rankdir=TB;\n"
        "    node [fontsize=10];\n"
        "    \"s\" [shape=box, peripheries=2, label=\"s (send_whatsapp)\\n"
        "Say \\\"hi\\\"\"];\n"
        "    \"j\" [shape=cds, label=\"j (jump)\\njump to s, max_jumps 2\"];\n"
        "    \"e\" [shape=doublecircle, label=\"e (end)\\nend\"];\n"
        "    \"s\" -> \"j\" [label=\"next\"];\n"
        "    \"j\" -> \"s\" [label=\"jump\", style=dashed];\n"
        "    \"j\" -> \"e\" [label=\"next\"];\n"
        "}\n");
    free(dot);

    preview = cmp_flow_channels(&flow);
    assert_int_equal(json_array_size(preview), 1);
    assert_string_equal(json_string_value(json_array_get(preview, 0)),
                        "wa1");
    json_decref(preview);

    cmp_flow_free(&flow);
    json_decref(def);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_validator_each_defect),
        cmocka_unit_test(test_validator_all_defects),
        cmocka_unit_test(test_validator_limits),
        cmocka_unit_test(test_validator_lookup_failure),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rule_refusals),
        cmocka_unit_test(test_rule_regex_limits),
        cmocka_unit_test(test_template_render),
        cmocka_unit_test(test_template_check),
        cmocka_unit_test(test_preview),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
