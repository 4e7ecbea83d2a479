
/*
 * Campaign counters: one record per (campaign, run, name), changed in the
 * same transaction as what it counts, so stats never scan messages.
 */


#ifndef _CMP_COUNTER_H_INCLUDED_
#define _CMP_COUNTER_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"


/* run 0 holds the campaign's totals; runs are numbered from 1 */
#define CMP_COUNTER_TOTAL   0

/*
 * The totals of all campaigns together (run 0 only), moved by every
 * cmp_counter_add() on a run 0; '#' never starts a campaign id.
 */
#define CMP_COUNTER_ALL     "#all"


typedef int (*cmp_counter_visit_pt)(void *ctx, uint32_t run,
    const char *name, size_t name_len, uint64_t value);


int cmp_counter_add(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, int64_t delta);
int cmp_counter_set(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *name, uint64_t value);
int cmp_counter_scan(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, cmp_counter_visit_pt visit, void *ctx);
int cmp_counter_drop(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len);

/* the store's txn ends and begins: see "the counter cache" in the .c */
int cmp_counter_flush(cmp_store_t *st, cmp_txn_t *txn);
void cmp_counter_forget(cmp_store_t *st, cmp_txn_t *txn);
int cmp_counter_cache_create(cmp_store_t *st);
void cmp_counter_cache_free(cmp_store_t *st);


#endif /* _CMP_COUNTER_H_INCLUDED_ */
