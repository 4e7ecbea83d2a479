
/*
 * Test tool: puts a store into states only time or campaignd would reach
 * (a campaign running, counters moved), so each state rule can be tested.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp_campaign.h"
#include "cmp_counter.h"
#include "cmp_funnel.h"
#include "cmp_inbox.h"
#include "cmp_json_raw.h"
#include "cmp_message.h"
#include "cmp_queue.h"


typedef struct {
    int          status;
    char       **argv;
} cmp_storectl_args_t;


static int cmp_storectl_run(cmp_store_t *st, cmp_op_t *op);
static int cmp_storectl_set_status(cmp_op_t *op);
static int cmp_storectl_counter(cmp_op_t *op);
static int cmp_storectl_many(cmp_store_t *st, cmp_op_t *op);
static int cmp_storectl_message(cmp_op_t *op);
static int cmp_storectl_inbox(cmp_store_t *st);
static int cmp_storectl_inbox_line(void *ctx, uint64_t seq, const char *json,
    size_t len);
static int cmp_storectl_meta(cmp_op_t *op);
static int cmp_storectl_messages(cmp_op_t *op);
static int cmp_storectl_queued(cmp_store_t *st, const char *campaign);
static int cmp_storectl_entry(cmp_store_t *st, cmp_txn_t *txn,
    const cmp_val_t *mk, const char *rec, size_t len);
static int cmp_storectl_left(cmp_store_t *st, const char *id);
static int cmp_storectl_names(const cmp_val_t *k, const cmp_val_t *v,
    cmp_db_e db, const char *id, size_t len);


static int
cmp_storectl_run(cmp_store_t *st, cmp_op_t *op)
{
    int  rc;

    rc = cmp_store_txn_begin(st, NULL, 0, &op->txn);
    if (rc != 0) {
        fprintf(stderr, "cannot begin a transaction: %s\n", cmp_strerror(rc));
        return 1;
    }

    op->now = time(NULL);

    if (op->run(op) != CMP_OK) {
        fprintf(stderr, "%d %s: %s\n", op->status, op->code, op->message);
        cmp_txn_abort(op->txn);
        return 1;
    }

    rc = cmp_txn_commit(op->txn);
    if (rc != 0) {
        fprintf(stderr, "cannot commit: %s\n", cmp_strerror(rc));
        return 1;
    }

    return 0;
}


static int
cmp_storectl_set_status(cmp_op_t *op)
{
    cmp_storectl_args_t  *args = op->data;

    return cmp_campaign_set_status(op, args->status, NULL);
}


static int
cmp_storectl_counter(cmp_op_t *op)
{
    int                   rc;
    char                **argv;
    cmp_storectl_args_t  *args = op->data;

    argv = args->argv;

    rc = cmp_counter_add(op->store, op->txn, op->id, op->id_len,
                         (uint32_t) atoi(argv[0]), argv[1], atoll(argv[2]));

    return rc ? cmp_op_store_error(op, rc) : CMP_OK;
}


/*
 * A message as campaignd records it once sent: the ledger record, the
 * provider id index and the funnel's counters (cmp_funnel.h).
 * args: RUN CONTACT NODE STEP STATUS [PROVIDER_ID [CHANNEL]]; without a
 * CHANNEL, "channel_id" is "" as campaignd writes it for a node without
 * one (sidecar/cmp_engine_send.c), a string as the API's document says.
 */
static int
cmp_storectl_message(cmp_op_t *op)
{
    int                   rc;
    char                **argv, *dump, hex[2 * CMP_MESSAGE_KEY_MAX + 1];
    char                  old[CMP_MESSAGE_STATUS_MAX + 1];
    size_t                i, len, key_len;
    json_t               *rec, *prev;
    const char           *s;
    cmp_message_key_t     mk;
    cmp_storectl_args_t  *args = op->data;
    unsigned char         key[CMP_MESSAGE_KEY_MAX];

    argv = args->argv;

    mk.campaign = op->id;
    mk.campaign_len = op->id_len;
    mk.run = (uint32_t) atoi(argv[0]);
    mk.contact = argv[1];
    mk.contact_len = strlen(argv[1]);
    mk.node = argv[2];
    mk.node_len = strlen(argv[2]);
    mk.step = (uint16_t) atoi(argv[3]);

    key_len = cmp_message_key(key, &mk);

    for (i = 0; i < key_len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }

    rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s?, s:n, s:i, s:s}",
                    "id", hex, "run", (int) mk.run, "contact_id", argv[1],
                    "node_id", argv[2],
                    "channel_id", argv[6] ? argv[6] : "",
                    "status", argv[4], "provider_message_id", argv[5],
                    "error", "attempts", 1, "updated_at",
                    "2026-01-01T00:00:00Z");
    dump = rec ? cmp_json_dump(rec, &len) : NULL;
    json_decref(rec);

    if (dump == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    /* a test may write a message again: its old index entry goes */
    old[0] = '\0';

    if (cmp_message_load(op->store, op->txn, key, key_len, &prev) == 0) {
        s = json_string_value(json_object_get(prev, "status"));
        snprintf(old, sizeof(old), "%s", s ? s : "");
        json_decref(prev);
    }

    rc = cmp_message_put(op->store, op->txn, key, key_len,
                         old[0] ? old : NULL, argv[4], dump, len);
    free(dump);

    if (rc == 0 && argv[5] != NULL) {
        rc = cmp_message_provider_put(op->store, op->txn, argv[5],
                                      strlen(argv[5]), key, key_len);
    }

    if (rc == 0) {
        rc = cmp_funnel_move(op->store, op->txn, op->id, op->id_len, mk.run,
                             NULL, argv[4]);
    }

    printf("%s\n", hex);

    return rc ? cmp_op_store_error(op, rc) : CMP_OK;
}


/* a meta value campaignd keeps (campaignd_heartbeat, campaignd_in_flight) */
static int
cmp_storectl_meta(cmp_op_t *op)
{
    int                   rc;
    uint64_t              v;
    cmp_storectl_args_t  *args = op->data;

    v = strtoull(args->argv[0], NULL, 10);

    /* "now-N": a heartbeat N seconds old */
    if (strncmp(args->argv[0], "now-", 4) == 0) {
        v = (uint64_t) time(NULL) - strtoull(args->argv[0] + 4, NULL, 10);
    }

    rc = cmp_meta_put_u64(op->store, op->txn, op->id, v);

    return rc ? cmp_op_store_error(op, rc) : CMP_OK;
}


/*
 * N messages sent in one transaction, for benchmarks: contacts b0..bN-1,
 * provider ids wamid.b0..  args: RUN N CHANNEL
 */
static int
cmp_storectl_messages(cmp_op_t *op)
{
    int                   rc;
    char                 *argv[8], contact[32], provider[40];
    long                  i, n;
    cmp_storectl_args_t  *args = op->data;
    cmp_storectl_args_t   one;

    n = atol(args->argv[1]);

    one.argv = argv;
    op->data = &one;
    rc = CMP_OK;

    for (i = 0; i < n && rc == CMP_OK; i++) {
        snprintf(contact, sizeof(contact), "b%ld", i);
        snprintf(provider, sizeof(provider), "wamid.b%ld", i);

        argv[0] = args->argv[0];
        argv[1] = contact;
        argv[2] = "s";
        argv[3] = "0";
        argv[4] = "sent";
        argv[5] = provider;
        argv[6] = args->argv[2];
        argv[7] = NULL;

        rc = cmp_storectl_message(op);
    }

    op->data = args;

    return rc;
}


/* the inbox, one event a line, for tests to compare */
static int
cmp_storectl_inbox(cmp_store_t *st)
{
    int         rc;
    cmp_txn_t  *txn;

    rc = cmp_store_txn_begin(st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        fprintf(stderr, "cannot begin a transaction: %s\n", cmp_strerror(rc));
        return 1;
    }

    rc = cmp_inbox_walk(st, txn, cmp_storectl_inbox_line, NULL);

    cmp_txn_abort(txn);

    return (rc == 0) ? 0 : 1;
}


static int
cmp_storectl_inbox_line(void *ctx, uint64_t seq, const char *json,
    size_t len)
{
    (void) ctx;

    printf("%llu %.*s\n", (unsigned long long) seq, (int) len, json);

    return 0;
}


/*
 * How many entries of each database still name a deleted resource's id,
 * however they name it: a key or value starting "id NUL", "NUL id NUL"
 * inside a key ("#live", "#wait", "#sending"), a key ending "NUL id"
 * ("#fill", member_of), a timer's key after its due time and type.  The
 * purge's own code is not used, so the test sees what it missed.
 */
static int
cmp_storectl_left(cmp_store_t *st, const char *id)
{
    int            rc, db;
    size_t         len;
    uint64_t       n, total;
    cmp_txn_t     *txn;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;

    len = strlen(id);

    rc = cmp_store_txn_begin(st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        fprintf(stderr, "cannot begin a txn: %s\n", cmp_strerror(rc));
        return 1;
    }

    total = 0;

    for (db = 0; db < CMP_DB_COUNT; db++) {
        /* the tombstone itself names the id, for ever */
        if (db == CMP_DB_TOMBSTONES || cmp_cursor_open(st, txn, db, &cur))
        {
            continue;
        }

        n = 0;
        rc = cmp_cursor_get(cur, &k, &v, CMP_FIRST);

        while (rc == 0) {
            n += cmp_storectl_names(&k, &v, db, id, len);
            rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT);
        }

        cmp_cursor_close(cur);

        if (n > 0) {
            printf("%s %llu\n", cmp_store_db_name(db),
                   (unsigned long long) n);
        }

        total += n;
    }

    cmp_txn_abort(txn);

    printf("total %llu\n", (unsigned long long) total);

    return 0;
}


static int
cmp_storectl_names(const cmp_val_t *k, const cmp_val_t *v, cmp_db_e db,
    const char *id, size_t len)
{
    size_t               i;
    const unsigned char  *key, *val;

    key = k->mv_data;
    val = v->mv_data;

    if ((k->mv_size > len && memcmp(key, id, len) == 0 && key[len] == 0)
        || (v->mv_size > len && memcmp(val, id, len) == 0 && val[len] == 0))
    {
        return 1;
    }

    if (db == CMP_DB_TIMERS && k->mv_size > 9 + len
        && memcmp(key + 9, id, len) == 0 && key[9 + len] == 0)
    {
        return 1;
    }

    for (i = 0; i + len + 1 <= k->mv_size; i++) {
        if (key[i] == 0 && memcmp(key + i + 1, id, len) == 0
            && (i + 1 + len == k->mv_size || key[i + 1 + len] == 0))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * The queued messages of a campaign, by whether their record's queue_seq
 * names a queue entry that names them back, as a purge expects to find
 * it without walking the queue: "queued N named M", one line.
 */
static int
cmp_storectl_queued(cmp_store_t *st, const char *campaign)
{
    int            rc, one;
    size_t         len;
    uint64_t       queued, named;
    cmp_txn_t     *txn;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;

    len = strlen(campaign);

    rc = cmp_store_txn_begin(st, NULL, CMP_RDONLY, &txn);
    if (rc != 0 || cmp_cursor_open(st, txn, CMP_DB_MESSAGES, &cur) != 0) {
        fprintf(stderr, "cannot read the ledger\n");
        return 1;
    }

    queued = 0;
    named = 0;

    for (rc = cmp_cursor_get(cur, &k, &v, CMP_FIRST);
         rc == 0;
         rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT))
    {
        if (k.mv_size <= len || memcmp(k.mv_data, campaign, len) != 0
            || ((const char *) k.mv_data)[len] != '\0')
        {
            continue;
        }

        one = cmp_storectl_entry(st, txn, &k, v.mv_data, v.mv_size);

        if (one >= 0) {
            queued++;
            named += one;
        }
    }

    cmp_cursor_close(cur);
    cmp_txn_abort(txn);

    printf("queued %llu named %llu\n", (unsigned long long) queued,
           (unsigned long long) named);

    return 0;
}


/*
 * A queued message's record: 1 when the entry at its channel and
 * queue_seq, either lane, is mk, else 0; -1 when it is not queued.
 */
static int
cmp_storectl_entry(cmp_store_t *st, cmp_txn_t *txn, const cmp_val_t *mk,
    const char *rec, size_t len)
{
    int               lane;
    char              channel[CMP_ID_MAX + 1], status[16];
    size_t            n;
    int64_t           seq;
    cmp_val_t         k, v;
    unsigned char     key[CMP_QUEUE_KEY_MAX];
    cmp_json_field_t  f[3];

    f[0].name = "status";
    f[1].name = "channel_id";
    f[2].name = CMP_QUEUE_SEQ_FIELD;

    if (cmp_json_raw_find(rec, len, f, 3) != 0
        || cmp_json_raw_value_string(f[0].value, f[0].len, status,
                                     sizeof(status)) != 0
        || strcmp(status, "queued") != 0)
    {
        return -1;
    }

    if (f[2].value == NULL
        || cmp_json_raw_value_string(f[1].value, f[1].len, channel,
                                     sizeof(channel)) != 0)
    {
        return 0;
    }

    seq = cmp_json_raw_value_int(f[2].value, f[2].len);
    n = strlen(channel);

    memcpy(key, channel, n + 1);
    cmp_be64_put(key + n + 2, (uint64_t) seq);

    k.mv_data = key;
    k.mv_size = n + 2 + 8;

    for (lane = CMP_LANE_CONVERSATION; lane <= CMP_LANE_BULK; lane++) {
        key[n + 1] = (unsigned char) lane;

        if (cmp_db_get(st, txn, CMP_DB_QUEUE, &k, &v) == 0
            && v.mv_size == mk->mv_size
            && memcmp(v.mv_data, mk->mv_data, v.mv_size) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* many campaigns in one transaction: benchmarks set up thousands */
static int
cmp_storectl_many(cmp_store_t *st, cmp_op_t *op)
{
    int     rc;
    char    line[CMP_ID_MAX + 2];
    size_t  len;

    rc = cmp_store_txn_begin(st, NULL, 0, &op->txn);
    if (rc != 0) {
        fprintf(stderr, "cannot begin a transaction: %s\n", cmp_strerror(rc));
        return 1;
    }

    op->now = time(NULL);

    while (fgets(line, sizeof(line), stdin) != NULL) {
        len = strcspn(line, "\r\n");
        line[len] = '\0';

        if (len == 0) {
            continue;
        }

        memcpy(op->id, line, len + 1);
        op->id_len = len;

        if (op->run(op) != CMP_OK) {
            fprintf(stderr, "%s: %d %s: %s\n", line, op->status, op->code,
                    op->message);
            cmp_txn_abort(op->txn);
            return 1;
        }

        cmp_op_free(op);
    }

    rc = cmp_txn_commit(op->txn);
    if (rc != 0) {
        fprintf(stderr, "cannot commit: %s\n", cmp_strerror(rc));
        return 1;
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int                  rc;
    char                 err[256];
    cmp_op_t             op;
    cmp_store_t          st;
    char                *margs[8];
    cmp_storectl_args_t  args;

    if (argc == 3 && strcmp(argv[2], "inbox") == 0) {
        if (cmp_store_open(&st, argv[1], CMP_STORE_SIZE_MIN, 1024, err,
                           sizeof(err))
            != 0)
        {
            fprintf(stderr, "%s\n", err);
            return 1;
        }

        rc = cmp_storectl_inbox(&st);
        cmp_store_close(&st);

        return rc;
    }

    if (argc == 4
        && (strcmp(argv[2], "left") == 0 || strcmp(argv[2], "queued") == 0))
    {
        if (cmp_store_open(&st, argv[1], 1UL << 30, 1024, err, sizeof(err))
            != 0)
        {
            fprintf(stderr, "%s\n", err);
            return 1;
        }

        rc = (argv[2][0] == 'l') ? cmp_storectl_left(&st, argv[3])
                                 : cmp_storectl_queued(&st, argv[3]);
        cmp_store_close(&st);

        return rc;
    }

    if (argc < 5) {
        fprintf(stderr, "usage: cmp-storectl STORE set-status CAMPAIGN "
                "pending|running|paused|completed\n"
                "       cmp-storectl STORE set-status - STATUS "
                "(campaign ids on stdin)\n"
                "       cmp-storectl STORE counter CAMPAIGN RUN NAME "
                "DELTA\n"
                "       cmp-storectl STORE message CAMPAIGN RUN CONTACT "
                "NODE STEP STATUS [PROVIDER_ID [CHANNEL]]\n"
                "       cmp-storectl STORE inbox\n"
                "       cmp-storectl STORE left ID\n"
                "       cmp-storectl STORE queued CAMPAIGN\n"
                "       cmp-storectl STORE meta NAME VALUE|now-SECONDS\n"
                "       cmp-storectl STORE messages CAMPAIGN RUN N "
                "CHANNEL\n");
        return 2;
    }

    /* the least size: the tool takes the store's own and never grows it */
    if (cmp_store_open(&st, argv[1], CMP_STORE_SIZE_MIN, 1024, err,
                       sizeof(err))
        != 0)
    {
        fprintf(stderr, "%s\n", err);
        return 1;
    }

    if (strcmp(argv[2], "set-status") == 0) {
        args.status = cmp_campaign_status_parse(argv[4], strlen(argv[4]));

        if (args.status < 0) {
            fprintf(stderr, "unknown status \"%s\"\n", argv[4]);
            return 2;
        }

        cmp_op_init(&op, &st, cmp_storectl_set_status, &cmp_kind_campaigns);
        op.data = &args;

    } else if (strcmp(argv[2], "counter") == 0 && argc == 7) {
        cmp_op_init(&op, &st, cmp_storectl_counter, &cmp_kind_campaigns);
        args.argv = &argv[4];
        op.data = &args;

    } else if (strcmp(argv[2], "message") == 0 && argc >= 9 && argc <= 11) {
        cmp_op_init(&op, &st, cmp_storectl_message, &cmp_kind_campaigns);

        /* the optional provider id and channel are NULL when not given */
        memset(margs, 0, sizeof(margs));
        memcpy(margs, &argv[4], (argc - 4) * sizeof(char *));
        args.argv = margs;
        op.data = &args;

    } else if (strcmp(argv[2], "messages") == 0 && argc == 7) {
        cmp_op_init(&op, &st, cmp_storectl_messages, &cmp_kind_campaigns);
        args.argv = &argv[4];
        op.data = &args;

    } else if (strcmp(argv[2], "meta") == 0 && argc == 5) {
        cmp_op_init(&op, &st, cmp_storectl_meta, &cmp_kind_campaigns);
        args.argv = &argv[4];
        op.data = &args;

    } else {
        fprintf(stderr, "unknown command \"%s\"\n", argv[2]);
        return 2;
    }

    if (strcmp(argv[3], "-") == 0) {
        return cmp_storectl_many(&st, &op);
    }

    op.id_len = strlen(argv[3]);

    if (op.id_len > CMP_ID_MAX) {
        return 2;
    }

    memcpy(op.id, argv[3], op.id_len + 1);

    rc = cmp_storectl_run(&st, &op);

    cmp_op_free(&op);
    cmp_store_close(&st);

    return rc;
}
