
/*
 * Keys, records and counters of campaignd's side of the store (the
 * layout is in cmp_ledger.h; the message ledger's in cmp_message.h).
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_ledger.h"
#include "cmp_counter.h"
#include "cmp_json.h"


static const char *cmp_msg_counted(const char *status);


size_t
cmp_ikey_run(unsigned char *buf, const char *campaign, size_t clen,
    uint32_t run, const char *contact, size_t len)
{
    unsigned char  *p;

    if (clen > CMP_ID_MAX || len > CMP_ID_MAX) {
        return 0;
    }

    p = buf;
    memcpy(p, campaign, clen);
    p += clen;
    *p++ = '\0';
    *p++ = (unsigned char) (run >> 24);
    *p++ = (unsigned char) (run >> 16);
    *p++ = (unsigned char) (run >> 8);
    *p++ = (unsigned char) run;
    memcpy(p, contact, len);

    return (p - buf) + len;
}


size_t
cmp_fkey(unsigned char *buf, const char *family, const void *a, size_t alen,
    const void *b, size_t blen)
{
    size_t  n;

    n = strlen(family) + 1;

    if (n + alen + 1 + blen > CMP_FKEY_MAX) {
        return 0;
    }

    memcpy(buf, family, n);
    memcpy(buf + n, a, alen);
    n += alen;

    if (b != NULL) {
        buf[n++] = '\0';
        memcpy(buf + n, b, blen);
        n += blen;
    }

    return n;
}


/* "sending" and "deferred" are still "queued" to the stats: not done yet */
static const char *
cmp_msg_counted(const char *status)
{
    if (status == NULL) {
        return NULL;
    }

    return (strcmp(status, "sending") == 0 || strcmp(status, "deferred") == 0)
           ? "queued" : status;
}


/* a campaign's counter, in its run and the totals; test sends count not */
int
cmp_count(cmp_store_t *st, MDB_txn *txn, const json_t *rec,
    const char *name, int64_t delta)
{
    return cmp_count_in(st, txn,
               json_string_value(json_object_get(rec, "campaign_id")),
               (uint32_t) json_integer_value(json_object_get(rec, "run")),
               name, delta);
}


int
cmp_count_in(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    uint32_t run, const char *name, int64_t delta)
{
    int  rc;

    if (campaign == NULL || campaign[0] == '\0') {
        return 0;
    }

    rc = cmp_counter_add(st, txn, campaign, strlen(campaign),
                         CMP_COUNTER_TOTAL, name, delta);

    if (rc == 0 && run != 0) {
        rc = cmp_counter_add(st, txn, campaign, strlen(campaign), run, name,
                             delta);
    }

    return rc;
}


/*
 * A status change with its counters (cmp_message.h): -1 on the old,
 * +1 on the new; "skipped" only ever grows.  The caller stores msg.
 */
int
cmp_msg_status(cmp_store_t *st, MDB_txn *txn, json_t *msg, const char *to,
    int64_t now)
{
    int   rc;
    char  when[CMP_TIME_LEN + 1];

    rc = cmp_msg_count_move(st, txn,
             json_string_value(json_object_get(msg, "campaign_id")),
             (uint32_t) json_integer_value(json_object_get(msg, "run")),
             json_string_value(json_object_get(msg, "status")), to);

    json_object_set_new(msg, "status", json_string(to));
    cmp_time_format(now, when);
    json_object_set_new(msg, "updated_at", json_string(when));

    return rc;
}


/* the counters of a message moving from one status to another */
int
cmp_msg_count_move(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    uint32_t run, const char *from, const char *to)
{
    int          rc;
    const char  *a, *b;

    a = cmp_msg_counted(from);
    b = cmp_msg_counted(to);
    rc = 0;

    if (a == NULL || strcmp(a, b) != 0) {
        if (a != NULL && strcmp(a, "skipped") != 0) {
            rc = cmp_count_in(st, txn, campaign, run, a, -1);
        }

        if (rc == 0) {
            rc = cmp_count_in(st, txn, campaign, run, b, 1);
        }
    }

    return rc;
}


/* the ledger key of a message record, from its hex "id" */
int
cmp_msg_key(const json_t *msg, unsigned char *key, size_t *len)
{
    const char  *id;
    size_t       n;

    id = json_string_value(json_object_get(msg, "id"));

    if (id == NULL) {
        return -1;
    }

    n = strlen(id);

    if (n % 2 || n / 2 > CMP_MESSAGE_KEY_MAX
        || cmp_unhex(key, id, n) != 0)
    {
        return -1;
    }

    *len = n / 2;

    return 0;
}


int
cmp_queue_put(cmp_store_t *st, MDB_txn *txn, const char *channel, int lane,
    const unsigned char *mkey, size_t mlen)
{
    int            rc;
    size_t         n;
    MDB_val        k, v;
    uint64_t       seq;
    unsigned char  buf[CMP_ID_MAX + 16];

    n = strlen(channel);

    if (n > CMP_ID_MAX) {
        return MDB_BAD_VALSIZE;
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

    return mdb_put(txn, st->dbi[CMP_DB_QUEUE], &k, &v, 0);
}


int
cmp_timer_put(cmp_store_t *st, MDB_txn *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    MDB_val        k, v;
    unsigned char  buf[9 + CMP_FKEY_MAX];

    if (len > CMP_FKEY_MAX) {
        return MDB_BAD_VALSIZE;
    }

    cmp_be64_put(buf, (uint64_t) due_ms);
    buf[8] = (unsigned char) type;
    memcpy(buf + 9, key, len);

    k.mv_data = buf;
    k.mv_size = 9 + len;
    v.mv_data = "";
    v.mv_size = 0;

    return mdb_put(txn, st->dbi[CMP_DB_TIMERS], &k, &v, 0);
}


int
cmp_timer_del(cmp_store_t *st, MDB_txn *txn, int64_t due_ms, int type,
    const unsigned char *key, size_t len)
{
    int            rc;
    MDB_val        k;
    unsigned char  buf[9 + CMP_FKEY_MAX];

    if (len > CMP_FKEY_MAX) {
        return 0;
    }

    cmp_be64_put(buf, (uint64_t) due_ms);
    buf[8] = (unsigned char) type;
    memcpy(buf + 9, key, len);

    k.mv_data = buf;
    k.mv_size = 9 + len;

    rc = mdb_del(txn, st->dbi[CMP_DB_TIMERS], &k, NULL);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}


void
cmp_hex(char *dst, const unsigned char *src, size_t len)
{
    size_t             i;
    static const char  digits[] = "0123456789abcdef";

    for (i = 0; i < len; i++) {
        *dst++ = digits[src[i] >> 4];
        *dst++ = digits[src[i] & 0xf];
    }

    *dst = '\0';
}


int
cmp_unhex(unsigned char *dst, const char *src, size_t len)
{
    int     hi, lo;
    size_t  i;

    for (i = 0; i + 1 < len; i += 2) {
        hi = (src[i] >= '0' && src[i] <= '9') ? src[i] - '0'
             : (src[i] >= 'a' && src[i] <= 'f') ? src[i] - 'a' + 10 : -1;
        lo = (src[i + 1] >= '0' && src[i + 1] <= '9') ? src[i + 1] - '0'
             : (src[i + 1] >= 'a' && src[i + 1] <= 'f') ? src[i + 1] - 'a'
                                                         + 10 : -1;

        if (hi < 0 || lo < 0) {
            return -1;
        }

        *dst++ = (unsigned char) (hi << 4 | lo);
    }

    return 0;
}
