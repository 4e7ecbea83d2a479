
/*
 * The campaign funnel: which counters a message's status change moves,
 * in one place for campaignd, the webhooks and the test tool.
 */


#ifndef _CMP_FUNNEL_H_INCLUDED_
#define _CMP_FUNNEL_H_INCLUDED_


#include "cmp_store.h"


/*
 * Counters of a campaign (cmp_counter.h), run 0 and the message's run:
 *
 *   sent, delivered, read   stages: messages that ever reached the stage
 *                           or one beyond it (read counts as delivered
 *                           and sent too), so sent >= delivered >= read
 *                           whatever order the webhooks come in
 *   failed, skipped         messages that ended so; only ever grow
 *   skipped:<reason>        skips by reason (CMP_SKIP_*), growing too
 *   queued                  messages waiting now (queued or sending)
 *
 * and, in CMP_COUNTER_ALL only, "status:<status>": how many ledger
 * records of all campaigns are in each status now (the metrics' gauge).
 */

#define CMP_FUNNEL_STATUS       "status:"
#define CMP_FUNNEL_SKIPPED      "skipped:"

/* why a contact or a message was not sent to */
#define CMP_SKIP_OPTED_OUT      "opted_out"
#define CMP_SKIP_LIVE_INSTANCE  "live_instance"
#define CMP_SKIP_NO_ADDRESS     "no_address"
#define CMP_SKIP_PAST_END       "deferred_past_end"
#define CMP_SKIP_SUSPENDED      "suspended"

#define CMP_SKIP_NREASONS       5


extern const char  *cmp_skip_reasons[CMP_SKIP_NREASONS];


/* the counters of a message moving from one status (NULL: new) to another */
int cmp_funnel_move(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *from, const char *to);

/* a ledger record removed (its campaign deleted): the gauges let it go */
int cmp_funnel_forget(cmp_store_t *st, cmp_txn_t *txn, const char *status);
/* a ledger key's campaign part and run: -1 when it has none (test sends) */
int cmp_funnel_key(const unsigned char *key, size_t key_len,
    size_t *campaign_len, uint32_t *run);

/* one more skip for a reason, beside the "skipped" its caller counts */
int cmp_funnel_skip(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const char *reason);

/* a run's skips for its log line: "skipped 3 (opted_out 1, ...)" */
int cmp_funnel_skips_text(cmp_store_t *st, cmp_txn_t *txn,
    const char *campaign, size_t campaign_len, uint32_t run, char *buf,
    size_t size);


#endif /* _CMP_FUNNEL_H_INCLUDED_ */
