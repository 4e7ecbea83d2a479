
/*
 * The send queue's keys (cmp_queue.h): a message queued on its channel's
 * lane, and the marker of a message in flight.
 */


#include <string.h>

#include "cmp_queue.h"
#include "cmp_message.h"


int
cmp_queue_put(cmp_store_t *st, cmp_txn_t *txn, const char *channel, int lane,
    const unsigned char *mkey, size_t mlen)
{
    int            rc;
    size_t         n;
    cmp_val_t      k, v;
    uint64_t       seq;
    unsigned char  buf[CMP_ID_MAX + 16];

    n = strlen(channel);

    if (n > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_seq_next(st, txn, "campaignd_queue", &seq);
    if (rc != 0) {
        return rc;
    }

    memcpy(buf, channel, n);
    buf[n++] = '\0';
    buf[n++] = (unsigned char) lane;
    cmp_be64_put(buf + n, seq);
    n += 8;

    k.mv_data = buf;
    k.mv_size = n;
    v.mv_data = (void *) mkey;
    v.mv_size = mlen;

    return cmp_db_put(st, txn, CMP_DB_QUEUE, &k, &v, 0);
}


int
cmp_queue_sending_put(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mlen, const char *channel)
{
    cmp_val_t      k, v;
    unsigned char  sk[CMP_QUEUE_SENDING_LEN + CMP_MESSAGE_KEY_MAX];

    if (mlen > CMP_MESSAGE_KEY_MAX) {
        return CMP_BAD_VALSIZE;
    }

    memcpy(sk, CMP_QUEUE_SENDING, CMP_QUEUE_SENDING_LEN);
    memcpy(sk + CMP_QUEUE_SENDING_LEN, mkey, mlen);

    k.mv_data = sk;
    k.mv_size = CMP_QUEUE_SENDING_LEN + mlen;
    v.mv_data = (void *) channel;
    v.mv_size = strlen(channel);

    return cmp_db_put(st, txn, CMP_DB_QUEUE, &k, &v, 0);
}


int
cmp_queue_sending_del(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *mkey, size_t mlen)
{
    int            rc;
    cmp_val_t      k;
    unsigned char  sk[CMP_QUEUE_SENDING_LEN + CMP_MESSAGE_KEY_MAX];

    if (mlen > CMP_MESSAGE_KEY_MAX) {
        return 0;
    }

    memcpy(sk, CMP_QUEUE_SENDING, CMP_QUEUE_SENDING_LEN);
    memcpy(sk + CMP_QUEUE_SENDING_LEN, mkey, mlen);

    k.mv_data = sk;
    k.mv_size = CMP_QUEUE_SENDING_LEN + mlen;

    rc = cmp_db_del(st, txn, CMP_DB_QUEUE, &k, NULL);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}
