
/*
 * campaignd's timers in CMP_DB_TIMERS, in due order: instances to wake
 * and messages to queue again.
 */


#ifndef _CMP_TIMER_H_INCLUDED_
#define _CMP_TIMER_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_instance.h"


/*
 *   be64 due-ms, type, key               -> empty
 *     type 'I': an instance to wake, 'R': a message to queue again
 *   "#retry" NUL message key be64 due-ms -> empty
 *     each 'R' timer's, written and removed with it: a message's due
 *     time is in its record to the second only, and this is how a
 *     campaign's retries (its id NUL) are found without a walk of every
 *     timer.  An 'I' timer needs none: its instance keeps "timer_ms".
 *     '#' sorts after every due time of the next million years, so the
 *     timers stay first.
 */
#define CMP_TIMER_INSTANCE  'I'
#define CMP_TIMER_RETRY     'R'

/* what a timer wakes, at most: an instance's key or a message's */
#define CMP_TIMER_KEY_MAX   CMP_FKEY_MAX


int cmp_timer_put(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len);
int cmp_timer_del(cmp_store_t *st, cmp_txn_t *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len);
int64_t cmp_timer_next_due(cmp_store_t *st, cmp_txn_t *txn);
int cmp_timer_take_due(cmp_store_t *st, cmp_txn_t *txn, int64_t now_ms,
    int *type, unsigned char *key, size_t *len);

/*
 * The first retry of a message whose key starts with prefix (a
 * message's key; a campaign's: its id NUL), found by the retry index and
 * removed with its index entry; CMP_NOTFOUND when there is none.
 */
int cmp_timer_retry_drop_first(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *prefix, size_t plen);

/*
 * A chunk of the retry index's one-time build on a store written before
 * it (CMP_META_TIMER_INDEX unset), in the caller's write txn: at most
 * budget timers looked at; *more: call again.
 */
int cmp_timer_index_build(cmp_store_t *st, cmp_txn_t *txn, int budget,
    uint64_t *seen, int *more);


#endif /* _CMP_TIMER_H_INCLUDED_ */
