
/*
 * Test-send flow instances: their records and the queue of those not
 * started yet, in CMP_DB_INSTANCES (the layout is in cmp_instance.h).
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_instance.h"
#include "cmp_json.h"


#define CMP_INSTANCE_TEST     "#test"
#define CMP_INSTANCE_QUEUED   "#queued"


static size_t cmp_instance_key(unsigned char *buf, const char *family,
    const unsigned char *seq, const char *id, size_t len);


static size_t
cmp_instance_key(unsigned char *buf, const char *family,
    const unsigned char *seq, const char *id, size_t len)
{
    size_t  n;

    n = strlen(family) + 1;
    memcpy(buf, family, n);

    if (seq != NULL) {
        memcpy(buf + n, seq, 8);
        n += 8;
    }

    memcpy(buf + n, id, len);

    return n + len;
}


int
cmp_instance_id_generate(cmp_store_t *st, cmp_txn_t *txn, char *id,
    size_t *len, uint64_t *seq)
{
    int  rc;

    rc = cmp_seq_next(st, txn, "id:instances", seq);
    if (rc != 0) {
        return rc;
    }

    *len = (size_t) snprintf(id, CMP_ID_MAX + 1, CMP_INSTANCE_ID_PREFIX
                             "%08llx", (unsigned long long) *seq);

    return 0;
}


size_t
cmp_instance_test_key(unsigned char *buf, const char *id, size_t len)
{
    if (len == 0 || len > CMP_ID_MAX) {
        return 0;
    }

    return cmp_instance_key(buf, CMP_INSTANCE_TEST, NULL, id, len);
}


int
cmp_instance_get(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, cmp_record_t *rec)
{
    return cmp_record_read(st, txn, CMP_DB_INSTANCES, key, key_len, rec);
}


int
cmp_instance_put(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const cmp_record_t *rec)
{
    return cmp_record_write(st, txn, CMP_DB_INSTANCES, key, key_len, rec);
}


int
cmp_instance_load(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, json_t **inst, uint64_t *seq, uint64_t *version)
{
    int           rc;
    char          err[64];
    cmp_record_t  rec;

    rc = cmp_instance_get(st, txn, key, key_len, &rec);
    if (rc != 0) {
        return rc;
    }

    *seq = rec.seq;
    *version = rec.version;
    *inst = cmp_json_parse(rec.json, rec.len, err, sizeof(err));

    return (*inst == NULL) ? CMP_CORRUPTED : 0;
}


int
cmp_instance_save(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const json_t *inst, uint64_t seq, uint64_t version)
{
    int           rc;
    char         *dump;
    cmp_record_t  rec;

    dump = cmp_json_dump(inst, &rec.len);
    if (dump == NULL) {
        return ENOMEM;
    }

    rec.seq = seq;
    rec.version = version;
    rec.json = dump;

    rc = cmp_instance_put(st, txn, key, key_len, &rec);

    free(dump);

    return rc;
}


int
cmp_instance_enqueue(cmp_store_t *st, cmp_txn_t *txn, uint64_t seq,
    const char *id, size_t len)
{
    cmp_val_t      key, val;
    unsigned char  buf[32 + CMP_ID_MAX], s[8];

    if (len == 0 || len > CMP_ID_MAX) {
        return CMP_BAD_VALSIZE;
    }

    cmp_be64_put(s, seq);

    key.mv_data = buf;
    key.mv_size = cmp_instance_key(buf, CMP_INSTANCE_QUEUED, s, id, len);
    val.mv_data = "";
    val.mv_size = 0;

    return cmp_db_put(st, txn, CMP_DB_INSTANCES, &key, &val, 0);
}


int
cmp_instance_dequeue(cmp_store_t *st, cmp_txn_t *txn, uint64_t seq,
    const char *id, size_t len)
{
    int            rc;
    cmp_val_t      key;
    unsigned char  buf[32 + CMP_ID_MAX], s[8];

    if (len == 0 || len > CMP_ID_MAX) {
        return CMP_NOTFOUND;
    }

    cmp_be64_put(s, seq);

    key.mv_data = buf;
    key.mv_size = cmp_instance_key(buf, CMP_INSTANCE_QUEUED, s, id, len);

    rc = cmp_db_del(st, txn, CMP_DB_INSTANCES, &key, NULL);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}


/* the oldest queued test send; CMP_NOTFOUND when there is none */
int
cmp_instance_next_queued(cmp_store_t *st, cmp_txn_t *txn, uint64_t *seq,
    char *id, size_t *len)
{
    int            rc;
    size_t         n;
    cmp_val_t      key, val;
    cmp_cursor_t  *cur;

    n = sizeof(CMP_INSTANCE_QUEUED);

    rc = cmp_cursor_open(st, txn, CMP_DB_INSTANCES, &cur);
    if (rc != 0) {
        return rc;
    }

    key.mv_data = (void *) CMP_INSTANCE_QUEUED;
    key.mv_size = n;

    rc = cmp_cursor_get(cur, &key, &val, CMP_SET_RANGE);

    if (rc == 0) {
        if (key.mv_size <= n + 8 || key.mv_size > n + 8 + CMP_ID_MAX
            || memcmp(key.mv_data, CMP_INSTANCE_QUEUED, n) != 0)
        {
            rc = CMP_NOTFOUND;

        } else {
            *seq = cmp_be64_get((unsigned char *) key.mv_data + n);
            *len = key.mv_size - n - 8;
            memcpy(id, (char *) key.mv_data + n + 8, *len);
            id[*len] = '\0';
        }
    }

    cmp_cursor_close(cur);

    return rc;
}


size_t
cmp_instance_run_key(unsigned char *buf, const char *campaign, size_t clen,
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
