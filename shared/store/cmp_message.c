
/*
 * The message ledger's keys: campaign NUL be32-run contact NUL node NUL
 * be16-step.  A message's key is derived from what it is, so writing it
 * again after a crash is an update, never a second message.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_message.h"
#include "cmp_json.h"
#include "cmp_json_raw.h"
#include "cmp_counter.h"
#include "cmp_funnel.h"


/* a status index key: the ledger key with "status NUL" inside it */
#define CMP_MESSAGE_STATUS_KEY_MAX                                        \
    (CMP_MESSAGE_KEY_MAX + CMP_MESSAGE_STATUS_MAX + 1)


static size_t cmp_message_status_key(unsigned char *buf,
    const unsigned char *key, size_t key_len, const char *status);
static int cmp_message_status_move(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const char *from,
    const char *to);
static int cmp_message_status_of(const char *json, size_t len, char *status,
    size_t size);
static int cmp_message_seek(cmp_cursor_t *cur, const void *from, size_t len,
    int past, cmp_val_t *key, cmp_val_t *val);


int
cmp_message_rank(const char *status)
{
    size_t  i;
    static const struct {
        const char  *name;
        int          rank;
    } order[] = {
        /* deferred waits as queued does; failed and skipped are final */
        { "queued", 0 }, { "deferred", 0 }, { "sending", 1 }, { "sent", 2 },
        { "delivered", 3 }, { "read", 4 }, { "failed", 105 },
        { "skipped", 106 }
    };

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (strcmp(order[i].name, status) == 0) {
            return order[i].rank;
        }
    }

    return -1;
}


size_t
cmp_message_key(unsigned char *buf, const cmp_message_key_t *k)
{
    unsigned char  *p;

    if (k->campaign_len > CMP_ID_MAX || k->contact_len > CMP_ID_MAX
        || k->node_len > CMP_ID_MAX)
    {
        return 0;
    }

    p = buf;
    memcpy(p, k->campaign, k->campaign_len);
    p += k->campaign_len;
    *p++ = '\0';
    *p++ = (unsigned char) (k->run >> 24);
    *p++ = (unsigned char) (k->run >> 16);
    *p++ = (unsigned char) (k->run >> 8);
    *p++ = (unsigned char) k->run;
    memcpy(p, k->contact, k->contact_len);
    p += k->contact_len;
    *p++ = '\0';
    memcpy(p, k->node, k->node_len);
    p += k->node_len;
    *p++ = '\0';
    *p++ = (unsigned char) (k->step >> 8);
    *p++ = (unsigned char) k->step;

    return p - buf;
}


int
cmp_message_get(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const char **json, size_t *len)
{
    int          rc;
    const void  *v;

    rc = cmp_db_fetch(st, txn, CMP_DB_MESSAGES, key, key_len, &v, len);

    if (rc == 0) {
        *json = v;
    }

    return rc;
}


int
cmp_message_owned(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len)
{
    size_t        n;
    uint32_t      run;
    cmp_record_t  rec;

    if (cmp_funnel_key(key, key_len, &n, &run) != 0) {
        return 0;
    }

    return cmp_record_get(st, txn, &cmp_kind_campaigns, (const char *) key,
                          n, &rec);
}


/*
 * Every writer of the ledger comes through here, so the status index
 * follows each change in the txn of the change; the writers know the
 * status they replace (dispatch's record view, a webhook's loaded
 * record), so the hot path pays one del and one put, and no read.
 */
int
cmp_message_put(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const char *from, const char *to, const char *json,
    size_t len)
{
    int  rc;

    rc = cmp_db_store(st, txn, CMP_DB_MESSAGES, key, key_len, json, len);

    if (rc != 0) {
        return rc;
    }

    return cmp_message_status_move(st, txn, key, key_len, from, to);
}


/* the record is patched out of the map before the first write */
int
cmp_message_rewrite(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const char *rec, size_t len, const char *from,
    const char *to, const cmp_json_field_t *set, size_t n, cmp_text_t *out)
{
    if (cmp_json_raw_patch(rec, len, set, n, out) != 0) {
        return out->failed ? ENOMEM : CMP_CORRUPTED;
    }

    return cmp_message_put(st, txn, key, key_len, from, to, out->data,
                           out->len);
}


/*
 * Members of a stored record set in place, its status unchanged: the
 * queue's and the retry timer's keys, which a purge removes by.
 */
int
cmp_message_patch(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const cmp_json_field_t *set, size_t n)
{
    int          rc;
    size_t       len;
    const char  *rec;
    cmp_text_t   out;

    rc = cmp_message_get(st, txn, key, key_len, &rec, &len);
    if (rc != 0) {
        return rc;
    }

    if (cmp_text_init(&out, len + 64) != 0) {
        return ENOMEM;
    }

    rc = cmp_message_rewrite(st, txn, key, key_len, rec, len, NULL, NULL,
                             set, n, &out);
    cmp_text_free(&out);

    return rc;
}


/*
 * campaign NUL status NUL and the rest of the ledger key; 0 for a key
 * that is not indexed (a test send's, or no status)
 */
static size_t
cmp_message_status_key(unsigned char *buf, const unsigned char *key,
    size_t key_len, const char *status)
{
    size_t                n, slen;
    const unsigned char  *p;

    if (status == NULL || key_len == 0 || key_len > CMP_MESSAGE_KEY_MAX
        || key[0] == '#')
    {
        return 0;
    }

    slen = strlen(status);
    p = memchr(key, '\0', key_len);

    if (p == NULL || slen == 0 || slen > CMP_MESSAGE_STATUS_MAX) {
        return 0;
    }

    n = p - key + 1;

    memcpy(buf, key, n);
    memcpy(buf + n, status, slen + 1);
    memcpy(buf + n + slen + 1, key + n, key_len - n);

    return key_len + slen + 1;
}


static int
cmp_message_status_move(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const char *from,
    const char *to)
{
    int            rc;
    size_t         n;
    unsigned char  buf[CMP_MESSAGE_STATUS_KEY_MAX];

    if (from != NULL && to != NULL && strcmp(from, to) == 0) {
        return 0;
    }

    n = cmp_message_status_key(buf, key, key_len, from);

    if (n != 0) {
        rc = cmp_db_drop(st, txn, CMP_DB_MESSAGE_STATUS, buf, n);
        if (rc != 0) {
            return rc;
        }
    }

    n = cmp_message_status_key(buf, key, key_len, to);

    return (n != 0) ? cmp_db_store(st, txn, CMP_DB_MESSAGE_STATUS, buf, n,
                                   "", 0)
                    : 0;
}


int
cmp_message_load(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, json_t **msg)
{
    int          rc;
    char         err[64];
    size_t       len;
    const char  *json;

    rc = cmp_message_get(st, txn, key, key_len, &json, &len);
    if (rc != 0) {
        return rc;
    }

    *msg = cmp_json_parse(json, len, err, sizeof(err));

    return (*msg == NULL) ? CMP_CORRUPTED : 0;
}


/* from: the status of the stored record, as in cmp_message_put() */
int
cmp_message_save(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const char *from, const json_t *msg)
{
    int      rc;
    char    *dump;
    size_t   n;

    dump = cmp_json_dump(msg, &n);
    if (dump == NULL) {
        return ENOMEM;
    }

    rc = cmp_message_put(st, txn, key, key_len, from,
                         json_string_value(json_object_get(msg, "status")),
                         dump, n);
    free(dump);

    return rc;
}


int
cmp_message_provider_put(cmp_store_t *st, cmp_txn_t *txn,
    const char *provider_id, size_t len, const unsigned char *key,
    size_t key_len)
{
    return cmp_db_store(st, txn, CMP_DB_MESSAGE_BY_PROVIDER, provider_id,
                        len, key, key_len);
}


/*
 * What the index holds for a provider id, as stored (the ledger key, or
 * its hex form: cmp_webhook_find() reads both); it points into the map.
 */
int
cmp_message_provider_get(cmp_store_t *st, cmp_txn_t *txn,
    const char *provider_id, size_t len, const char **val, size_t *val_len)
{
    int          rc;
    const void  *v;

    rc = cmp_db_fetch(st, txn, CMP_DB_MESSAGE_BY_PROVIDER, provider_id, len,
                      &v, val_len);

    if (rc == 0) {
        *val = v;
    }

    return rc;
}


/*
 * A campaign's messages in key order (run, contact, node, step), from
 * just after the key "after" when given; run 0 means every run.
 */
int
cmp_message_scan(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const unsigned char *after,
    size_t after_len, cmp_message_visit_pt visit, void *ctx)
{
    int            rc;
    size_t         prefix;
    cmp_val_t      key, val;
    cmp_cursor_t  *cur;
    unsigned char  buf[CMP_MESSAGE_KEY_MAX];

    if (campaign_len > CMP_ID_MAX) {
        return 0;
    }

    memcpy(buf, campaign, campaign_len);
    buf[campaign_len] = '\0';
    prefix = campaign_len + 1;

    if (run != 0) {
        buf[prefix++] = (unsigned char) (run >> 24);
        buf[prefix++] = (unsigned char) (run >> 16);
        buf[prefix++] = (unsigned char) (run >> 8);
        buf[prefix++] = (unsigned char) run;
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_MESSAGES, &cur);
    if (rc != 0) {
        return rc;
    }

    rc = (after != NULL)
         ? cmp_message_seek(cur, after, after_len, 1, &key, &val)
         : cmp_message_seek(cur, buf, prefix, 0, &key, &val);

    while (rc == 0) {
        if (key.mv_size < prefix || memcmp(key.mv_data, buf, prefix) != 0) {
            break;
        }

        if (visit(ctx, key.mv_data, key.mv_size, val.mv_data, val.mv_size)
            != 0)
        {
            break;
        }

        rc = cmp_cursor_get(cur, &key, &val, CMP_NEXT);
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/*
 * The messages of one status from the status index, each joined with
 * its record: what cmp_message_scan() would visit with a status filter,
 * in the same order, having read only the entries of that status.
 */
int
cmp_message_status_scan(cmp_store_t *st, cmp_txn_t *txn,
    const char *campaign, size_t campaign_len, const char *status,
    uint32_t run, const unsigned char *after, size_t after_len,
    cmp_message_visit_pt visit, void *ctx)
{
    int            rc;
    size_t         base, prefix, seek, mlen, len;
    cmp_val_t      key, val;
    const void    *json;
    cmp_cursor_t  *cur;
    unsigned char  pre[CMP_MESSAGE_STATUS_KEY_MAX];
    unsigned char  buf[CMP_MESSAGE_STATUS_KEY_MAX];
    unsigned char  mkey[CMP_MESSAGE_KEY_MAX];

    if (campaign_len == 0 || campaign_len > CMP_ID_MAX) {
        return 0;
    }

    memcpy(mkey, campaign, campaign_len);
    mkey[campaign_len] = '\0';

    /* campaign NUL status NUL [be32 run] */
    base = cmp_message_status_key(pre, mkey, campaign_len + 1, status);

    if (base == 0) {
        return 0;
    }

    prefix = base;

    if (run != 0) {
        cmp_be32_put(pre + prefix, run);
        prefix += 4;
    }

    memcpy(buf, pre, prefix);
    seek = prefix;

    /* a cursor is a key of this campaign's ledger: nothing is after another */
    if (after != NULL) {
        if (after_len <= campaign_len + 1 || after_len > CMP_MESSAGE_KEY_MAX
            || memcmp(after, mkey, campaign_len + 1) != 0)
        {
            return 0;
        }

        seek = cmp_message_status_key(buf, after, after_len, status);
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_MESSAGE_STATUS, &cur);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_message_seek(cur, buf, seek, after != NULL, &key, &val);

    while (rc == 0) {
        if (key.mv_size < prefix || memcmp(key.mv_data, pre, prefix) != 0) {
            break;
        }

        mlen = campaign_len + 1 + (key.mv_size - base);

        if (mlen <= sizeof(mkey)) {
            memcpy(mkey + campaign_len + 1,
                   (unsigned char *) key.mv_data + base,
                   key.mv_size - base);

            rc = cmp_db_fetch(st, txn, CMP_DB_MESSAGES, mkey, mlen, &json,
                              &len);

            if (rc == 0 && visit(ctx, mkey, mlen, json, len) != 0) {
                break;
            }

            /* an entry without its message is no message */
            if (rc != 0 && rc != CMP_NOTFOUND) {
                break;
            }
        }

        rc = cmp_cursor_get(cur, &key, &val, CMP_NEXT);
    }

    cmp_cursor_close(cur);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* 1 when every message of the ledger is in the status index */
int
cmp_message_status_ready(cmp_store_t *st, cmp_txn_t *txn)
{
    uint64_t  v;

    return cmp_meta_get_u64(st, txn, CMP_META_MESSAGE_STATUS, &v) == 0
           && v == 1;
}


/*
 * A chunk of the status index's one-time build on a store written before
 * it: at most budget ledger messages in one write txn, from where the
 * last chunk stopped (kept in meta), so the API's writes and the sends
 * wait for the writer no longer than for any other chunk.  Writes that
 * meet a message before the walk does keep its entry already (a del of
 * no entry is nothing), and the walk's put of the same status is
 * idempotent; so no message is missed and none is indexed twice.
 */
int
cmp_message_status_build(cmp_store_t *st, int budget, uint64_t *indexed,
    int *more)
{
    int            rc;
    char           status[CMP_MESSAGE_STATUS_MAX + 1];
    size_t         from_len, last_len;
    cmp_val_t      key, val;
    cmp_txn_t     *txn;
    const void    *from;
    cmp_cursor_t  *cur;
    unsigned char  last[CMP_MESSAGE_KEY_MAX];

    *indexed = 0;
    *more = 0;

    /* a look first: a store that has the index costs a reader, no lock */
    rc = cmp_store_txn_begin(st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_message_status_ready(st, txn);
    cmp_txn_abort(txn);

    if (rc) {
        return 0;
    }

    rc = cmp_store_txn_begin(st, NULL, 0, &txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_cursor_open(st, txn, CMP_DB_MESSAGES, &cur);
    if (rc != 0) {
        cmp_txn_abort(txn);
        return rc;
    }

    rc = cmp_db_fetch(st, txn, CMP_DB_META, CMP_META_MESSAGE_STATUS_FROM,
                      sizeof(CMP_META_MESSAGE_STATUS_FROM) - 1, &from,
                      &from_len);

    if (rc == 0) {
        rc = cmp_message_seek(cur, from, from_len, 1, &key, &val);

    } else if (rc == CMP_NOTFOUND) {
        rc = cmp_cursor_get(cur, &key, &val, CMP_FIRST);
    }

    last_len = 0;

    while (rc == 0) {
        if (budget-- <= 0) {
            *more = 1;
            break;
        }

        if (key.mv_size > sizeof(last)) {
            rc = cmp_cursor_get(cur, &key, &val, CMP_NEXT);
            continue;
        }

        /* copied before the put: a write may move what the map held */
        memcpy(last, key.mv_data, key.mv_size);
        last_len = key.mv_size;

        if (cmp_message_status_of(val.mv_data, val.mv_size, status,
                                  sizeof(status)) == 0)
        {
            rc = cmp_message_status_move(st, txn, last, last_len, NULL,
                                         status);
            if (rc != 0) {
                break;
            }

            (*indexed)++;
        }

        rc = cmp_cursor_get(cur, &key, &val, CMP_NEXT);
    }

    cmp_cursor_close(cur);

    if (rc == CMP_NOTFOUND) {
        /* the whole ledger is in: the module stops scanning */
        rc = cmp_meta_put_u64(st, txn, CMP_META_MESSAGE_STATUS, 1);

        if (rc == 0) {
            rc = cmp_db_drop(st, txn, CMP_DB_META,
                             CMP_META_MESSAGE_STATUS_FROM,
                             sizeof(CMP_META_MESSAGE_STATUS_FROM) - 1);
        }

    } else if (rc == 0 && last_len != 0) {
        rc = cmp_db_store(st, txn, CMP_DB_META, CMP_META_MESSAGE_STATUS_FROM,
                          sizeof(CMP_META_MESSAGE_STATUS_FROM) - 1, last,
                          last_len);
    }

    if (rc != 0) {
        cmp_txn_abort(txn);
        *indexed = 0;
        *more = 0;
        return rc;
    }

    return cmp_txn_commit(txn);
}


/*
 * The cursor on the first key at from or, past set, after it: where a
 * page or a chunk goes on after the last key it gave.
 */
static int
cmp_message_seek(cmp_cursor_t *cur, const void *from, size_t len, int past,
    cmp_val_t *key, cmp_val_t *val)
{
    int  rc;

    key->mv_data = (void *) from;
    key->mv_size = len;

    rc = cmp_cursor_get(cur, key, val, CMP_SET_RANGE);

    if (rc == 0 && past && key->mv_size == len
        && memcmp(key->mv_data, from, len) == 0)
    {
        rc = cmp_cursor_get(cur, key, val, CMP_NEXT);
    }

    return rc;
}


/* a record's "status", read off its text */
static int
cmp_message_status_of(const char *json, size_t len, char *status,
    size_t size)
{
    cmp_json_field_t  f[1] = { { "status", NULL, 0 } };

    if (cmp_json_raw_find(json, len, f, 1) != 0) {
        return -1;
    }

    return cmp_json_raw_value_string(f[0].value, f[0].len, status, size);
}


/* a campaign's counter, in its run and the totals; test sends count not */
int
cmp_count(cmp_store_t *st, cmp_txn_t *txn, const json_t *rec,
    const char *name, int64_t delta)
{
    return cmp_count_in(st, txn,
               json_string_value(json_object_get(rec, "campaign_id")),
               (uint32_t) json_integer_value(json_object_get(rec, "run")),
               name, delta);
}


/* a skip's reason, beside the "skipped" counted with it */
int
cmp_count_skip(cmp_store_t *st, cmp_txn_t *txn, const json_t *rec,
    const char *reason)
{
    const char  *campaign;

    campaign = json_string_value(json_object_get(rec, "campaign_id"));

    return cmp_funnel_skip(st, txn, campaign,
               campaign ? strlen(campaign) : 0,
               (uint32_t) json_integer_value(json_object_get(rec, "run")),
               reason);
}


int
cmp_count_in(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
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


/* a status change with its counters (cmp_funnel.h); the caller stores msg */
int
cmp_message_set_status(cmp_store_t *st, cmp_txn_t *txn, json_t *msg,
    const char *to, int64_t now)
{
    int   rc;
    char  when[CMP_TIME_LEN + 1];

    rc = cmp_message_count_move(st, txn,
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
cmp_message_count_move(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    uint32_t run, const char *from, const char *to)
{
    return cmp_funnel_move(st, txn, campaign,
                           campaign ? strlen(campaign) : 0, run, from, to);
}


/* the ledger key of a message record, from its hex "id" */
int
cmp_message_key_parse(const json_t *msg, unsigned char *key, size_t *len)
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
