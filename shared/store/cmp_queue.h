
/*
 * campaignd's send queue in CMP_DB_QUEUE: what each channel sends next,
 * by lane, and the messages in flight a restart must look at again.
 */


#ifndef _CMP_QUEUE_H_INCLUDED_
#define _CMP_QUEUE_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"


/*
 *   channel NUL lane be64-seq            -> message key
 *   "#sending" NUL message key           -> channel id (in flight)
 */
#define CMP_QUEUE_SENDING       "#sending"
#define CMP_QUEUE_SENDING_LEN   9          /* with its NUL */

#define CMP_LANE_CONVERSATION   0
#define CMP_LANE_BULK           1


int cmp_queue_put(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    int lane, const unsigned char *mkey, size_t mlen);
int cmp_queue_sending_put(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mlen, const char *channel);
int cmp_queue_sending_del(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mlen);


#endif /* _CMP_QUEUE_H_INCLUDED_ */
