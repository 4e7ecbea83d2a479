
/*
 * campaignd's send queue in CMP_DB_QUEUE: what each channel sends next,
 * by lane, and the messages in flight a restart must look at again.
 */


#ifndef _CMP_QUEUE_H_INCLUDED_
#define _CMP_QUEUE_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"
#include "cmp_json_raw.h"


/*
 *   channel NUL lane be64-seq            -> message key
 *   "#sending" NUL message key           -> channel id (in flight)
 */
#define CMP_QUEUE_SENDING       "#sending"
#define CMP_QUEUE_SENDING_LEN   9          /* with its NUL */

#define CMP_LANE_CONVERSATION   0
#define CMP_LANE_BULK           1

/*
 * The message record's member that names its latest entry ("queue_seq",
 * an integer), and the retry timer's due time ("retry_at_ms"): a purge
 * removes both from the record, without walking the queue or the timers.
 */
#define CMP_QUEUE_SEQ_FIELD     "queue_seq"
#define CMP_RETRY_AT_FIELD      "retry_at_ms"

/* the meta sequence the entries' seqs come from */
#define CMP_QUEUE_SEQ_NAME      "campaignd_queue"

/* a queue entry's own key, at most: channel NUL lane be64-seq */
#define CMP_QUEUE_KEY_MAX       (CMP_ID_MAX + 16)


/*
 * A walk over one channel's entries, conversations before bulk, oldest
 * first.  key and mkey point into the map until the txn writes: copy
 * them first.  key is for cmp_queue_del() only, its bytes are the
 * store's.  The cursor is the store's too.
 */
typedef struct {
    cmp_cursor_t          *cur;
    size_t                 plen;
    char                   prefix[CMP_ID_MAX + 2];
    const unsigned char   *key;
    size_t                 key_len;
    const unsigned char   *mkey;
    size_t                 mkey_len;
} cmp_queue_iter_t;


/* *seq: the entry's sequence, which the message's record keeps */
int cmp_queue_put(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    int lane, const unsigned char *mkey, size_t mlen, uint64_t *seq);

/*
 * A stored message queued again with its record written once: the caller
 * peeks the seq the entry will take, stores the record with the member
 * the peek fills (CMP_QUEUE_SEQ_FIELD) from what it read, and only then
 * puts the entry, as a write may move what a read returned.  Nothing else
 * may take a queue seq in between: the put refuses with CMP_BAD_TXN, and
 * the txn is given up.
 */
typedef struct {
    uint64_t               seq;
    char                   text[24];
} cmp_queue_peek_t;

int cmp_queue_seq_peek(cmp_store_t *st, cmp_txn_t *txn, cmp_queue_peek_t *p,
    cmp_json_field_t *member);
int cmp_queue_put_peeked(cmp_store_t *st, cmp_txn_t *txn,
    const char *channel, int lane, const unsigned char *mkey, size_t mlen,
    const cmp_queue_peek_t *p);
int cmp_queue_del_message(cmp_store_t *st, cmp_txn_t *txn,
    const char *channel, uint64_t seq, const unsigned char *mkey,
    size_t mlen, int *removed);
int cmp_queue_sending_put(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mlen, const char *channel);
int cmp_queue_sending_del(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mlen);
int cmp_queue_sending_take(cmp_store_t *st, cmp_txn_t *txn,
    unsigned char *mkey, size_t *mlen);

int cmp_queue_next_channel(cmp_store_t *st, cmp_txn_t *txn,
    const char *after, char *channel);
int cmp_queue_iter_open(cmp_store_t *st, cmp_txn_t *txn,
    cmp_queue_iter_t *it);
int cmp_queue_first(cmp_queue_iter_t *it, const char *channel);
int cmp_queue_next(cmp_queue_iter_t *it);
void cmp_queue_iter_close(cmp_queue_iter_t *it);
int cmp_queue_del(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t len);


#endif /* _CMP_QUEUE_H_INCLUDED_ */
