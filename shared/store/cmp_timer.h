
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


#endif /* _CMP_TIMER_H_INCLUDED_ */
