
/*
 * A kind's change log: which of its records changed since a point, so a
 * reader that keeps a copy (campaignd's channels) catches up in
 * O(changed records), not by reading them all again.
 */


#ifndef _CMP_CHANGES_H_INCLUDED_
#define _CMP_CHANGES_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"


/*
 * visit one changed record (seq: its place in the log); nonzero stops the
 * walk before it: the walk's *last is then the entry before
 */
typedef int (*cmp_changes_visit_pt)(void *ctx, uint64_t seq, const char *id,
    size_t id_len);


int cmp_changes_note(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len);
int cmp_changes_last(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    uint64_t *seq);
int cmp_changes_walk(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    uint64_t after, size_t max, cmp_changes_visit_pt visit, void *ctx,
    uint64_t *last);


#endif /* _CMP_CHANGES_H_INCLUDED_ */
