
/*
 * Node evaluation of a flow instance (README "Chat flows"): what
 * needs no outside world is decided here, on the instance's JSON alone.
 */


#ifndef _CMP_NODE_H_INCLUDED_
#define _CMP_NODE_H_INCLUDED_


#include <stdint.h>
#include <jansson.h>

#include "cmp_flow.h"
#include "cmp_template.h"


/* nodes walked in one go at most: a guard, validation bounds cycles */
#define CMP_NODE_WALK_MAX   1000


typedef enum {
    CMP_PARK_SEND = 0,      /* a send node: the caller queues a message */
    CMP_PARK_WAIT,          /* wait_for_reply until "wake_at" */
    CMP_PARK_DELAY,         /* delay until "wake_at" */
    CMP_PARK_HTTP,          /* http_request: the caller calls */
    CMP_PARK_FORWARD,       /* forward_to_flow */
    CMP_PARK_END,           /* the instance completed */
    CMP_PARK_FAIL           /* the instance failed ("error" says why) */
} cmp_park_e;


typedef enum {
    CMP_EVENT_SENT = 0,     /* the message of a send node was accepted */
    CMP_EVENT_SKIPPED,      /* a send node had nobody to send to */
    CMP_EVENT_REPLY,        /* the contact replied: text */
    CMP_EVENT_TIMEOUT,      /* a wait_for_reply's time is up */
    CMP_EVENT_WOKEN,        /* a delay is over */
    CMP_EVENT_HTTP_OK,      /* http_request answered 2xx JSON: answer */
    CMP_EVENT_HTTP_FAIL     /* http_request failed */
} cmp_event_e;


cmp_park_e cmp_node_walk(const cmp_flow_t *flow, json_t *inst,
    const json_t *contact, const cmp_template_ctx_t *ctx, int64_t now,
    const cmp_flow_node_t **parked);
int cmp_node_resume(const cmp_flow_t *flow, json_t *inst, cmp_event_e ev,
    const char *text, const json_t *answer);
const cmp_flow_node_t *cmp_node_current(const cmp_flow_t *flow,
    const json_t *inst);
const char *cmp_node_variable(const json_t *inst, const json_t *contact,
    const char *name, char *buf, size_t size);
const json_t *cmp_node_json_path(const json_t *json, const char *path);


#endif /* _CMP_NODE_H_INCLUDED_ */
