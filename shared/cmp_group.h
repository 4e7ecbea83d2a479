
/*
 * User groups ("crowds"): the audience a campaign sends to.  Membership is
 * the store's (cmp_members.h); the group record counts it.
 */


#ifndef _CMP_GROUP_H_INCLUDED_
#define _CMP_GROUP_H_INCLUDED_


#include "cmp_op.h"
#include "cmp_members.h"


/* one request adds or removes at most this many; more is an import */
#define CMP_MEMBERS_MAX   10000


int cmp_group_create(cmp_op_t *op);
int cmp_group_update(cmp_op_t *op);
int cmp_group_delete(cmp_op_t *op);
int cmp_group_members_add(cmp_op_t *op);
int cmp_group_members_remove(cmp_op_t *op);

int cmp_group_contacts_walk(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *after, size_t after_len,
    cmp_record_visit_pt visit, void *ctx);
int cmp_group_count_add(cmp_store_t *st, cmp_txn_t *txn, int64_t now,
    const char *gid, size_t glen, int64_t delta);
int cmp_contact_leave_groups(cmp_store_t *st, cmp_txn_t *txn, int64_t now,
    const char *cid, size_t clen);


#endif /* _CMP_GROUP_H_INCLUDED_ */
