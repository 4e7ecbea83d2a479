
/*
 * Group membership in CMP_DB_MEMBERS and CMP_DB_MEMBER_OF: one pair kept
 * both ways, so neither a group's list nor a contact's delete scans.
 */


#ifndef _CMP_MEMBERS_H_INCLUDED_
#define _CMP_MEMBERS_H_INCLUDED_


#include "cmp_store.h"


/*
 *   members:    group id NUL contact id  -> empty
 *   member_of:  contact id NUL group id  -> empty
 *
 * Ids never hold NUL, so a group's members sort together in contact id
 * order, and a contact's groups in group id order.  Every accessor here
 * writes or removes both entries in the caller's txn, or neither.
 */
#define CMP_MEMBER_KEY_MAX   (2 * CMP_ID_MAX + 1)


/*
 * The other side of a pair a walk meets: a contact id (a group's walk)
 * or a group id (a contact's); in the map until the txn writes what is
 * walked.  0 goes on; anything else ends the walk, which answers 0.
 */
typedef int (*cmp_member_visit_pt)(void *ctx, const char *id, size_t len);


int cmp_member_add(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *cid, size_t clen, int *added);
int cmp_member_remove(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *cid, size_t clen, int *removed);
int cmp_member_is(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *cid, size_t clen);

int cmp_members_walk(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *after, size_t after_len,
    cmp_member_visit_pt visit, void *ctx);

int cmp_member_of_walk(cmp_store_t *st, cmp_txn_t *txn, const char *cid,
    size_t clen, cmp_member_visit_pt visit, void *ctx);
int cmp_member_of_take(cmp_store_t *st, cmp_txn_t *txn, const char *cid,
    size_t clen, cmp_member_visit_pt visit, void *ctx);


#endif /* _CMP_MEMBERS_H_INCLUDED_ */
