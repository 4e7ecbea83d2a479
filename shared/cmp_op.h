
/*
 * One write operation of the API, run inside a write transaction by
 * whoever owns the writer (an nginx pool thread; campaignd for its own
 * changes), and the generic create/load/store/remove of JSON records.
 */


#ifndef _CMP_OP_H_INCLUDED_
#define _CMP_OP_H_INCLUDED_


#include <stdarg.h>
#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"
#include "cmp_index.h"
#include "cmp_secret.h"
#include "cmp_json.h"


#define CMP_OK                 0
#define CMP_FAIL              -1

/* how long an Idempotency-Key is remembered (README "The API") */
#define CMP_IDEMPOTENCY_TTL    (48 * 3600)


/* op->if_match when there is no If-Match, and when it names no version */
#define CMP_IF_MATCH_NONE     -1
#define CMP_IF_MATCH_FOREIGN  -2


typedef struct cmp_op_s  cmp_op_t;

typedef int (*cmp_op_pt)(cmp_op_t *op);


struct cmp_op_s {
    cmp_store_t         *store;
    cmp_txn_t           *txn;
    int64_t              now;
    cmp_op_pt            run;

    /* the request */
    const cmp_kind_t    *kind;
    char                 id[CMP_ID_MAX + 1];
    size_t               id_len;
    json_t              *body;
    int64_t              if_match;          /* a version, or: */
    char                *idempotency_key;
    size_t               idempotency_key_len;
    void                *data;              /* op-specific input */

    /* a bulk import's sequences, saved once a chunk; NULL: per create */
    cmp_seq_t           *id_seq;
    cmp_seq_t           *order_seq;

    /* the answer */
    int                  status;
    char                *reply;            /* malloc()ed JSON or NULL */
    size_t               reply_len;
    uint64_t             version;           /* ETag when not 0 */
    unsigned             location:1;        /* 201 names kind/id */
    unsigned             replayed:1;        /* Idempotency-Key hit */
    unsigned             map:1;             /* refused for the map's size:
                                               worth one more run once
                                               cmp_store_adopt() grew it */
    unsigned             rerun:1;           /* run may be given up with
                                               its txn and run again from
                                               the start: a writer may run
                                               it without a nested txn */

    /* on failure: status, code, message, field, details */
    const char          *code;
    char                 message[256];
    char                 field[128];
    json_t              *details;
};


void cmp_op_init(cmp_op_t *op, cmp_store_t *st, cmp_op_pt run,
    const cmp_kind_t *kind);
void cmp_op_free(cmp_op_t *op);
void cmp_op_reset(cmp_op_t *op);
int cmp_op_fail(cmp_op_t *op, int status, const char *code,
    const char *field, const char *fmt, ...);
int cmp_op_store_error(cmp_op_t *op, int rc);
int cmp_op_reply(cmp_op_t *op, int status, const json_t *json);
json_t *cmp_op_error_json(const cmp_op_t *op);

int cmp_resource_create(cmp_op_t *op, json_t *record);
int cmp_resource_load(cmp_op_t *op, json_t **record, cmp_record_t *meta);
int cmp_resource_store(cmp_op_t *op, json_t *record,
    const cmp_record_t *meta);
int cmp_resource_remove(cmp_op_t *op);


#endif /* _CMP_OP_H_INCLUDED_ */
