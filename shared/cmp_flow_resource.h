
/*
 * The /flows resource: its write operations (run by the writer) and the
 * store lookups the flow validator needs, for the module and campaignd.
 */


#ifndef _CMP_FLOW_RESOURCE_H_INCLUDED_
#define _CMP_FLOW_RESOURCE_H_INCLUDED_


#include "cmp_op.h"
#include "cmp_flow.h"


#define CMP_FLOW_NAME_MAX          60
#define CMP_FLOW_DESCRIPTION_MAX   200


typedef struct {
    cmp_store_t   *store;
    cmp_txn_t     *txn;
    int            rc;          /* the store error a lookup met */
} cmp_flow_store_t;


int cmp_flow_create(cmp_op_t *op);
int cmp_flow_import(cmp_op_t *op);
int cmp_flow_update(cmp_op_t *op);
int cmp_flow_delete(cmp_op_t *op);
int cmp_flow_publish(cmp_op_t *op);
int cmp_flow_unpublish(cmp_op_t *op);
int cmp_flow_test_send(cmp_op_t *op);

json_t *cmp_flow_export(const json_t *record);
void cmp_flow_lookup_init(cmp_flow_lookup_t *lookup, cmp_flow_store_t *data,
    cmp_store_t *st, cmp_txn_t *txn, const char *self_id);


#endif /* _CMP_FLOW_RESOURCE_H_INCLUDED_ */
