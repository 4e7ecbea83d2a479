
/*
 * The send queue's keys (cmp_queue.h): a message queued on its channel's
 * lane, and the marker of a message in flight.
 */


#include <stdio.h>
#include <string.h>

#include "cmp_queue.h"
#include "cmp_message.h"


typedef struct {
    unsigned char     *mkey;
    size_t            *len;
} cmp_queue_taken_t;


static int cmp_queue_sending_taken(void *ctx, const cmp_val_t *k,
    const cmp_val_t *v);
static int cmp_queue_entry(cmp_queue_iter_t *it, int rc, cmp_val_t *k,
    cmp_val_t *v);


int
cmp_queue_put(cmp_store_t *st, cmp_txn_t *txn, const char *channel, int lane,
    const unsigned char *mkey, size_t mlen, uint64_t *seqp)
{
    int            rc;
    size_t         n;
    cmp_val_t      k, v;
    uint64_t       seq;
    unsigned char  buf[CMP_QUEUE_KEY_MAX];

    n = strlen(channel);

    if (n > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    rc = cmp_seq_next(st, txn, CMP_QUEUE_SEQ_NAME, &seq);
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

    *seqp = seq;

    return cmp_db_put(st, txn, CMP_DB_QUEUE, &k, &v, 0);
}


int
cmp_queue_seq_peek(cmp_store_t *st, cmp_txn_t *txn, cmp_queue_peek_t *p,
    cmp_json_field_t *member)
{
    int  rc;

    rc = cmp_seq_peek(st, txn, CMP_QUEUE_SEQ_NAME, &p->seq);
    if (rc != 0) {
        return rc;
    }

    member->name = CMP_QUEUE_SEQ_FIELD;
    member->value = p->text;
    member->len = snprintf(p->text, sizeof(p->text), "%llu",
                           (unsigned long long) p->seq);

    return 0;
}


int
cmp_queue_put_peeked(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    int lane, const unsigned char *mkey, size_t mlen,
    const cmp_queue_peek_t *p)
{
    int       rc;
    uint64_t  taken;

    rc = cmp_queue_put(st, txn, channel, lane, mkey, mlen, &taken);

    /* the record names the peeked seq: another taking it is a bug */
    return (rc == 0 && taken != p->seq) ? CMP_BAD_TXN : rc;
}


/*
 * The entry cmp_queue_put() made for the message mkey with seq, in
 * either lane (a recovered message goes back in the conversation lane
 * whatever its own), if it is still there and still names mkey: what a
 * purge removes without walking the queue.  *removed: how many, 0 or 1.
 */
int
cmp_queue_del_message(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    uint64_t seq, const unsigned char *mkey, size_t mlen, int *removed)
{
    int            rc, lane;
    size_t         n;
    cmp_val_t      k, v;
    unsigned char  buf[CMP_QUEUE_KEY_MAX];

    *removed = 0;
    n = strlen(channel);

    if (n == 0 || n > CMP_ID_MAX) {
        return 0;
    }

    memcpy(buf, channel, n);
    buf[n] = '\0';
    cmp_be64_put(buf + n + 2, seq);

    k.mv_data = buf;
    k.mv_size = n + 2 + 8;

    for (lane = CMP_LANE_CONVERSATION; lane <= CMP_LANE_BULK; lane++) {
        buf[n + 1] = (unsigned char) lane;

        rc = cmp_db_get(st, txn, CMP_DB_QUEUE, &k, &v);

        if (rc == CMP_NOTFOUND) {
            continue;
        }

        if (rc != 0) {
            return rc;
        }

        if (v.mv_size != mlen || memcmp(v.mv_data, mkey, mlen) != 0) {
            continue;
        }

        rc = cmp_db_del(st, txn, CMP_DB_QUEUE, &k, NULL);

        if (rc == 0) {
            *removed = 1;
        }

        return (rc == CMP_NOTFOUND) ? 0 : rc;
    }

    return 0;
}


/*
 * The first channel after "after" ("": from the first) that has entries,
 * into channel (CMP_ID_MAX + 1 bytes); CMP_NOTFOUND: none.  One seek a
 * channel, so that a pass over the queue costs what is queued, not the
 * number of channels.
 */
int
cmp_queue_next_channel(cmp_store_t *st, cmp_txn_t *txn, const char *after,
    char *channel)
{
    int            rc;
    size_t         n;
    cmp_val_t      k, v;
    unsigned char  from[CMP_ID_MAX + 2];

    n = strlen(after);

    if (n > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    /* past every "after" NUL ... key: ids hold no byte below '-' */
    memcpy(from, after, n);
    from[n] = '\x01';

    for ( ;; ) {
        rc = cmp_db_first(st, txn, CMP_DB_QUEUE, n ? from : NULL,
                          n ? n + 1 : 0, &k, &v);
        if (rc != 0) {
            return rc;
        }

        n = strnlen(k.mv_data, k.mv_size);

        if (n == k.mv_size || n > CMP_ID_MAX) {
            return CMP_CORRUPTED;
        }

        memcpy(from, k.mv_data, n);

        /* the in-flight markers are no channel's */
        if (n + 1 == CMP_QUEUE_SENDING_LEN
            && memcmp(from, CMP_QUEUE_SENDING, n) == 0)
        {
            from[n] = '\x01';
            continue;
        }

        memcpy(channel, from, n);
        channel[n] = '\0';

        return 0;
    }
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


/* a cmp_db_visit_pt: the first in-flight marker's message key, copied */
static int
cmp_queue_sending_taken(void *ctx, const cmp_val_t *k, const cmp_val_t *v)
{
    cmp_queue_taken_t *t = ctx;

    (void) v;

    if (k->mv_size <= CMP_QUEUE_SENDING_LEN
        || memcmp(k->mv_data, CMP_QUEUE_SENDING, CMP_QUEUE_SENDING_LEN)
        || k->mv_size - CMP_QUEUE_SENDING_LEN > CMP_MESSAGE_KEY_MAX)
    {
        return CMP_NOTFOUND;
    }

    *t->len = k->mv_size - CMP_QUEUE_SENDING_LEN;
    memcpy(t->mkey, (char *) k->mv_data + CMP_QUEUE_SENDING_LEN, *t->len);

    return 0;
}


/*
 * The first message found in flight, its marker gone; CMP_NOTFOUND when
 * none is (a marker too long for a message key ends the search too).
 */
int
cmp_queue_sending_take(cmp_store_t *st, cmp_txn_t *txn, unsigned char *mkey,
    size_t *mlen)
{
    cmp_queue_taken_t  t;

    t.mkey = mkey;
    t.len = mlen;

    return cmp_db_take(st, txn, CMP_DB_QUEUE, CMP_QUEUE_SENDING,
                       CMP_QUEUE_SENDING_LEN, cmp_queue_sending_taken, &t);
}


int
cmp_queue_iter_open(cmp_store_t *st, cmp_txn_t *txn, cmp_queue_iter_t *it)
{
    memset(it, 0, sizeof(cmp_queue_iter_t));

    return cmp_cursor_open(st, txn, CMP_DB_QUEUE, &it->cur);
}


/* the channel's first entry; CMP_NOTFOUND when it has none */
int
cmp_queue_first(cmp_queue_iter_t *it, const char *channel)
{
    int        rc;
    cmp_val_t  k, v;

    it->plen = strlen(channel) + 1;

    if (it->plen > CMP_ID_MAX + 1) {
        return CMP_NOTFOUND;
    }

    memcpy(it->prefix, channel, it->plen);

    k.mv_data = it->prefix;
    k.mv_size = it->plen;

    rc = cmp_cursor_get(it->cur, &k, &v, CMP_SET_RANGE);

    return cmp_queue_entry(it, rc, &k, &v);
}


/* the channel's next entry; CMP_NOTFOUND after its last */
int
cmp_queue_next(cmp_queue_iter_t *it)
{
    int        rc;
    cmp_val_t  k, v;

    rc = cmp_cursor_get(it->cur, &k, &v, CMP_NEXT);

    return cmp_queue_entry(it, rc, &k, &v);
}


static int
cmp_queue_entry(cmp_queue_iter_t *it, int rc, cmp_val_t *k, cmp_val_t *v)
{
    if (rc != 0) {
        return rc;
    }

    if (k->mv_size < it->plen || memcmp(k->mv_data, it->prefix, it->plen))
    {
        return CMP_NOTFOUND;
    }

    it->key = k->mv_data;
    it->key_len = k->mv_size;
    it->mkey = v->mv_data;
    it->mkey_len = v->mv_size;

    return 0;
}


/* a walk cmp_queue_iter_open() began */
void
cmp_queue_iter_close(cmp_queue_iter_t *it)
{
    cmp_cursor_close(it->cur);
}


/* an entry a walk met, by its key; one gone already is no error */
int
cmp_queue_del(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t len)
{
    return cmp_db_drop(st, txn, CMP_DB_QUEUE, key, len);
}
