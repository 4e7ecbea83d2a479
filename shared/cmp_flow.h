
/*
 * Chat flow definitions (README "Chat flows"): the shape check on save,
 * the graph, the full validation on publish, and the preview of the graph.
 */


#ifndef _CMP_FLOW_H_INCLUDED_
#define _CMP_FLOW_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "cmp_provider.h"


#define CMP_FLOW_MAX_NODES   500


typedef enum {
    CMP_NODE_SEND = 0,            /* a provider's: node->provider */
    CMP_NODE_WAIT_FOR_REPLY,
    CMP_NODE_DELAY,
    CMP_NODE_CONDITION,
    CMP_NODE_SET_VARIABLE,
    CMP_NODE_JUMP,
    CMP_NODE_HTTP_REQUEST,
    CMP_NODE_FORWARD_TO_FLOW,
    CMP_NODE_END,
    CMP_NODE_UNKNOWN
} cmp_node_type_e;


typedef struct {
    char                 field[40];   /* "next", "branches[2].next" */
    char                 label[32];   /* "next", "branch 3" */
    const char          *target;      /* in the JSON; NULL: none */
    int                  to;          /* node index; -1: names no node */
    unsigned             jump:1;      /* a jump's target: bounded */
    unsigned             bad:1;       /* the field is not a string */
} cmp_flow_edge_t;


typedef struct {
    const char            *id;        /* NULL when "id" is no string */
    size_t                 id_len;
    cmp_node_type_e        type;
    const cmp_provider_t  *provider;  /* a send node's */
    json_t                *json;
    cmp_flow_edge_t       *edges;
    size_t                 nedges;
} cmp_flow_node_t;


/* a definition as a graph; it borrows the JSON, which must outlive it */
typedef struct {
    json_t              *definition;
    const char          *start;
    int                  start_node;  /* -1: no such node */
    cmp_flow_node_t     *nodes;
    size_t               nnodes;
    cmp_flow_edge_t     *edges;
    size_t              *sorted;      /* node indexes sorted by id */
} cmp_flow_t;


/* cmp_flow_check_shape() answers: */
#define CMP_FLOW_SHAPE_OK        0
#define CMP_FLOW_SHAPE_INVALID   1     /* 422 validation_failed */
#define CMP_FLOW_SHAPE_UNKNOWN   2     /* 422 unknown_field */

#define CMP_FLOW_FOUND        0
#define CMP_FLOW_MISSING      1

/* flow_status answers: */
#define CMP_FLOW_UNPUBLISHED  0
#define CMP_FLOW_PUBLISHED    1

/*
 * What the validator asks of the store.  Each callback answers
 * CMP_FLOW_FOUND, CMP_FLOW_MISSING, or a negative number when the store
 * failed (then the validation as a whole fails: it is no 422).
 */
typedef struct {
    int                (*channel_type)(void *data, const char *id,
                                       size_t len, char *type, size_t size);
    int                (*flow_status)(void *data, const char *id,
                                      size_t len, int *status);
    void                *data;
    const char          *self_id;     /* the flow being published */
    int                  rc;          /* the failed callback's answer */
} cmp_flow_lookup_t;


const char *cmp_flow_type_name(const cmp_flow_node_t *node);

int cmp_flow_check_shape(const json_t *def, char *field, size_t field_len,
    char *err, size_t err_len);

int cmp_flow_load(cmp_flow_t *flow, json_t *def);
void cmp_flow_free(cmp_flow_t *flow);
int cmp_flow_find(const cmp_flow_t *flow, const char *id, size_t len);

int cmp_flow_validate(const cmp_flow_t *flow, cmp_flow_lookup_t *lookup,
    json_t *errors);
json_t *cmp_flow_channels(const cmp_flow_t *flow);

json_t *cmp_flow_preview(const cmp_flow_t *flow);
char *cmp_flow_dot(const cmp_flow_t *flow, const char *name, size_t *len);


#endif /* _CMP_FLOW_H_INCLUDED_ */
