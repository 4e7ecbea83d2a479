
/*
 * The flow engine: one instance per contact per run (and per test send),
 * walked node by node, its state in the store so that it survives restarts.
 */


#ifndef _CMP_ENGINE_H_INCLUDED_
#define _CMP_ENGINE_H_INCLUDED_


#include <stdint.h>
#include <jansson.h>

#include "cmp_campaignd.h"
#include "cmp_node.h"
#include "cmp_http.h"
#include "cmp_dispatch.h"


/* instances (timers, replies, test sends) handled in one write txn */
#define CMP_ENGINE_CHUNK   200


typedef struct cmp_engine_s  cmp_engine_t;


cmp_engine_t *cmp_engine_create(cmp_campaignd_t *cd, cmp_http_t *http);
void cmp_engine_destroy(cmp_engine_t *e);

int cmp_engine_start(cmp_engine_t *e, cmp_txn_t *txn, int64_t now,
    const json_t *campaign, uint32_t run, const char *contact_id,
    size_t contact_len, json_t *contact, const char **skipped);
/* a cmp_dispatch_outcome_pt: data is the engine */
int cmp_engine_dispatched(void *data, cmp_txn_t *txn, const cmp_outcome_t *out,
    int64_t now);
int cmp_engine_cancel(cmp_engine_t *e, const char *campaign, size_t len,
    const char *reason, int64_t now);
int cmp_engine_contact_opt_out(cmp_engine_t *e, cmp_txn_t *txn,
    const char *contact_id, int64_t now);

int cmp_engine_timers(cmp_engine_t *e, int64_t now_ms);
int cmp_engine_inbox(cmp_engine_t *e, int64_t now);
int cmp_engine_test_sends(cmp_engine_t *e, int64_t now);


#endif /* _CMP_ENGINE_H_INCLUDED_ */
