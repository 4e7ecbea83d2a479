
/*
 * The flow engine's parts (instances, send nodes, timers, http_request
 * nodes, the inbox, test sends) and what they share; no other file.
 */


#ifndef _CMP_ENGINE_INT_H_INCLUDED_
#define _CMP_ENGINE_INT_H_INCLUDED_


#include "cmp_engine.h"
#include "cmp_message.h"
#include "cmp_instance.h"
#include "cmp_inbox.h"
#include "cmp_queue.h"
#include "cmp_timer.h"
#include "cmp_counter.h"
#include "cmp_op.h"
#include "cmp_json_raw.h"


#define CMP_FLOW_CACHE       16


typedef struct {
    char              id[CMP_ID_MAX + 1];
    uint64_t          version;
    json_t           *rec;
    cmp_flow_t        flow;
    uint64_t          used;
} cmp_flow_cached_t;


struct cmp_engine_s {
    cmp_campaignd_t    *cd;
    cmp_store_t        *st;
    cmp_log_t          *log;
    uint64_t            clock;
    cmp_flow_cached_t   flows[CMP_FLOW_CACHE];

    /* the campaign last read, by its stored bytes: a run reads it often */
    char               *campaign_raw;
    size_t              campaign_len;
    json_t             *campaign;

    cmp_text_t          text;          /* a message record being written */

    /* the http_request nodes' calls */
    cmp_http_t         *http;
    cmp_http_owner_t    owner;
};


/* one instance being walked, inside a write txn */
typedef struct {
    cmp_engine_t       *e;
    cmp_txn_t          *txn;
    int64_t             now;
    unsigned char       key[CMP_INSTANCE_KEY_MAX];
    size_t              key_len;
    json_t             *inst;
    uint64_t            seq;
    uint64_t            version;
    json_t             *contact;
    json_t             *campaign;
    const cmp_flow_t   *flow;
} cmp_exec_t;


/* an http_request in flight */
typedef struct {
    cmp_engine_t       *e;
    unsigned char       key[CMP_INSTANCE_KEY_MAX];
    size_t              key_len;
} cmp_engine_call_t;


int cmp_engine_is(const json_t *v, const char *s);
int cmp_engine_run(cmp_exec_t *x);
int cmp_engine_finish(cmp_exec_t *x);
int cmp_engine_save(cmp_exec_t *x);
int cmp_engine_load(cmp_exec_t *x, const unsigned char *key, size_t len);
void cmp_engine_unload(cmp_exec_t *x);
int cmp_engine_live(const json_t *inst);
int cmp_engine_send(cmp_exec_t *x, const cmp_flow_node_t *node, int *parked);
int cmp_engine_wait_put(cmp_exec_t *x);
int cmp_engine_wait_del(cmp_exec_t *x);
int cmp_engine_set_timer(cmp_exec_t *x, int64_t due_ms);
int cmp_engine_clear_timer(cmp_exec_t *x);
void cmp_engine_http_start(cmp_engine_t *e, cmp_engine_call_t *call);
void cmp_engine_http_answers(void *data, cmp_http_req_t *reqs);


#endif /* _CMP_ENGINE_INT_H_INCLUDED_ */
