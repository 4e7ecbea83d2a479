
/*
 * campaignd's keys and records beside the shared ledger: instances of
 * campaign runs, the families that index them, the send queue, timers.
 */


#ifndef _CMP_LEDGER_H_INCLUDED_
#define _CMP_LEDGER_H_INCLUDED_


#include <stdint.h>
#include <jansson.h>

#include "cmp_store.h"
#include "cmp_message.h"
#include "cmp_funnel.h"


/*
 * CMP_DB_INSTANCES, campaignd's own families beside cmp_instance.h's
 * (campaign ids never contain '#'):
 *   campaign NUL be32-run contact        -> be64 seq, be64 version, JSON
 *   "#live" NUL campaign NUL contact     -> be32 run of its live instance
 *   "#wait" NUL channel NUL address      -> instance key (newest waiting)
 *   "#fill" NUL campaign                 -> be32 run, last contact done
 * CMP_DB_QUEUE:
 *   channel NUL lane be64-seq            -> message key
 *   "#sending" NUL message key           -> channel id (in flight)
 * CMP_DB_TIMERS:
 *   be64 due-ms, type, key               -> empty
 *     type 'I': an instance to wake, 'R': a message to queue again
 */
#define CMP_IKEY_MAX        (CMP_ID_MAX * 2 + 16)
#define CMP_FKEY_MAX        (CMP_ID_MAX * 3 + 32)
#define CMP_LANE_CONVERSATION   0
#define CMP_LANE_BULK           1

#define CMP_TIMER_INSTANCE  'I'
#define CMP_TIMER_RETRY     'R'


size_t cmp_ikey_run(unsigned char *buf, const char *campaign, size_t clen,
    uint32_t run, const char *contact, size_t len);
size_t cmp_fkey(unsigned char *buf, const char *family, const void *a,
    size_t alen, const void *b, size_t blen);

int cmp_msg_status(cmp_store_t *st, MDB_txn *txn, json_t *msg,
    const char *to, int64_t now);
int cmp_msg_count_move(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    uint32_t run, const char *from, const char *to);
int cmp_msg_key(const json_t *msg, unsigned char *key, size_t *len);
int cmp_count(cmp_store_t *st, MDB_txn *txn, const json_t *msg_or_inst,
    const char *name, int64_t delta);
int cmp_count_skip(cmp_store_t *st, MDB_txn *txn, const json_t *msg_or_inst,
    const char *reason);
int cmp_count_in(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    uint32_t run, const char *name, int64_t delta);

int cmp_queue_put(cmp_store_t *st, MDB_txn *txn, const char *channel,
    int lane, const unsigned char *mkey, size_t mlen);
int cmp_timer_put(cmp_store_t *st, MDB_txn *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len);
int cmp_timer_del(cmp_store_t *st, MDB_txn *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len);

void cmp_hex(char *dst, const unsigned char *src, size_t len);
int cmp_unhex(unsigned char *dst, const char *src, size_t len);


#endif /* _CMP_LEDGER_H_INCLUDED_ */
