
/*
 * Unit tests of shared/store/cmp_store.c and the op lifecycle above it: every
 * key layout, the schema check, and a full map answering 507.
 */


#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "cmp_store.h"
#include "cmp_op.h"
#include "cmp_channel.h"
#include "cmp_contact.h"
#include "cmp_members.h"
#include "cmp_provider.h"
#include "cmp_index.h"
#include "cmp_tombstone.h"
#include "cmp_purge.h"
#include "cmp_message.h"
#include "cmp_instance.h"
#include "cmp_queue.h"
#include "cmp_timer.h"
#include "cmp_counter.h"


#define TEST_MAP_BYTES   (64 * 1024 * 1024)


typedef struct {
    char          dir[64];
    cmp_store_t   store;
} test_env_t;


typedef struct {
    char          ids[16][CMP_ID_MAX + 1];
    uint64_t      seqs[16];
    int           statuses[16];
    int           n;
    int           stop_after;
} test_visit_t;


static int test_setup(void **state);
static int test_teardown(void **state);
static void test_dir_remove(const char *dir);
static cmp_txn_t *test_txn(test_env_t *env);
static void test_commit(cmp_txn_t *txn);
static void test_put(test_env_t *env, cmp_txn_t *txn, const char *id,
    uint64_t seq, uint64_t version, const char *json);
static int test_visit(void *ctx, const char *id, size_t id_len,
    const cmp_record_t *rec);
static void test_list(test_env_t *env, cmp_txn_t *txn, uint64_t before,
    int stop_after, test_visit_t *v);
static int test_run_op(test_env_t *env, cmp_op_t *op, cmp_op_pt run,
    const char *id, const char *body);
static int test_id_visit(void *ctx, const char *id, size_t len);
static void test_members(test_env_t *env, cmp_txn_t *txn, const char *gid,
    const char *after, int chunk, test_visit_t *v);
static void test_member_of(test_env_t *env, cmp_txn_t *txn, const char *cid,
    test_visit_t *v);
static void test_member_add(test_env_t *env, cmp_txn_t *txn, const char *gid,
    const char *cid, int added);
static void test_raw(test_env_t *env, cmp_txn_t *txn, cmp_db_e db,
    const void *key, size_t len, const char *want, size_t want_len);
static int test_index_visit(void *ctx, const char *key, size_t key_len,
    const char *id, size_t id_len);
static int test_campaign_visit(void *ctx, const cmp_campaign_entry_t *e);
static void test_campaign_put(test_env_t *env, cmp_txn_t *txn, int status,
    uint64_t seq, const char *id);
static void test_scan(test_env_t *env, cmp_txn_t *txn, unsigned statuses,
    uint64_t before, int stop_after, test_visit_t *v);

static void test_open_missing_dir(void **state);
static void test_open_not_a_dir(void **state);
static void test_reopen_keeps_data(void **state);
static void test_schema_mismatch(void **state);
static void test_schema_upgrade(void **state);
static void test_channel_reindex(void **state);
static void test_record_put_get_del(void **state);
static void test_record_update_keeps_order(void **state);
static void test_list_newest_first(void **state);
static void test_list_before_seq(void **state);
static void test_list_gaps_and_stop(void **state);
static void test_meta_and_seq(void **state);
static void test_id_generate_skips_taken(void **state);
static void test_import_saves_sequences(void **state);
static void test_resource_bytes(void **state);
static void test_refs(void **state);
static void test_index(void **state);
static void test_idempotency(void **state);
static void test_secrets(void **state);
static void test_be64(void **state);
static void test_map_full(void **state);
static void test_map_full_child_spares_parent(void **state);
static void test_map_adopt(void **state);
static int test_fill(cmp_store_t *st, int from);
static void test_small_store(test_env_t *env, cmp_store_t *small);
static void test_op_store_error(void **state);
static void test_resource_lifecycle(void **state);
static void test_resource_idempotent_create(void **state);
static void test_channel_secrets_apart(void **state);
static void test_channel_status_reset(void **state);
static void test_deleted_id_reserved(void **state);
static void test_purge_chunks(void **state);
static void test_purge_test_sends(void **state);
static void test_purge_shared_dbs(void **state);
static void test_purge_fill(test_env_t *env, const char *campaign, int n);
static uint64_t test_count(test_env_t *env, cmp_db_e db, const void *prefix,
    size_t len);
static uint64_t test_names(test_env_t *env, cmp_db_e db, const char *id);
static void test_reopen(test_env_t *env);
static void test_record(test_env_t *env, cmp_txn_t *txn,
    const cmp_kind_t *kind, const char *id, uint64_t seq);
static size_t test_mkey(unsigned char *key, const char *campaign,
    uint32_t run, const char *contact);
static void test_channel_delete_referenced(void **state);
static void test_channel_failed_patch_keeps_secret(void **state);
static void test_members_chunks(void **state);
static void test_members_both_ways(void **state);
static void test_index_walk(void **state);
static void test_campaign_index(void **state);
static void test_message_status(void **state);
static int test_message_status_visit(void *ctx, const unsigned char *key,
    size_t key_len, const char *json, size_t len);
static int test_status_walk(test_env_t *env, cmp_txn_t *txn,
    const char *status, uint32_t run, const unsigned char *after,
    size_t after_len);
static void test_message_status_build(void **state);


static int
test_setup(void **state)
{
    int          rc;
    char         err[256];
    test_env_t  *env;

    env = calloc(1, sizeof(test_env_t));
    assert_non_null(env);

    snprintf(env->dir, sizeof(env->dir), "/tmp/cmp-unit-XXXXXX");
    assert_non_null(mkdtemp(env->dir));

    rc = cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                        sizeof(err));
    if (rc != 0) {
        fail_msg("cmp_store_open: %s", err);
    }

    *state = env;

    return 0;
}


static int
test_teardown(void **state)
{
    test_env_t  *env = *state;

    cmp_store_close(&env->store);
    test_dir_remove(env->dir);
    free(env);

    return 0;
}


static void
test_dir_remove(const char *dir)
{
    char  path[128];

    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    (void) unlink(path);
    (void) rmdir(dir);
}


static cmp_txn_t *
test_txn(test_env_t *env)
{
    cmp_txn_t *txn;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &txn), 0);

    return txn;
}


static void
test_commit(cmp_txn_t *txn)
{
    assert_int_equal(cmp_txn_commit(txn), 0);
}


static void
test_put(test_env_t *env, cmp_txn_t *txn, const char *id, uint64_t seq,
    uint64_t version, const char *json)
{
    cmp_record_t  rec;

    rec.seq = seq;
    rec.version = version;
    rec.json = json;
    rec.len = strlen(json);

    assert_int_equal(cmp_record_put(&env->store, txn, &cmp_kind_channels,
                                    id, strlen(id), &rec), 0);
}


static int
test_visit(void *ctx, const char *id, size_t id_len, const cmp_record_t *rec)
{
    test_visit_t  *v = ctx;

    assert_true(v->n < 16);
    assert_true(id_len <= CMP_ID_MAX);

    memcpy(v->ids[v->n], id, id_len);
    v->ids[v->n][id_len] = '\0';
    v->seqs[v->n] = rec->seq;
    v->n++;

    return (v->stop_after > 0 && v->n == v->stop_after);
}


static void
test_list(test_env_t *env, cmp_txn_t *txn, uint64_t before, int stop_after,
    test_visit_t *v)
{
    memset(v, 0, sizeof(test_visit_t));
    v->stop_after = stop_after;

    assert_int_equal(cmp_record_list(&env->store, txn, &cmp_kind_channels,
                                     before, test_visit, v), 0);
}


/* runs one op the way the writer does: a child txn in a parent txn */
static int
test_run_op(test_env_t *env, cmp_op_t *op, cmp_op_pt run, const char *id,
    const char *body)
{
    int           rc;
    char          err[160];
    cmp_txn_t    *parent, *child;

    cmp_op_init(op, &env->store, run, &cmp_kind_channels);

    op->now = 1800000000;

    if (id != NULL) {
        op->id_len = strlen(id);
        memcpy(op->id, id, op->id_len + 1);
    }

    op->body = cmp_json_parse(body, strlen(body), err, sizeof(err));
    if (op->body == NULL) {
        fail_msg("test body: %s", err);
    }

    parent = test_txn(env);
    assert_int_equal(cmp_store_txn_begin(&env->store, parent, 0, &child), 0);

    op->txn = child;
    rc = op->run(op);

    if (rc == CMP_OK) {
        assert_int_equal(cmp_txn_commit(child), 0);

    } else {
        cmp_txn_abort(child);
    }

    op->txn = NULL;
    test_commit(parent);

    json_decref(op->body);
    op->body = NULL;

    return rc;
}


static void
test_open_missing_dir(void **state)
{
    int          rc;
    char         err[256];
    cmp_store_t  st;

    (void) state;

    rc = cmp_store_open(&st, "/tmp/cmp-unit-no-such-dir/x", TEST_MAP_BYTES,
                        16, err, sizeof(err));

    assert_int_not_equal(rc, 0);
    assert_null(st.env);
    assert_non_null(strstr(err, "/tmp/cmp-unit-no-such-dir/x"));
}


static void
test_open_not_a_dir(void **state)
{
    int          rc;
    char         err[256], path[128];
    FILE        *f;
    cmp_store_t  st;
    test_env_t  *env = *state;

    snprintf(path, sizeof(path), "%s/plain", env->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);

    rc = cmp_store_open(&st, path, TEST_MAP_BYTES, 16, err, sizeof(err));

    assert_int_equal(rc, ENOTDIR);
    assert_non_null(strstr(err, "is not a directory"));

    unlink(path);
}


static void
test_reopen_keeps_data(void **state)
{
    char          err[256];
    cmp_txn_t    *txn;
    cmp_record_t  rec;
    test_env_t   *env = *state;

    txn = test_txn(env);
    test_put(env, txn, "keep", 1, 1, "{\"a\":1}");
    test_commit(txn);

    cmp_store_close(&env->store);
    assert_int_equal(cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES,
                                    16, err, sizeof(err)), 0);

    txn = test_txn(env);
    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "keep", 4, &rec), 0);
    assert_int_equal(rec.len, 7);
    assert_memory_equal(rec.json, "{\"a\":1}", 7);
    cmp_txn_abort(txn);
}


static void
test_schema_mismatch(void **state)
{
    int          rc;
    char         err[256];
    cmp_txn_t   *txn;
    uint64_t     v;
    test_env_t  *env = *state;

    txn = test_txn(env);
    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "schema_version",
                                      &v), 0);
    assert_int_equal(v, CMP_SCHEMA_VERSION);
    assert_int_equal(cmp_meta_put_u64(&env->store, txn, "schema_version",
                                      CMP_SCHEMA_VERSION + 1), 0);
    test_commit(txn);

    cmp_store_close(&env->store);

    err[0] = '\0';
    rc = cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                        sizeof(err));

    assert_int_equal(rc, CMP_INCOMPATIBLE);
    assert_null(env->store.env);
    assert_non_null(strstr(err, "schema version 3"));
    assert_non_null(strstr(err, "reads version 2"));

    /* a refused store is not rewritten: it still says version 3 */
    rc = cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                        sizeof(err));
    assert_int_equal(rc, CMP_INCOMPATIBLE);

    /* nothing of it stays open: teardown's cmp_store_close() is a no-op */
    assert_null(env->store.env);
}


/* a version-1 store is taken up, its status index left to be built */
static void
test_schema_upgrade(void **state)
{
    char         err[256];
    cmp_txn_t   *txn;
    uint64_t     v;
    test_env_t  *env = *state;

    txn = test_txn(env);
    assert_int_equal(cmp_meta_put_u64(&env->store, txn, "schema_version", 1),
                     0);
    assert_int_equal(cmp_meta_put_u64(&env->store, txn,
                                      CMP_META_MESSAGE_STATUS, 0), 0);
    test_commit(txn);

    cmp_store_close(&env->store);

    if (cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                       sizeof(err))
        != 0)
    {
        fail_msg("cmp_store_open: %s", err);
    }

    txn = test_txn(env);
    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "schema_version",
                                      &v), 0);
    assert_int_equal(v, CMP_SCHEMA_VERSION);
    assert_int_equal(cmp_meta_get_u64(&env->store, txn,
                                      CMP_META_MESSAGE_STATUS, &v), 0);
    assert_int_equal(v, 0);
    cmp_txn_abort(txn);
}


/*
 * A schema-1 store's channels lack the verify-token index: campaignd's
 * steps write every channel's webhook indexes again, budget a txn
 */
static void
test_channel_reindex(void **state)
{
    int                    i, more;
    char                   id[CMP_ID_MAX + 1], body[256], key[80];
    size_t                 len;
    cmp_op_t               op;
    uint64_t               done, total, v;
    cmp_txn_t             *txn;
    test_env_t            *env = *state;
    const cmp_provider_t  *wa;

    wa = cmp_provider_find("whatsapp", 8);
    assert_non_null(wa);

    for (i = 0; i < 5; i++) {
        snprintf(body, sizeof(body), "{\"id\":\"w%d\",\"name\":\"w\","
                 "\"type\":\"whatsapp\",\"whatsapp\":{\"waba_id\":\"1\","
                 "\"phone_number_id\":\"70%d\",\"access_token\":\"t\","
                 "\"verify_token\":\"vt%d\"}}", i, i, i);
        assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                                     body), CMP_OK);
        cmp_op_free(&op);
    }

    /* as a store from before the index: entries gone, the flag unset */
    txn = test_txn(env);

    for (i = 0; i < 5; i++) {
        snprintf(body, sizeof(body), "vt%d", i);
        cmp_provider_token_key(body, strlen(body), key);
        assert_int_equal(cmp_index_del(&env->store, txn, wa->verify_index,
                                       key, strlen(key)), 0);
        snprintf(body, sizeof(body), "70%d", i);
        assert_int_equal(cmp_index_del(&env->store, txn, wa->route_index,
                                       body, strlen(body)), 0);
    }

    assert_int_equal(cmp_meta_put_u64(&env->store, txn,
                                      CMP_META_CHANNEL_INDEX, 0), 0);
    test_commit(txn);

    total = 0;

    for (i = 0; i < 10; i++) {
        assert_int_equal(cmp_channel_reindex_step(&env->store, 2, &done,
                                                  &more), 0);
        total += done;

        if (!more) {
            break;
        }
    }

    assert_int_equal(i, 2);          /* 2 + 2 + 1 */
    assert_int_equal(total, 5);

    txn = test_txn(env);

    for (i = 0; i < 5; i++) {
        snprintf(body, sizeof(body), "vt%d", i);
        cmp_provider_token_key(body, strlen(body), key);
        assert_int_equal(cmp_index_get(&env->store, txn, wa->verify_index,
                                       key, strlen(key), id, &len), 0);
        snprintf(body, sizeof(body), "w%d", i);
        assert_string_equal(id, body);

        snprintf(body, sizeof(body), "70%d", i);
        assert_int_equal(cmp_index_get(&env->store, txn, wa->route_index,
                                       body, strlen(body), id, &len), 0);
    }

    assert_int_equal(cmp_meta_get_u64(&env->store, txn,
                                      CMP_META_CHANNEL_INDEX, &v), 0);
    assert_int_equal(v, 1);
    cmp_txn_abort(txn);

    /* done: a step is a look and nothing more */
    assert_int_equal(cmp_channel_reindex_step(&env->store, 2, &done, &more),
                     0);
    assert_int_equal(done, 0);
    assert_int_equal(more, 0);
}


static void
test_record_put_get_del(void **state)
{
    cmp_txn_t     *txn;
    test_visit_t   v;
    cmp_record_t   rec;
    test_env_t    *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2, &rec), CMP_NOTFOUND);

    test_put(env, txn, "r1", 7, 1, "{\"name\":\"one\"}");

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2, &rec), 0);
    assert_int_equal(rec.seq, 7);
    assert_int_equal(rec.version, 1);
    assert_int_equal(rec.len, strlen("{\"name\":\"one\"}"));
    assert_memory_equal(rec.json, "{\"name\":\"one\"}", rec.len);

    /* kinds are apart: the same id is not a contact */
    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_contacts,
                                    "r1", 2, &rec), CMP_NOTFOUND);

    test_commit(txn);

    txn = test_txn(env);
    assert_int_equal(cmp_record_del(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2), 0);
    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2, &rec), CMP_NOTFOUND);
    assert_int_equal(cmp_record_del(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2), CMP_NOTFOUND);

    /* the order entry went with it */
    test_list(env, txn, 0, 0, &v);
    assert_int_equal(v.n, 0);

    test_commit(txn);
}


static void
test_record_update_keeps_order(void **state)
{
    cmp_txn_t     *txn;
    test_visit_t   v;
    cmp_record_t   rec;
    test_env_t    *env = *state;

    txn = test_txn(env);
    test_put(env, txn, "a", 1, 1, "{}");
    test_put(env, txn, "b", 2, 1, "{}");
    test_put(env, txn, "a", 1, 2, "{\"v\":2}");
    test_put(env, txn, "a", 1, 3, "{\"v\":3}");

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "a", 1, &rec), 0);
    assert_int_equal(rec.version, 3);
    assert_int_equal(rec.seq, 1);

    /* updates neither duplicate nor move the entry */
    test_list(env, txn, 0, 0, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "b");
    assert_string_equal(v.ids[1], "a");

    test_commit(txn);
}


static void
test_list_newest_first(void **state)
{
    int            i;
    char           id[16];
    cmp_txn_t     *txn;
    test_visit_t   v;
    test_env_t    *env = *state;

    txn = test_txn(env);

    test_list(env, txn, 0, 0, &v);
    assert_int_equal(v.n, 0);

    /* 255 * 2 = 510 sorts after 255 only as a big-endian number */
    for (i = 1; i <= 10; i++) {
        snprintf(id, sizeof(id), "c%d", i);
        test_put(env, txn, id, (uint64_t) i * 255, 1, "{}");
    }

    test_list(env, txn, 0, 0, &v);
    assert_int_equal(v.n, 10);

    for (i = 0; i < 10; i++) {
        snprintf(id, sizeof(id), "c%d", 10 - i);
        assert_string_equal(v.ids[i], id);
        assert_int_equal(v.seqs[i], (uint64_t) (10 - i) * 255);
    }

    test_commit(txn);
}


static void
test_list_before_seq(void **state)
{
    int            i;
    char           id[16];
    cmp_txn_t     *txn;
    test_visit_t   v;
    test_env_t    *env = *state;

    txn = test_txn(env);

    for (i = 1; i <= 5; i++) {
        snprintf(id, sizeof(id), "p%d", i);
        test_put(env, txn, id, i, 1, "{}");
    }

    /* below 4: 3, 2, 1 */
    test_list(env, txn, 4, 0, &v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "p3");
    assert_string_equal(v.ids[2], "p1");

    /* a cursor past the newest starts at the newest */
    test_list(env, txn, 1000, 0, &v);
    assert_int_equal(v.n, 5);
    assert_string_equal(v.ids[0], "p5");

    /* below 6 = everything; below 5 leaves 5 out */
    test_list(env, txn, 6, 0, &v);
    assert_int_equal(v.n, 5);
    test_list(env, txn, 5, 0, &v);
    assert_int_equal(v.n, 4);
    assert_string_equal(v.ids[0], "p4");

    /* nothing is below the oldest */
    test_list(env, txn, 1, 0, &v);
    assert_int_equal(v.n, 0);

    test_commit(txn);
}


static void
test_list_gaps_and_stop(void **state)
{
    cmp_txn_t     *txn;
    test_visit_t   v;
    test_env_t    *env = *state;

    txn = test_txn(env);
    test_put(env, txn, "g1", 10, 1, "{}");
    test_put(env, txn, "g2", 20, 1, "{}");
    test_put(env, txn, "g3", 30, 1, "{}");
    test_put(env, txn, "g4", 40, 1, "{}");

    /* a cursor on a deleted item still finds the ones below it */
    assert_int_equal(cmp_record_del(&env->store, txn, &cmp_kind_channels,
                                    "g3", 2), 0);

    test_list(env, txn, 30, 0, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "g2");

    test_list(env, txn, 35, 0, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "g2");

    /* the visitor stops the walk */
    test_list(env, txn, 0, 2, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "g4");
    assert_string_equal(v.ids[1], "g2");

    test_commit(txn);
}


static void
test_meta_and_seq(void **state)
{
    cmp_txn_t   *txn;
    uint64_t     v;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "nothing", &v),
                     CMP_NOTFOUND);

    assert_int_equal(cmp_meta_put_u64(&env->store, txn, "big",
                                      UINT64_MAX - 1), 0);
    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "big", &v), 0);
    assert_true(v == UINT64_MAX - 1);

    assert_int_equal(cmp_seq_next(&env->store, txn, "s", &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(cmp_seq_next(&env->store, txn, "s", &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(cmp_seq_next(&env->store, txn, "t", &v), 0);
    assert_int_equal(v, 1);

    test_commit(txn);

    /* a sequence survives its txn; an aborted step is not consumed */
    txn = test_txn(env);
    assert_int_equal(cmp_seq_next(&env->store, txn, "s", &v), 0);
    assert_int_equal(v, 3);
    cmp_txn_abort(txn);

    txn = test_txn(env);
    assert_int_equal(cmp_seq_next(&env->store, txn, "s", &v), 0);
    assert_int_equal(v, 3);
    test_commit(txn);
}


static void
test_id_generate_skips_taken(void **state)
{
    char         id[CMP_ID_MAX + 1];
    size_t       len;
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_id_generate(&env->store, txn, &cmp_kind_channels,
                                     id, &len), 0);
    assert_string_equal(id, "ch_00000001");
    assert_int_equal(len, 11);

    /* a client chose the next two generated ids for itself */
    test_put(env, txn, "ch_00000002", 2, 1, "{}");
    test_put(env, txn, "ch_00000003", 3, 1, "{}");

    assert_int_equal(cmp_id_generate(&env->store, txn, &cmp_kind_channels,
                                     id, &len), 0);
    assert_string_equal(id, "ch_00000004");

    /* each kind has its own prefix and sequence */
    assert_int_equal(cmp_id_generate(&env->store, txn, &cmp_kind_campaigns,
                                     id, &len), 0);
    assert_string_equal(id, "cp_00000001");

    test_commit(txn);
}


/*
 * An import chunk counts ids and order in memory: nothing reaches meta
 * before the flush, a client's id is still skipped, and creates after
 * the chunk go on from where it stopped.
 */
static void
test_import_saves_sequences(void **state)
{
    int                    i, rc;
    char                   id[CMP_ID_MAX + 1];
    size_t                 len;
    json_t                *line;
    uint64_t               v;
    cmp_txn_t             *txn;
    cmp_record_t           rec;
    cmp_import_outcome_e   outcome;
    cmp_contact_import_t   imp;
    test_env_t            *env = *state;
    static const struct {
        const char            *line;
        int                    rc;
        cmp_import_outcome_e   outcome;
        const char            *id;
    } lines[] = {
        { "{\"phone\":\"+8613900000001\",\"name\":\"A\"}", CMP_OK,
          CMP_IMPORT_CREATED, "ct_00000001" },
        { "{\"phone\":\"+8613900000002\"}", CMP_OK,
          CMP_IMPORT_CREATED, "ct_00000003" },
        { "{\"phone\":\"bad\"}", CMP_FAIL, CMP_IMPORT_CREATED, NULL },
        { "{\"phone\":\"+8613900000001\",\"name\":\"B\"}", CMP_OK,
          CMP_IMPORT_UPDATED, "ct_00000001" },
        { "{\"phone\":\"+8613900000003\"}", CMP_OK,
          CMP_IMPORT_CREATED, "ct_00000004" },
    };

    txn = test_txn(env);

    /* a client chose the second generated id, created out of order */
    test_record(env, txn, &cmp_kind_contacts, "ct_00000002", 100);

    memset(&imp, 0, sizeof(cmp_contact_import_t));
    imp.store = &env->store;
    imp.txn = txn;
    imp.now = 1795000000;

    for (i = 0; i < (int) (sizeof(lines) / sizeof(lines[0])); i++) {
        line = json_loads(lines[i].line, 0, NULL);
        assert_non_null(line);

        outcome = CMP_IMPORT_CREATED;
        rc = cmp_contact_import_line(&imp, line, &outcome);
        json_decref(line);

        assert_int_equal(rc, lines[i].rc);

        if (rc == CMP_OK) {
            assert_int_equal(outcome, lines[i].outcome);
            assert_string_equal(imp.op.id, lines[i].id);
        }
    }

    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "id:contacts", &v),
                     CMP_NOTFOUND);

    assert_int_equal(cmp_contact_import_flush(&imp), 0);
    cmp_op_free(&imp.op);
    test_commit(txn);

    txn = test_txn(env);

    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "id:contacts", &v),
                     0);
    assert_int_equal(v, 4);
    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "order:contacts",
                                      &v), 0);
    assert_int_equal(v, 3);

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_contacts,
                                    "ct_00000004", 11, &rec), 0);
    assert_int_equal(rec.seq, 3);
    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_contacts,
                                    "ct_00000001", 11, &rec), 0);
    assert_int_equal(rec.version, 2);

    assert_int_equal(cmp_id_generate(&env->store, txn, &cmp_kind_contacts,
                                     id, &len), 0);
    assert_string_equal(id, "ct_00000005");

    test_commit(txn);
}


/*
 * A created record's bytes are those of the object the common fields
 * wrap around the record, as jansson dumps it: id first, the record's
 * own created_at or version kept in their place, odd names escaped.
 */
static void
test_resource_bytes(void **state)
{
    int          i;
    char        *want, now[CMP_TIME_LEN + 1];
    json_t      *rec, *out;
    cmp_op_t     op;
    test_env_t  *env = *state;
    static const char  *records[] = {
        "{\"name\":\"x\",\"n\":null,\"a\":{\"r\":1.5,\"t\":\"\\n\"}}",
        "{\"created_at\":\"old\",\"version\":7,\"z\":[1,true]}",
        "{\"we\\\"ird\":1,\"updated_at\":0}",
        "{}",
    };

    for (i = 0; i < (int) (sizeof(records) / sizeof(records[0])); i++) {
        rec = json_loads(records[i], 0, NULL);
        assert_non_null(rec);

        cmp_op_init(&op, &env->store, NULL, &cmp_kind_channels);
        op.now = 1800000000;
        op.txn = test_txn(env);

        assert_int_equal(cmp_resource_create(&op, rec), CMP_OK);
        test_commit(op.txn);

        cmp_time_format(op.now, now);

        out = json_object();
        json_object_set_new(out, "id", json_stringn(op.id, op.id_len));
        json_object_update(out, rec);
        json_object_set_new(out, "created_at", json_string(now));
        json_object_set_new(out, "updated_at", json_string(now));
        json_object_set_new(out, "version", json_integer(1));

        want = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_non_null(want);

        assert_int_equal(op.reply_len, strlen(want));
        assert_memory_equal(op.reply, want, op.reply_len);

        free(want);
        json_decref(out);
        json_decref(rec);
        cmp_op_free(&op);
    }
}


static void
test_refs(void **state)
{
    cmp_txn_t   *txn;
    uint64_t     n;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_ref_count(&env->store, txn, "channel", "c1", 2, &n),
                     0);
    assert_int_equal(n, 0);

    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "c1", 2, 1), 0);
    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "c1", 2, 2), 0);
    assert_int_equal(cmp_ref_count(&env->store, txn, "channel", "c1", 2, &n),
                     0);
    assert_int_equal(n, 3);

    /* the same id of another kind is another counter */
    assert_int_equal(cmp_ref_count(&env->store, txn, "flow", "c1", 2, &n), 0);
    assert_int_equal(n, 0);

    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "c1", 2, -1),
                     0);
    assert_int_equal(cmp_ref_count(&env->store, txn, "channel", "c1", 2, &n),
                     0);
    assert_int_equal(n, 2);

    /* never below zero, and zero leaves no key behind */
    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "c1", 2, -5),
                     0);
    assert_int_equal(cmp_ref_count(&env->store, txn, "channel", "c1", 2, &n),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "c1", 2, -1),
                     0);

    {
        cmp_val_t      k, v;
        cmp_cursor_t  *cur;

        assert_int_equal(cmp_cursor_open(&env->store, txn, CMP_DB_REFS,
                                         &cur), 0);
        assert_int_equal(cmp_cursor_get(cur, &k, &v, CMP_FIRST),
                         CMP_NOTFOUND);
        cmp_cursor_close(cur);
    }

    test_commit(txn);
}


static void
test_index(void **state)
{
    char         id[CMP_ID_MAX + 1], big[600];
    size_t       len;
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_index_get(&env->store, txn, "phone", "+8613800", 8,
                                   id, &len), CMP_NOTFOUND);

    assert_int_equal(cmp_index_put(&env->store, txn, "phone", "+8613800", 8,
                                   "ct_1", 4), 0);
    assert_int_equal(cmp_index_get(&env->store, txn, "phone", "+8613800", 8,
                                   id, &len), 0);
    assert_int_equal(len, 4);
    assert_string_equal(id, "ct_1");

    /* another index with the same key is apart */
    assert_int_equal(cmp_index_get(&env->store, txn, "group_name",
                                   "+8613800", 8, id, &len), CMP_NOTFOUND);

    /* keys are bytes: a NUL inside a key is part of it */
    assert_int_equal(cmp_index_put(&env->store, txn, "k", "a\0b", 3,
                                   "x", 1), 0);
    assert_int_equal(cmp_index_get(&env->store, txn, "k", "a", 1, id, &len),
                     CMP_NOTFOUND);
    assert_int_equal(cmp_index_get(&env->store, txn, "k", "a\0b", 3, id,
                                   &len), 0);

    /* overwrite, then delete (twice: the second is not an error) */
    assert_int_equal(cmp_index_put(&env->store, txn, "phone", "+8613800", 8,
                                   "ct_2", 4), 0);
    assert_int_equal(cmp_index_get(&env->store, txn, "phone", "+8613800", 8,
                                   id, &len), 0);
    assert_string_equal(id, "ct_2");

    assert_int_equal(cmp_index_del(&env->store, txn, "phone", "+8613800", 8),
                     0);
    assert_int_equal(cmp_index_get(&env->store, txn, "phone", "+8613800", 8,
                                   id, &len), CMP_NOTFOUND);
    assert_int_equal(cmp_index_del(&env->store, txn, "phone", "+8613800", 8),
                     0);

    /* a key too long for the key buffer is refused, never truncated */
    memset(big, 'k', sizeof(big));
    assert_int_equal(cmp_index_put(&env->store, txn, "phone", big,
                                   sizeof(big), "x", 1), CMP_BAD_VALSIZE);
    assert_int_equal(cmp_index_get(&env->store, txn, "phone", big,
                                   sizeof(big), id, &len), CMP_NOTFOUND);

    /* a value longer than an id could never be read back */
    assert_int_equal(cmp_index_put(&env->store, txn, "phone", "+1", 2, big,
                                   CMP_ID_MAX + 1), CMP_BAD_VALSIZE);

    test_commit(txn);
}


static void
test_idempotency(void **state)
{
    char         id[CMP_ID_MAX + 1];
    size_t       len;
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_idempotency_get(&env->store, txn, "channels", "k1",
                                         2, 1000, id, &len), CMP_NOTFOUND);

    assert_int_equal(cmp_idempotency_put(&env->store, txn, "channels", "k1",
                                         2, 1000 + 86400, "ch_1", 4), 0);

    assert_int_equal(cmp_idempotency_get(&env->store, txn, "channels", "k1",
                                         2, 1000, id, &len), 0);
    assert_string_equal(id, "ch_1");
    assert_int_equal(len, 4);

    /* valid up to and including its expiry second, gone after */
    assert_int_equal(cmp_idempotency_get(&env->store, txn, "channels", "k1",
                                         2, 1000 + 86400, id, &len), 0);
    assert_int_equal(cmp_idempotency_get(&env->store, txn, "channels", "k1",
                                         2, 1000 + 86401, id, &len),
                     CMP_NOTFOUND);

    /* a key is per kind */
    assert_int_equal(cmp_idempotency_get(&env->store, txn, "campaigns", "k1",
                                         2, 1000, id, &len), CMP_NOTFOUND);

    /* an expired key can be used again */
    assert_int_equal(cmp_idempotency_put(&env->store, txn, "channels", "k1",
                                         2, 200000, "ch_2", 4), 0);
    assert_int_equal(cmp_idempotency_get(&env->store, txn, "channels", "k1",
                                         2, 100000, id, &len), 0);
    assert_string_equal(id, "ch_2");

    assert_int_equal(cmp_idempotency_put(&env->store, txn, "channels", "k2",
                                         2, 1, "0123456789012345678901234567"
                                         "89012345678901234567890123456789"
                                         "0123456", CMP_ID_MAX + 1),
                     CMP_BAD_VALSIZE);

    test_commit(txn);
}


static void
test_secrets(void **state)
{
    size_t       len;
    cmp_txn_t   *txn;
    const char  *json;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_secret_get(&env->store, txn, "c1", 2, &json, &len),
                     CMP_NOTFOUND);
    assert_int_equal(cmp_secret_put(&env->store, txn, "c1", 2,
                                    "{\"t\":\"s\"}", 9), 0);
    assert_int_equal(cmp_secret_get(&env->store, txn, "c1", 2, &json, &len),
                     0);
    assert_int_equal(len, 9);
    assert_memory_equal(json, "{\"t\":\"s\"}", 9);

    assert_int_equal(cmp_secret_del(&env->store, txn, "c1", 2), 0);
    assert_int_equal(cmp_secret_get(&env->store, txn, "c1", 2, &json, &len),
                     CMP_NOTFOUND);
    assert_int_equal(cmp_secret_del(&env->store, txn, "c1", 2), 0);

    test_commit(txn);
}


static void
test_be64(void **state)
{
    unsigned char  a[8], b[8];

    (void) state;

    cmp_be64_put(a, 0x0102030405060708ULL);
    assert_int_equal(a[0], 1);
    assert_int_equal(a[7], 8);
    assert_true(cmp_be64_get(a) == 0x0102030405060708ULL);

    /* byte order is numeric order */
    cmp_be64_put(a, 255);
    cmp_be64_put(b, 256);
    assert_true(memcmp(a, b, 8) < 0);

    cmp_be64_put(a, UINT64_MAX);
    assert_true(cmp_be64_get(a) == UINT64_MAX);
}


/*
 * The smallest map campaign_store accepts (1m) fills up; the failing put
 * is CMP_MAP_FULL, which the API answers 507, and the store stays usable.
 */
static void
test_map_full(void **state)
{
    cmp_txn_t    *txn;
    cmp_op_t      op;
    cmp_store_t   small;
    cmp_record_t  rec;
    test_env_t   *env = *state;

    test_small_store(env, &small);

    /* test_fill() stops at the first record that meets CMP_MAP_FULL */
    assert_true(test_fill(&small, 0) > 10);

    cmp_op_init(&op, &small, NULL, &cmp_kind_channels);
    assert_int_equal(cmp_op_store_error(&op, CMP_MAP_FULL), CMP_FAIL);
    assert_int_equal(op.status, 507);
    assert_string_equal(op.code, "storage_full");
    cmp_op_free(&op);

    /* what was committed before is intact and readable */
    assert_int_equal(cmp_store_txn_begin(&small, NULL, CMP_RDONLY, &txn), 0);
    assert_int_equal(cmp_record_get(&small, txn, &cmp_kind_channels,
                                    "fill00000", 9, &rec), 0);
    assert_int_equal(rec.len, 4000);
    cmp_txn_abort(txn);

    cmp_store_close(&small);
    test_reopen(env);
}


/* env's store swapped for a new one of 1m, the least, in *small */
static void
test_small_store(test_env_t *env, cmp_store_t *small)
{
    int   rc;
    char  err[256];

    cmp_store_close(&env->store);
    test_dir_remove(env->dir);
    snprintf(env->dir, sizeof(env->dir), "/tmp/cmp-unit-XXXXXX");
    assert_non_null(mkdtemp(env->dir));

    rc = cmp_store_open(small, env->dir, 1024 * 1024, 16, err, sizeof(err));
    if (rc != 0) {
        fail_msg("cmp_store_open: %s", err);
    }
}


/* records of 4000 bytes from number from on, until one does not fit */
static int
test_fill(cmp_store_t *st, int from)
{
    int           rc, i;
    char          id[32], *json;
    cmp_txn_t    *txn;
    cmp_record_t  rec;

    json = malloc(4000);
    assert_non_null(json);
    memset(json, 'x', 4000);

    rc = 0;

    for (i = from; i < from + 10000 && rc == 0; i++) {
        assert_int_equal(cmp_store_txn_begin(st, NULL, 0, &txn), 0);

        snprintf(id, sizeof(id), "fill%05d", i);

        rec.seq = i + 1;
        rec.version = 1;
        rec.json = json;
        rec.len = 4000;

        rc = cmp_record_put(st, txn, &cmp_kind_channels, id, strlen(id),
                            &rec);

        if (rc == 0) {
            rc = cmp_txn_commit(txn);

        } else {
            cmp_txn_abort(txn);
        }
    }

    free(json);

    return (rc == CMP_MAP_FULL) ? i : -1;
}


/*
 * A process whose map is full learns nothing from LMDB of another's
 * larger one: the store notes the MDB_MAP_FULL, the other process
 * records its size when it opens, and cmp_store_adopt() takes it.
 */
static void
test_map_adopt(void **state)
{
    int           rc, n, status;
    char          err[256];
    pid_t         pid;
    size_t        grown;
    cmp_store_t   small, large;
    test_env_t   *env = *state;

    test_small_store(env, &small);

    n = test_fill(&small, 0);
    assert_true(n > 10);
    assert_int_equal(small.full, 1);

    /* nobody has a larger map yet: nothing to adopt, the note is gone */
    assert_int_equal(cmp_store_adopt(&small, &grown), 0);
    assert_int_equal(grown, 0);
    assert_int_equal(small.full, 0);

    /* the other process: it grows the map at open, and only that */
    pid = fork();
    assert_true(pid >= 0);

    if (pid == 0) {
        rc = cmp_store_open(&large, env->dir, 2 * 1024 * 1024, 16, err,
                            sizeof(err));
        if (rc == 0) {
            cmp_store_close(&large);
        }

        _exit(rc == 0 ? 0 : 1);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_int_equal(cmp_store_adopt(&small, &grown), 0);
    assert_int_equal(grown, 2 * 1024 * 1024);

    /* where the last record did not fit, as many again do now */
    assert_true(test_fill(&small, n) - n > n / 2);

    cmp_store_close(&small);
    test_reopen(env);
}


/*
 * Group commit runs each op in a child txn: an op that fills the map must
 * fail alone, and the batch's parent txn must still commit the others.
 */
static void
test_map_full_child_spares_parent(void **state)
{
    int           rc, i;
    char          err[256], id[32], *json;
    cmp_txn_t    *parent, *child;
    cmp_store_t   small;
    cmp_record_t  rec;
    test_env_t   *env = *state;

    cmp_store_close(&env->store);
    test_dir_remove(env->dir);
    snprintf(env->dir, sizeof(env->dir), "/tmp/cmp-unit-XXXXXX");
    assert_non_null(mkdtemp(env->dir));

    rc = cmp_store_open(&small, env->dir, 1024 * 1024, 16, err, sizeof(err));
    if (rc != 0) {
        fail_msg("cmp_store_open: %s", err);
    }

    json = malloc(4000);
    assert_non_null(json);
    memset(json, 'y', 4000);

    rec.version = 1;
    rec.json = json;
    rec.len = 4000;

    assert_int_equal(cmp_store_txn_begin(&small, NULL, 0, &parent), 0);

    /* the batch's first op: one small record */
    assert_int_equal(cmp_store_txn_begin(&small, parent, 0, &child), 0);
    rec.seq = 1;
    rec.len = 2;
    assert_int_equal(cmp_record_put(&small, child, &cmp_kind_channels,
                                    "first", 5, &rec), 0);
    assert_int_equal(cmp_txn_commit(child), 0);

    /* the second op writes until the map is full */
    assert_int_equal(cmp_store_txn_begin(&small, parent, 0, &child), 0);
    rec.len = 4000;
    rc = 0;

    for (i = 0; i < 10000 && rc == 0; i++) {
        snprintf(id, sizeof(id), "big%05d", i);
        rec.seq = i + 2;
        rc = cmp_record_put(&small, child, &cmp_kind_channels, id,
                            strlen(id), &rec);
    }

    assert_int_equal(rc, CMP_MAP_FULL);
    cmp_txn_abort(child);

    free(json);

    assert_int_equal(cmp_txn_commit(parent), 0);

    assert_int_equal(cmp_store_txn_begin(&small, NULL, CMP_RDONLY, &parent),
                     0);
    assert_int_equal(cmp_record_get(&small, parent, &cmp_kind_channels,
                                    "first", 5, &rec), 0);
    assert_int_equal(cmp_record_get(&small, parent, &cmp_kind_channels,
                                    "big00000", 8, &rec), CMP_NOTFOUND);
    cmp_txn_abort(parent);

    cmp_store_close(&small);

    assert_int_equal(cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES,
                                    16, err, sizeof(err)), 0);
}


static void
test_op_store_error(void **state)
{
    cmp_op_t     op;
    json_t      *err;
    char        *s;
    size_t       len;
    test_env_t  *env = *state;

    cmp_op_init(&op, &env->store, NULL, &cmp_kind_channels);

    assert_int_equal(cmp_op_store_error(&op, CMP_CORRUPTED), CMP_FAIL);
    assert_int_equal(op.status, 503);
    assert_string_equal(op.code, "store_unavailable");

    assert_int_equal(cmp_op_fail(&op, 422, "validation_failed", "a.b",
                                 "%s must be %d", "a.b", 3), CMP_FAIL);

    err = cmp_op_error_json(&op);
    assert_non_null(err);
    s = cmp_json_dump(err, &len);
    json_decref(err);

    assert_string_equal(s, "{\"error\":{\"code\":\"validation_failed\","
                        "\"message\":\"a.b must be 3\",\"field\":\"a.b\"}}");
    free(s);

    /* no field: no "field" member */
    cmp_op_fail(&op, 404, "not_found", NULL, "no such thing");
    err = cmp_op_error_json(&op);
    s = cmp_json_dump(err, &len);
    json_decref(err);

    assert_string_equal(s, "{\"error\":{\"code\":\"not_found\","
                        "\"message\":\"no such thing\"}}");
    free(s);

    cmp_op_free(&op);
}


static void
test_resource_lifecycle(void **state)
{
    cmp_op_t      op;
    json_t       *rec;
    cmp_txn_t    *txn;
    cmp_record_t  meta;
    test_env_t   *env = *state;

    /* create with a client id */
    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"mine\",\"name\":\"A\",\"type\":\"viber\"}"),
                     CMP_OK);
    assert_int_equal(op.status, 201);
    assert_int_equal(op.version, 1);
    assert_true(op.location);
    assert_string_equal(op.id, "mine");
    assert_non_null(strstr(op.reply,
                           "\"created_at\":\"2027-01-15T08:00:00Z\""));
    cmp_op_free(&op);

    /* the same id again: 409 naming the field */
    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"mine\",\"name\":\"B\",\"type\":\"viber\"}"),
                     CMP_FAIL);
    assert_int_equal(op.status, 409);
    assert_string_equal(op.code, "conflict");
    assert_string_equal(op.field, "id");
    cmp_op_free(&op);

    /* a PATCH, then one whose If-Match is stale: 412, nothing written */
    assert_int_equal(test_run_op(env, &op, cmp_channel_update, "mine",
                     "{\"name\":\"C\"}"), CMP_OK);
    assert_int_equal(op.status, 200);
    assert_int_equal(op.version, 2);
    cmp_op_free(&op);

    {
        char      err[160];
        cmp_txn_t *parent, *child;

        cmp_op_init(&op, &env->store, cmp_channel_update,
                    &cmp_kind_channels);
        op.id_len = 4;
        memcpy(op.id, "mine", 5);
        op.if_match = 1;
        op.body = cmp_json_parse("{\"name\":\"D\"}", 12, err, sizeof(err));

        parent = test_txn(env);
        assert_int_equal(cmp_store_txn_begin(&env->store, parent, 0, &child),
                         0);
        op.txn = child;
        assert_int_equal(op.run(&op), CMP_FAIL);
        assert_int_equal(op.status, 412);
        assert_string_equal(op.code, "version_mismatch");
        cmp_txn_abort(child);
        cmp_txn_abort(parent);
        json_decref(op.body);
        cmp_op_free(&op);
    }

    txn = test_txn(env);
    op.store = &env->store;
    op.txn = txn;
    op.kind = &cmp_kind_channels;
    op.id_len = 4;
    memcpy(op.id, "mine", 5);
    op.if_match = -1;
    assert_int_equal(cmp_resource_load(&op, &rec, &meta), CMP_OK);
    assert_int_equal(meta.version, 2);
    assert_string_equal(json_string_value(json_object_get(rec, "name")), "C");
    assert_string_equal(json_string_value(json_object_get(rec,
                                                          "created_at")),
                        "2027-01-15T08:00:00Z");
    json_decref(rec);
    cmp_txn_abort(txn);

    /* remove: 204, then load is 404 */
    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "mine", "{}"),
                     CMP_OK);
    assert_int_equal(op.status, 204);
    assert_int_equal(op.reply_len, 0);
    cmp_op_free(&op);

    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "mine", "{}"),
                     CMP_FAIL);
    assert_int_equal(op.status, 404);
    assert_string_equal(op.code, "not_found");
    cmp_op_free(&op);
}


static void
test_resource_idempotent_create(void **state)
{
    char          err[160], first[CMP_ID_MAX + 1];
    cmp_op_t      op;
    cmp_txn_t    *txn;
    test_visit_t  v;
    test_env_t   *env = *state;
    int           round;

    for (round = 0; round < 2; round++) {
        cmp_txn_t *parent, *child;

        cmp_op_init(&op, &env->store, cmp_channel_create,
                    &cmp_kind_channels);
        op.now = 1800000000 + round;
        op.idempotency_key = "key-1";
        op.idempotency_key_len = 5;
        op.body = cmp_json_parse("{\"name\":\"I\",\"type\":\"viber\"}", 27,
                                 err, sizeof(err));
        assert_non_null(op.body);

        parent = test_txn(env);
        assert_int_equal(cmp_store_txn_begin(&env->store, parent, 0, &child),
                         0);
        op.txn = child;
        assert_int_equal(op.run(&op), CMP_OK);
        assert_int_equal(cmp_txn_commit(child), 0);
        test_commit(parent);

        assert_int_equal(op.status, 201);
        assert_int_equal(op.version, 1);

        if (round == 0) {
            memcpy(first, op.id, op.id_len + 1);

        } else {
            assert_string_equal(op.id, first);
        }

        json_decref(op.body);
        cmp_op_free(&op);
    }

    txn = test_txn(env);
    test_list(env, txn, 0, 0, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], first);
    cmp_txn_abort(txn);
}


static void
test_channel_secrets_apart(void **state)
{
    size_t        len;
    cmp_op_t      op;
    cmp_txn_t    *txn;
    const char   *s;
    cmp_record_t  rec;
    test_env_t   *env = *state;

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"w\",\"name\":\"W\",\"type\":\"whatsapp\","
                     "\"whatsapp\":{\"waba_id\":\"1\",\"phone_number_id\":"
                     "\"2\",\"access_token\":\"TOKEN-VALUE\","
                     "\"app_secret\":\"APP-VALUE\"}}"), CMP_OK);
    assert_null(strstr(op.reply, "VALUE"));
    assert_non_null(strstr(op.reply, "\"access_token_set\":true"));
    assert_non_null(strstr(op.reply, "\"ready\":true"));
    cmp_op_free(&op);

    txn = test_txn(env);

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "w", 1, &rec), 0);
    assert_null(memmem(rec.json, rec.len, "VALUE", 5));

    assert_int_equal(cmp_secret_get(&env->store, txn, "w", 1, &s, &len), 0);
    assert_non_null(memmem(s, len, "TOKEN-VALUE", 11));
    assert_non_null(memmem(s, len, "APP-VALUE", 9));

    cmp_txn_abort(txn);

    /* delete takes the secrets with the record */
    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "w", "{}"),
                     CMP_OK);
    cmp_op_free(&op);

    txn = test_txn(env);
    assert_int_equal(cmp_secret_get(&env->store, txn, "w", 1, &s, &len),
                     CMP_NOTFOUND);
    cmp_txn_abort(txn);
}


static void
test_channel_status_reset(void **state)
{
    cmp_op_t      op;
    cmp_txn_t    *parent, *child;
    test_env_t   *env = *state;

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"s\",\"name\":\"S\",\"type\":\"viber\"}"),
                     CMP_OK);
    cmp_op_free(&op);

    /* campaignd's verdict: the provider refused the credentials */
    cmp_op_init(&op, &env->store, NULL, &cmp_kind_channels);
    op.now = 1800000100;
    op.id_len = 1;
    memcpy(op.id, "s", 2);

    parent = test_txn(env);
    assert_int_equal(cmp_store_txn_begin(&env->store, parent, 0, &child), 0);
    op.txn = child;
    assert_int_equal(cmp_channel_set_status(&op, "error",
                                            "401 invalid token"), CMP_OK);
    assert_int_equal(cmp_txn_commit(child), 0);
    test_commit(parent);

    assert_non_null(strstr(op.reply, "\"status\":\"error\","
                           "\"last_error\":\"401 invalid token\""));
    assert_int_equal(op.version, 2);
    cmp_op_free(&op);

    /* an operator's PATCH is what clears it */
    assert_int_equal(test_run_op(env, &op, cmp_channel_update, "s",
                     "{\"viber\":{\"auth_token\":\"new\"}}"), CMP_OK);
    assert_non_null(strstr(op.reply, "\"status\":\"ok\","
                           "\"last_error\":null"));
    assert_int_equal(op.version, 3);
    cmp_op_free(&op);

    /* and status is not the API's to set */
    assert_int_equal(test_run_op(env, &op, cmp_channel_update, "s",
                     "{\"status\":\"error\"}"), CMP_FAIL);
    assert_int_equal(op.status, 422);
    assert_string_equal(op.code, "unknown_field");
    assert_string_equal(op.field, "status");
    cmp_op_free(&op);
}


static void
test_channel_delete_referenced(void **state)
{
    cmp_op_t     op;
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"used\",\"name\":\"U\",\"type\":\"viber\"}"),
                     CMP_OK);
    cmp_op_free(&op);

    /* a published flow sends through it */
    txn = test_txn(env);
    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "used", 4, 1),
                     0);
    test_commit(txn);

    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "used", "{}"),
                     CMP_FAIL);
    assert_int_equal(op.status, 409);
    assert_string_equal(op.code, "conflict");
    cmp_op_free(&op);

    /* unpublished: now it may go */
    txn = test_txn(env);
    assert_int_equal(cmp_ref_add(&env->store, txn, "channel", "used", 4, -1),
                     0);
    test_commit(txn);

    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "used", "{}"),
                     CMP_OK);
    assert_int_equal(op.status, 204);
    cmp_op_free(&op);
}


static void
test_channel_failed_patch_keeps_secret(void **state)
{
    size_t        len;
    cmp_op_t      op;
    cmp_txn_t    *txn;
    const char   *s;
    test_env_t   *env = *state;

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"k\",\"name\":\"K\",\"type\":\"viber\","
                     "\"viber\":{\"auth_token\":\"OLD\"}}"), CMP_OK);
    cmp_op_free(&op);

    assert_int_equal(test_run_op(env, &op, cmp_channel_update, "k",
                     "{\"viber\":{\"auth_token\":\"NEW\"},"
                     "\"max_in_flight\":0}"), CMP_FAIL);
    assert_int_equal(op.status, 422);
    assert_string_equal(op.field, "max_in_flight");
    cmp_op_free(&op);

    txn = test_txn(env);
    assert_int_equal(cmp_secret_get(&env->store, txn, "k", 1, &s, &len), 0);
    assert_non_null(memmem(s, len, "OLD", 3));
    assert_null(memmem(s, len, "NEW", 3));
    cmp_txn_abort(txn);
}


/* a deleted id is never handed out again, by a client or the server */
static void
test_deleted_id_reserved(void **state)
{
    cmp_op_t     op;
    cmp_txn_t   *txn;
    int64_t      at;
    test_env_t  *env = *state;

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"gone\",\"name\":\"A\",\"type\":\"viber\"}"),
                     CMP_OK);
    cmp_op_free(&op);

    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "gone", "{}"),
                     CMP_OK);
    assert_int_equal(op.status, 204);
    cmp_op_free(&op);

    txn = test_txn(env);
    assert_int_equal(cmp_tombstone_get(&env->store, txn, &cmp_kind_channels,
                                       "gone", 4, &at), 0);
    assert_int_equal(at, 1800000000);
    assert_int_equal(cmp_tombstone_get(&env->store, txn, &cmp_kind_contacts,
                                       "gone", 4, NULL), CMP_NOTFOUND);
    mdb_txn_abort(txn);

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"gone\",\"name\":\"B\",\"type\":\"viber\"}"),
                     CMP_FAIL);
    assert_int_equal(op.status, 409);
    assert_string_equal(op.code, "conflict");
    assert_string_equal(op.field, "id");
    assert_non_null(strstr(op.message, "deleted"));
    cmp_op_free(&op);

    /* a client took the server's next id and deleted it: it stays taken */
    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"id\":\"ch_00000001\",\"name\":\"C\","
                     "\"type\":\"viber\"}"), CMP_OK);
    cmp_op_free(&op);
    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "ch_00000001",
                     "{}"), CMP_OK);
    cmp_op_free(&op);

    assert_int_equal(test_run_op(env, &op, cmp_channel_create, NULL,
                     "{\"name\":\"D\",\"type\":\"viber\"}"), CMP_OK);
    assert_string_equal(op.id, "ch_00000002");
    cmp_op_free(&op);
}


/*
 * A campaign that ran, deleted: its data goes in chunks of at most
 * CMP_PURGE_CHUNK keys, survives a restart half-way, and another
 * campaign's data stays whole.
 */
static void
test_purge_chunks(void **state)
{
    int                 steps;
    char                gauge[32];
    cmp_txn_t          *txn;
    uint64_t            v;
    cmp_val_t           k, d;
    unsigned char       key[CMP_FKEY_MAX];
    cmp_purge_report_t  r;
    test_env_t         *env = *state;

    test_purge_fill(env, "c1", 2500);
    test_purge_fill(env, "c2", 5);

    txn = test_txn(env);

    test_record(env, txn, &cmp_kind_campaigns, "c2", 1);

    /* c1 has no record: its messages are no one's until they are gone */
    v = test_mkey(key, "c1", 1, "p0");
    assert_int_equal(cmp_message_owned(&env->store, txn, key, v),
                     CMP_NOTFOUND);
    v = test_mkey(key, "c2", 1, "p0");
    assert_int_equal(cmp_message_owned(&env->store, txn, key, v), 0);
    v = test_mkey(key, "#in_1", 0, "p0");
    assert_int_equal(cmp_message_owned(&env->store, txn, key, v), 0);

    assert_int_equal(cmp_tombstone_put(&env->store, txn, &cmp_kind_campaigns,
                                       "c1", 2, 1800000000), 0);
    assert_int_equal(cmp_purge_add(&env->store, txn, &cmp_kind_campaigns,
                                   "c1", 2), 0);
    /* a contact owns nothing the purge removes: no entry */
    assert_int_equal(cmp_purge_add(&env->store, txn, &cmp_kind_contacts,
                                   "p0", 2), 0);
    test_commit(txn);

    assert_true(test_names(env, CMP_DB_MESSAGES, "c1") == 2500);
    assert_true(test_names(env, CMP_DB_MESSAGE_STATUS, "c1") == 2500);

    steps = 0;

    do {
        assert_int_equal(cmp_purge_step(&env->store, CMP_PURGE_CHUNK, &r),
                         0);
        assert_true(r.removed <= CMP_PURGE_CHUNK);
        assert_string_equal(r.kind, "campaign");
        assert_string_equal(r.id, "c1");
        steps++;

        /* a crash between two chunks: the next start goes on */
        if (steps == 2) {
            test_reopen(env);
        }

    } while (r.more);

    assert_true(r.finished);
    assert_true(steps >= 6);

    assert_int_equal(cmp_purge_step(&env->store, CMP_PURGE_CHUNK, &r), 0);
    assert_false(r.more);
    assert_false(r.finished);
    assert_int_equal(r.removed, 0);

    assert_int_equal(test_names(env, CMP_DB_MESSAGES, "c1"), 0);
    assert_int_equal(test_names(env, CMP_DB_MESSAGE_STATUS, "c1"), 0);
    assert_int_equal(test_names(env, CMP_DB_COUNTERS, "c1"), 0);
    assert_int_equal(test_names(env, CMP_DB_INSTANCES, "c1"), 0);
    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#live\0c1\0", 9), 0);
    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#fill\0c1", 8), 0);
    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#wait\0wa\0c1", 11),
                     0);
    assert_int_equal(test_count(env, CMP_DB_MESSAGE_BY_PROVIDER, "wc1.", 4),
                     0);
    assert_int_equal(test_count(env, CMP_DB_QUEUE, "#sending\0c1\0", 12), 0);
    /* c2's: five instances' timers and a retry; a queued and a sending */
    assert_int_equal(test_count(env, CMP_DB_TIMERS, "", 0), 5 + 1);
    assert_int_equal(test_count(env, CMP_DB_QUEUE, "", 0), 1 + 1);

    assert_int_equal(test_names(env, CMP_DB_MESSAGES, "c2"), 5);
    assert_int_equal(test_names(env, CMP_DB_MESSAGE_STATUS, "c2"), 5);
    assert_int_equal(test_names(env, CMP_DB_INSTANCES, "c2"), 5);
    assert_int_equal(test_count(env, CMP_DB_MESSAGE_BY_PROVIDER, "wc2.", 4),
                     5);
    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#wait\0wa\0c2", 11),
                     5);

    /* the store's gauge counts what is left; the totals keep c1's sends */
    txn = test_txn(env);
    snprintf(gauge, sizeof(gauge), "%ssent", CMP_FUNNEL_STATUS);
    k.mv_data = key;
    k.mv_size = 4 + 1 + 4 + strlen(gauge);
    memcpy(key, CMP_COUNTER_ALL "\0\0\0\0", 9);
    memcpy(key + 9, gauge, strlen(gauge));
    assert_int_equal(cmp_db_get(&env->store, txn, CMP_DB_COUNTERS, &k, &d),
                     0);
    assert_int_equal(cmp_be64_get(d.mv_data), 5);
    memcpy(key + 9, "sent", 4);
    k.mv_size = 9 + 4;
    assert_int_equal(cmp_db_get(&env->store, txn, CMP_DB_COUNTERS, &k, &d),
                     0);
    assert_int_equal(cmp_be64_get(d.mv_data), 2505);
    mdb_txn_abort(txn);
}


/* a deleted flow's test sends go, with their messages; others' stay */
static void
test_purge_test_sends(void **state)
{
    int                 i;
    char                id[16], json[96];
    size_t              klen, mlen;
    cmp_txn_t          *txn;
    cmp_record_t        rec;
    unsigned char       key[CMP_INSTANCE_KEY_MAX], mkey[CMP_MESSAGE_KEY_MAX];
    cmp_purge_report_t  r;
    test_env_t         *env = *state;

    txn = test_txn(env);

    /* in_0 .. in_2 are flow fl's, in_3 another flow's */
    for (i = 0; i < 4; i++) {
        snprintf(id, sizeof(id), "in_%d", i);
        snprintf(json, sizeof(json), "{\"id\":\"%s\",\"flow_id\":\"%s\"}",
                 id, i < 3 ? "fl" : "other");

        klen = cmp_instance_test_key(key, id, strlen(id));
        rec.seq = i + 1;
        rec.version = 1;
        rec.json = json;
        rec.len = strlen(json);
        assert_int_equal(cmp_instance_put(&env->store, txn, key, klen, &rec),
                         0);
        assert_int_equal(cmp_instance_enqueue(&env->store, txn, i + 1, id,
                                              strlen(id)), 0);

        snprintf(id, sizeof(id), "#in_%d", i);
        mlen = test_mkey(mkey, id, 0, "p1");
        assert_int_equal(cmp_message_put(&env->store, txn, mkey, mlen, NULL,
                                         "sent", "{\"status\":\"sent\"}",
                                         17), 0);
    }

    assert_int_equal(cmp_purge_add(&env->store, txn, &cmp_kind_flows, "fl",
                                   2), 0);
    test_commit(txn);

    /* the smallest budget a chunk has: one message and a walk's look */
    do {
        assert_int_equal(cmp_purge_step(&env->store, 1, &r), 0);
        assert_true(r.removed <= 6);
    } while (r.more);

    assert_true(r.finished);
    assert_string_equal(r.kind, "flow");

    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#test\0", 6), 1);
    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#test\0in_3", 10), 1);
    assert_int_equal(test_count(env, CMP_DB_INSTANCES, "#queued\0", 8), 1);
    assert_int_equal(test_count(env, CMP_DB_MESSAGES, "#", 1), 1);
    assert_int_equal(test_count(env, CMP_DB_MESSAGES, "#in_3\0", 6), 1);
}


/*
 * The queue and the timers are shared by every campaign: a purge takes
 * a campaign's entries out by the keys its records keep, so its chunks
 * do not grow with what other campaigns have queued or timed.
 */
static void
test_purge_shared_dbs(void **state)
{
    int                 i, steps;
    char                contact[16];
    size_t              klen;
    uint64_t            seq;
    cmp_txn_t          *txn;
    unsigned char       key[CMP_MESSAGE_KEY_MAX];
    cmp_purge_report_t  r;
    test_env_t         *env = *state;

    test_purge_fill(env, "c1", 3);

    txn = test_txn(env);

    for (i = 0; i < 3 * CMP_PURGE_CHUNK; i++) {
        snprintf(contact, sizeof(contact), "q%d", i);
        klen = test_mkey(key, "c9", 1, contact);
        assert_int_equal(cmp_queue_put(&env->store, txn, "wa", 1, key, klen,
                                       &seq), 0);
        assert_int_equal(cmp_timer_put(&env->store, txn, 7000 + i,
                                       CMP_TIMER_RETRY, key, klen), 0);
    }

    assert_int_equal(cmp_purge_add(&env->store, txn, &cmp_kind_campaigns,
                                   "c1", 2), 0);
    test_commit(txn);

    /* c1's three instances' timers and one retry timer, beside c9's */
    assert_int_equal(test_count(env, CMP_DB_TIMERS, "", 0),
                     3 * CMP_PURGE_CHUNK + 3 + 1);

    steps = 0;

    do {
        assert_int_equal(cmp_purge_step(&env->store, CMP_PURGE_CHUNK, &r),
                         0);
        steps++;
    } while (r.more);

    assert_true(r.finished);
    assert_int_equal(steps, 1);

    assert_int_equal(test_names(env, CMP_DB_MESSAGES, "c1"), 0);
    assert_int_equal(test_count(env, CMP_DB_TIMERS, "", 0),
                     3 * CMP_PURGE_CHUNK);
    /* c9's entries only: c1's queued one and its "#sending" marker went */
    assert_int_equal(test_count(env, CMP_DB_QUEUE, "", 0),
                     3 * CMP_PURGE_CHUNK);
}


/*
 * A message queued again with its record written once: the peek fills
 * the member the record stores, the entry takes the peeked seq, and a
 * peek gone stale (another entry put in between) is refused.
 */
static void
test_queue_put_peeked(void **state)
{
    char                json[200];
    size_t              klen, len, n;
    uint64_t            other;
    cmp_txn_t          *txn;
    cmp_val_t           k, v;
    const char         *rec;
    unsigned char       key[CMP_MESSAGE_KEY_MAX], qkey[CMP_QUEUE_KEY_MAX];
    cmp_queue_peek_t    peek;
    cmp_json_field_t    f[1], member;
    test_env_t         *env = *state;

    klen = test_mkey(key, "c1", 1, "li");
    snprintf(json, sizeof(json), "{\"channel_id\":\"wa\","
             "\"status\":\"queued\",\"queue_seq\":0}");

    txn = test_txn(env);
    assert_int_equal(cmp_message_put(&env->store, txn, key, klen, NULL,
                                     "queued", json, strlen(json)), 0);

    /* a store that never queued: the first seq is 1, and the member says so */
    assert_int_equal(cmp_queue_seq_peek(&env->store, txn, &peek, &member),
                     0);
    assert_int_equal(peek.seq, 1);
    assert_string_equal(member.name, CMP_QUEUE_SEQ_FIELD);
    assert_int_equal(member.len, 1);
    assert_memory_equal(member.value, "1", 1);

    assert_int_equal(cmp_queue_put_peeked(&env->store, txn, "wa", 1, key,
                                          klen, &peek), 0);

    /* the record was not touched: it still names 0, as the caller wrote */
    assert_int_equal(cmp_message_get(&env->store, txn, key, klen, &rec,
                                     &len), 0);
    f[0].name = CMP_QUEUE_SEQ_FIELD;
    assert_int_equal(cmp_json_raw_find(rec, len, f, 1), 0);
    assert_int_equal(cmp_json_raw_value_int(f[0].value, f[0].len), 0);

    /* the entry is at the peeked seq */
    n = strlen("wa");
    memcpy(qkey, "wa", n);
    qkey[n++] = '\0';
    qkey[n++] = 1;
    cmp_be64_put(qkey + n, peek.seq);
    k.mv_data = qkey;
    k.mv_size = n + 8;
    assert_int_equal(cmp_db_get(&env->store, txn, CMP_DB_QUEUE, &k, &v), 0);
    assert_int_equal(v.mv_size, klen);
    assert_memory_equal(v.mv_data, key, klen);

    /* a peek gone stale: another entry took it first, and the put says so */
    assert_int_equal(cmp_queue_seq_peek(&env->store, txn, &peek, &member),
                     0);
    assert_int_equal(peek.seq, 2);
    assert_int_equal(cmp_queue_put(&env->store, txn, "wb", 1, key, klen,
                                   &other), 0);
    assert_int_equal(other, 2);
    assert_int_equal(cmp_queue_put_peeked(&env->store, txn, "wa", 1, key,
                                          klen, &peek), CMP_BAD_TXN);

    cmp_txn_abort(txn);
}


/*
 * What a campaign that ran leaves, as campaignd writes it: n sent
 * messages (provider ids "w<campaign>.<i>") with their counters, one
 * in flight, one queued on channel "wa" with a retry timer; n or 5
 * instances waiting on "wa" with their timers, "#live" entries, "#fill".
 */
static void
test_purge_fill(test_env_t *env, const char *campaign, int n)
{
    int                 i, ni;
    char                contact[16], json[200], pid[32];
    size_t              klen, clen;
    json_t             *inst;
    uint64_t            seq;
    cmp_txn_t          *txn;
    unsigned char       key[CMP_MESSAGE_KEY_MAX];

    clen = strlen(campaign);
    ni = (n < 5) ? n : 5;

    txn = test_txn(env);

    for (i = 0; i < n; i++) {
        snprintf(contact, sizeof(contact), "p%d", i);
        snprintf(pid, sizeof(pid), "w%s.%d", campaign, i);

        klen = test_mkey(key, campaign, 1, contact);

        /* the first is queued again and has a retry timer, as campaignd
         * leaves a throttled one: its record names both */
        if (i == 0) {
            assert_int_equal(cmp_queue_put(&env->store, txn, "wa", 1, key,
                                           klen, &seq), 0);
            assert_int_equal(cmp_timer_put(&env->store, txn, 9000 + i,
                                           CMP_TIMER_RETRY, key, klen), 0);
            snprintf(json, sizeof(json), "{\"channel_id\":\"wa\","
                     "\"status\":\"sent\",\"provider_message_id\":\"%s\","
                     "\"queue_seq\":%llu,\"retry_at_ms\":%d}", pid,
                     (unsigned long long) seq, 9000 + i);

        } else {
            snprintf(json, sizeof(json), "{\"channel_id\":\"wa\","
                     "\"status\":\"sent\",\"provider_message_id\":\"%s\"}",
                     pid);
        }

        assert_int_equal(cmp_message_put(&env->store, txn, key, klen, NULL,
                                         "sent", json, strlen(json)), 0);
        assert_int_equal(cmp_funnel_move(&env->store, txn, campaign, clen, 1,
                                         NULL, "sent"), 0);

        assert_int_equal(cmp_message_provider_put(&env->store, txn, pid,
                                                  strlen(pid), key, klen),
                         0);

        if (i == 0) {
            assert_int_equal(cmp_queue_sending_put(&env->store, txn, key,
                                                   klen, "wa"), 0);
        }

        if (i >= ni) {
            continue;
        }

        klen = cmp_instance_run_key(key, campaign, clen, 1, contact,
                                    strlen(contact));
        snprintf(json, sizeof(json), "{\"campaign_id\":\"%s\","
                 "\"status\":\"waiting\",\"timer_ms\":%d,"
                 "\"last_channel\":\"wa\",\"last_address\":\"%s%d\"}",
                 campaign, 5000 + i, campaign, i);
        inst = json_loads(json, 0, NULL);
        assert_non_null(inst);
        assert_int_equal(cmp_instance_save(&env->store, txn, key, klen,
                                           inst, 1, 1), 0);
        json_decref(inst);
        assert_int_equal(cmp_timer_put(&env->store, txn, 5000 + i,
                                       CMP_TIMER_INSTANCE, key, klen), 0);

        snprintf(pid, sizeof(pid), "%s%d", campaign, i);
        assert_int_equal(cmp_wait_put(&env->store, txn, "wa", pid, key,
                                      klen), 0);
        assert_int_equal(cmp_live_put(&env->store, txn, campaign, clen,
                                      contact, strlen(contact), 1), 0);
    }

    assert_int_equal(cmp_fill_put(&env->store, txn, campaign, clen, 1, "p0",
                                  2), 0);

    test_commit(txn);
}


/* "c1" NUL status NUL: a campaign's status index entries of a status */
#define test_status_count(env, status)                                    \
    test_count(env, CMP_DB_MESSAGE_STATUS, "c1\0" status "\0",            \
               sizeof("c1\0" status))


/*
 * The status index follows every write of a message: a new one, each
 * change of status (by text and by a parsed record), a write that keeps
 * the status; a test send is in no index.
 */
static void
test_message_status(void **state)
{
    test_env_t *env = *state;

    json_t         *msg;
    size_t          k1, k2, kt;
    cmp_txn_t      *txn;
    unsigned char   key1[CMP_MESSAGE_KEY_MAX], key2[CMP_MESSAGE_KEY_MAX];
    unsigned char   keyt[CMP_MESSAGE_KEY_MAX];

    k1 = test_mkey(key1, "c1", 1, "p1");
    k2 = test_mkey(key2, "c1", 2, "p2");
    kt = test_mkey(keyt, "#in_1", 0, "p1");

    txn = test_txn(env);
    assert_int_equal(cmp_message_put(&env->store, txn, key1, k1, NULL,
                                     "queued", "{\"status\":\"queued\"}",
                                     19), 0);
    assert_int_equal(cmp_message_put(&env->store, txn, key2, k2, NULL,
                                     "queued", "{\"status\":\"queued\"}",
                                     19), 0);
    assert_int_equal(cmp_message_put(&env->store, txn, keyt, kt, NULL,
                                     "queued", "{\"status\":\"queued\"}",
                                     19), 0);
    test_commit(txn);

    assert_int_equal(test_status_count(env, "queued"), 2);
    assert_int_equal(test_count(env, CMP_DB_MESSAGE_STATUS, "#", 1), 0);

    /* dispatch's rewrites: queued -> sending -> sent */
    txn = test_txn(env);
    assert_int_equal(cmp_message_put(&env->store, txn, key1, k1, "queued",
                                     "sending", "{\"status\":\"sending\"}",
                                     20), 0);
    assert_int_equal(cmp_message_put(&env->store, txn, key1, k1, "sending",
                                     "sent", "{\"status\":\"sent\"}", 17),
                     0);
    test_commit(txn);

    assert_int_equal(test_status_count(env, "queued"), 1);
    assert_int_equal(test_status_count(env, "sending"), 0);
    assert_int_equal(test_status_count(env, "sent"), 1);

    /* a webhook's: the record parsed, its status set, saved */
    txn = test_txn(env);
    msg = json_pack("{s:s}", "status", "delivered");
    assert_int_equal(cmp_message_save(&env->store, txn, key1, k1, "sent",
                                      msg), 0);
    /* a reply's replied_at: the status stays, so does the entry */
    assert_int_equal(cmp_message_save(&env->store, txn, key1, k1,
                                      "delivered", msg), 0);
    json_decref(msg);
    test_commit(txn);

    assert_int_equal(test_status_count(env, "sent"), 0);
    assert_int_equal(test_status_count(env, "delivered"), 1);

    /* the walk: that status only, a run of it, after a cursor */
    txn = test_txn(env);
    assert_int_equal(test_status_walk(env, txn, "delivered", 0, NULL, 0), 1);
    assert_int_equal(test_status_walk(env, txn, "queued", 2, NULL, 0), 1);
    assert_int_equal(test_status_walk(env, txn, "queued", 1, NULL, 0), 0);
    assert_int_equal(test_status_walk(env, txn, "delivered", 0, key1, k1),
                     0);
    mdb_txn_abort(txn);
}


/* how many messages of c1 the status index walk visits */
static int
test_status_walk(test_env_t *env, cmp_txn_t *txn, const char *status,
    uint32_t run, const unsigned char *after, size_t after_len)
{
    int  n;

    n = 0;
    assert_int_equal(cmp_message_status_scan(&env->store, txn, "c1", 2,
                                             status, run, after, after_len,
                                             test_message_status_visit, &n),
                     0);

    return n;
}


/* counts what it meets; each is a message of c1 */
static int
test_message_status_visit(void *ctx, const unsigned char *key,
    size_t key_len, const char *json, size_t len)
{
    int  *n = ctx;

    assert_true(key_len > 3 && memcmp(key, "c1", 3) == 0);
    assert_true(len > 0 && json[0] == '{');
    (*n)++;

    return 0;
}


/*
 * A store from before the index: its ledger indexed a chunk at a time,
 * a status changed between two chunks indexed once, under its new one.
 */
static void
test_message_status_build(void **state)
{
    test_env_t *env = *state;

    int             i, more, steps;
    char            contact[16], json[64];
    size_t          klen;
    cmp_txn_t      *txn;
    uint64_t        n, total;
    unsigned char   key[CMP_MESSAGE_KEY_MAX];

    txn = test_txn(env);
    assert_true(cmp_message_status_ready(&env->store, txn));

    for (i = 0; i < 2500; i++) {
        snprintf(contact, sizeof(contact), "p%04d", i);
        snprintf(json, sizeof(json), "{\"id\":\"x\",\"status\":\"%s\"}",
                 (i % 2) ? "sent" : "failed");
        klen = test_mkey(key, "c1", 1, contact);
        assert_int_equal(cmp_db_store(&env->store, txn, CMP_DB_MESSAGES, key,
                                      klen, json, strlen(json)), 0);
    }

    assert_int_equal(cmp_meta_put_u64(&env->store, txn,
                                      CMP_META_MESSAGE_STATUS, 0), 0);
    test_commit(txn);

    steps = 0;
    total = 0;

    do {
        assert_int_equal(cmp_message_status_build(&env->store,
                                                  CMP_MESSAGE_STATUS_CHUNK,
                                                  &n, &more), 0);
        assert_true(n <= CMP_MESSAGE_STATUS_CHUNK);
        total += n;
        steps++;

        txn = test_txn(env);
        assert_int_equal(cmp_message_status_ready(&env->store, txn), !more);

        /* p2499, not indexed yet, fails: its entry is "failed" alone */
        if (steps == 1) {
            klen = test_mkey(key, "c1", 1, "p2499");
            assert_int_equal(cmp_message_put(&env->store, txn, key, klen,
                                              "sent", "failed",
                                              "{\"status\":\"failed\"}", 19),
                             0);
        }

        test_commit(txn);

        if (steps == 2) {
            test_reopen(env);
        }

    } while (more);

    assert_int_equal(steps, 3);
    assert_int_equal(total, 2500);
    assert_int_equal(test_status_count(env, "failed"), 1251);
    assert_int_equal(test_status_count(env, "sent"), 1249);

    /* built: a call costs a look and writes nothing */
    assert_int_equal(cmp_message_status_build(&env->store,
                                              CMP_MESSAGE_STATUS_CHUNK, &n,
                                              &more), 0);
    assert_int_equal(n, 0);
    assert_false(more);
}


/* entries of db whose key starts with prefix */
static uint64_t
test_count(test_env_t *env, cmp_db_e db, const void *prefix, size_t len)
{
    int            rc;
    cmp_txn_t     *txn;
    uint64_t       n;
    cmp_val_t      k, v;
    cmp_cursor_t  *cur;

    txn = test_txn(env);
    assert_int_equal(cmp_cursor_open(&env->store, txn, db, &cur), 0);

    n = 0;
    k.mv_data = (void *) prefix;
    k.mv_size = len;

    rc = cmp_cursor_get(cur, &k, &v, len ? CMP_SET_RANGE : CMP_FIRST);

    while (rc == 0 && k.mv_size >= len && memcmp(k.mv_data, prefix, len) == 0)
    {
        n++;
        rc = cmp_cursor_get(cur, &k, &v, CMP_NEXT);
    }

    cmp_cursor_close(cur);
    mdb_txn_abort(txn);

    return n;
}


/* entries of db whose key is the campaign's: id NUL ... */
static uint64_t
test_names(test_env_t *env, cmp_db_e db, const char *id)
{
    char  prefix[CMP_ID_MAX + 1];

    memcpy(prefix, id, strlen(id) + 1);

    return test_count(env, db, prefix, strlen(id) + 1);
}


/* a record of kind holding just "{}" */
static void
test_record(test_env_t *env, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, uint64_t seq)
{
    cmp_record_t  rec;

    rec.seq = seq;
    rec.version = 1;
    rec.json = "{}";
    rec.len = 2;

    assert_int_equal(cmp_record_put(&env->store, txn, kind, id, strlen(id),
                                    &rec), 0);
}


/* the ledger key of node "s", step 0, of a campaign's (or test send's) */
static size_t
test_mkey(unsigned char *key, const char *campaign, uint32_t run,
    const char *contact)
{
    cmp_message_key_t  mk;

    memset(&mk, 0, sizeof(mk));
    mk.campaign = campaign;
    mk.campaign_len = strlen(campaign);
    mk.run = run;
    mk.contact = contact;
    mk.contact_len = strlen(contact);
    mk.node = "s";
    mk.node_len = 1;

    return cmp_message_key(key, &mk);
}


static void
test_reopen(test_env_t *env)
{
    char  err[256];

    cmp_store_close(&env->store);

    if (cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                       sizeof(err)) != 0)
    {
        fail_msg("cmp_store_open: %s", err);
    }
}


/* a cmp_member_visit_pt: ids in the order met, a chunk of stop_after */
static int
test_id_visit(void *ctx, const char *id, size_t len)
{
    test_visit_t  *v = ctx;

    assert_true(v->n < 16);
    assert_true(len <= CMP_ID_MAX);

    memcpy(v->ids[v->n], id, len);
    v->ids[v->n][len] = '\0';
    v->n++;

    return (v->stop_after > 0 && v->n == v->stop_after);
}


static void
test_members(test_env_t *env, cmp_txn_t *txn, const char *gid,
    const char *after, int chunk, test_visit_t *v)
{
    memset(v, 0, sizeof(test_visit_t));
    v->stop_after = chunk;

    assert_int_equal(cmp_members_walk(&env->store, txn, gid, strlen(gid),
                                      after, after ? strlen(after) : 0,
                                      test_id_visit, v), 0);
}


static void
test_member_of(test_env_t *env, cmp_txn_t *txn, const char *cid,
    test_visit_t *v)
{
    memset(v, 0, sizeof(test_visit_t));

    assert_int_equal(cmp_member_of_walk(&env->store, txn, cid, strlen(cid),
                                        test_id_visit, v), 0);
}


static void
test_member_add(test_env_t *env, cmp_txn_t *txn, const char *gid,
    const char *cid, int added)
{
    int  n;

    assert_int_equal(cmp_member_add(&env->store, txn, gid, strlen(gid), cid,
                                    strlen(cid), &n), 0);
    assert_int_equal(n, added);
}


/* the bytes under key in db are those existing stores hold */
static void
test_raw(test_env_t *env, cmp_txn_t *txn, cmp_db_e db, const void *key,
    size_t len, const char *want, size_t want_len)
{
    size_t       vlen;
    const void  *val;

    assert_int_equal(cmp_db_fetch(&env->store, txn, db, key, len, &val,
                                  &vlen), 0);
    assert_int_equal(vlen, want_len);
    assert_memory_equal(val, want, want_len);
}


/*
 * A group's members come in chunks from a position on, as a run's fill
 * and a members page take them: each chunk starts after the last id of
 * the one before, whether that contact is still a member or not.
 */
static void
test_members_chunks(void **state)
{
    int            i;
    char           last[CMP_ID_MAX + 1];
    cmp_txn_t     *txn;
    test_env_t    *env = *state;
    test_visit_t   v;
    static const char  *ids[] = {
        "c05", "c01", "c03", "c02", "c04", "c06", "c07"
    };

    txn = test_txn(env);

    for (i = 0; i < 7; i++) {
        test_member_add(env, txn, "g1", ids[i], 1);
    }

    /* groups whose ids sort next to g1 keep their own members */
    test_member_add(env, txn, "g", "c99", 1);
    test_member_add(env, txn, "g10", "c00", 1);
    test_commit(txn);

    txn = test_txn(env);

    test_members(env, txn, "g1", NULL, 3, &v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "c01");
    assert_string_equal(v.ids[2], "c03");

    strcpy(last, v.ids[2]);
    test_members(env, txn, "g1", last, 3, &v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "c04");
    assert_string_equal(v.ids[2], "c06");

    strcpy(last, v.ids[2]);
    test_members(env, txn, "g1", last, 3, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "c07");

    test_members(env, txn, "g1", "c07", 3, &v);
    assert_int_equal(v.n, 0);

    /* unbounded: the whole group, none of its neighbours' */
    test_members(env, txn, "g1", NULL, 0, &v);
    assert_int_equal(v.n, 7);
    assert_string_equal(v.ids[6], "c07");

    test_members(env, txn, "g", NULL, 0, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "c99");

    /* the key bytes existing stores hold: group NUL contact, and back */
    test_raw(env, txn, CMP_DB_MEMBERS, "g1\0c01", 6, "", 0);
    test_raw(env, txn, CMP_DB_MEMBER_OF, "c01\0g1", 6, "", 0);
    cmp_txn_abort(txn);

    /* the position left the group between two chunks: the walk goes on */
    txn = test_txn(env);
    assert_int_equal(cmp_member_remove(&env->store, txn, "g1", 2, "c03", 3,
                                       &i), 0);
    assert_int_equal(i, 1);

    test_members(env, txn, "g1", "c03", 2, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "c04");
    assert_string_equal(v.ids[1], "c05");

    /* nor is a position that never was a member */
    test_members(env, txn, "g1", "c035", 1, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "c04");

    /* an id no id can be is refused, not cut short */
    assert_int_equal(cmp_members_walk(&env->store, txn, "g1", 2, ids[0],
                                      CMP_ID_MAX + 1, test_id_visit, &v),
                     CMP_BAD_VALSIZE);
    test_commit(txn);
}


/* every change of membership is seen from the group and from the contact */
static void
test_members_both_ways(void **state)
{
    int            n;
    cmp_txn_t     *txn;
    test_env_t    *env = *state;
    test_visit_t   v;

    txn = test_txn(env);

    test_member_add(env, txn, "g1", "c1", 1);
    test_member_add(env, txn, "g2", "c1", 1);
    test_member_add(env, txn, "g1", "c2", 1);
    test_member_add(env, txn, "g1", "c1", 0);

    assert_int_equal(cmp_member_is(&env->store, txn, "g1", 2, "c1", 2), 0);
    assert_int_equal(cmp_member_is(&env->store, txn, "g2", 2, "c2", 2),
                     CMP_NOTFOUND);

    test_member_of(env, txn, "c1", &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "g1");
    assert_string_equal(v.ids[1], "g2");

    assert_int_equal(cmp_member_remove(&env->store, txn, "g2", 2, "c1", 2,
                                       &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cmp_member_remove(&env->store, txn, "g2", 2, "c1", 2,
                                       &n), 0);
    assert_int_equal(n, 0);

    test_member_of(env, txn, "c1", &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "g1");
    assert_int_equal(cmp_member_is(&env->store, txn, "g2", 2, "c1", 2),
                     CMP_NOTFOUND);
    test_commit(txn);

    /* a contact leaves all its groups: both ways, each group heard of */
    txn = test_txn(env);
    test_member_add(env, txn, "g3", "c1", 1);

    memset(&v, 0, sizeof(test_visit_t));
    assert_int_equal(cmp_member_of_take(&env->store, txn, "c1", 2,
                                        test_id_visit, &v), 0);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "g1");
    assert_string_equal(v.ids[1], "g3");

    test_member_of(env, txn, "c1", &v);
    assert_int_equal(v.n, 0);
    test_members(env, txn, "g3", NULL, 0, &v);
    assert_int_equal(v.n, 0);
    test_members(env, txn, "g1", NULL, 0, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "c2");
    test_commit(txn);
}


/* a cmp_index_visit_pt: keys met, their NULs shown as '/' */
static int
test_index_visit(void *ctx, const char *key, size_t key_len, const char *id,
    size_t id_len)
{
    size_t         i;
    test_visit_t  *v = ctx;

    assert_true(v->n < 16);
    assert_true(key_len <= CMP_ID_MAX);
    assert_true(key_len > id_len);
    assert_memory_equal(key + key_len - id_len, id, id_len);

    for (i = 0; i < key_len; i++) {
        v->ids[v->n][i] = (key[i] == '\0') ? '/' : key[i];
    }

    v->ids[v->n][key_len] = '\0';
    v->n++;

    return (v->stop_after > 0 && v->n == v->stop_after);
}


static void
test_index_walk(void **state)
{
    cmp_txn_t     *txn;
    test_env_t    *env = *state;
    test_visit_t   v;

    txn = test_txn(env);

    assert_int_equal(cmp_index_put(&env->store, txn, "contact_name",
                                   "ann\0ct_1", 8, "ct_1", 4), 0);
    assert_int_equal(cmp_index_put(&env->store, txn, "contact_name",
                                   "anna\0ct_2", 9, "ct_2", 4), 0);
    assert_int_equal(cmp_index_put(&env->store, txn, "contact_name",
                                   "an\0ct_3", 7, "ct_3", 4), 0);
    assert_int_equal(cmp_index_put(&env->store, txn, "contact_name",
                                   "bob\0ct_4", 8, "ct_4", 4), 0);

    /* another index's keys, sorted right after, are not this one's */
    assert_int_equal(cmp_index_put(&env->store, txn, "contact_namf",
                                   "ann\0ct_5", 8, "ct_5", 4), 0);

    memset(&v, 0, sizeof(test_visit_t));
    assert_int_equal(cmp_index_walk(&env->store, txn, "contact_name", "ann",
                                    3, NULL, 0, test_index_visit, &v), 0);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "ann/ct_1");
    assert_string_equal(v.ids[1], "anna/ct_2");

    /* a page resumes after its position */
    memset(&v, 0, sizeof(test_visit_t));
    assert_int_equal(cmp_index_walk(&env->store, txn, "contact_name", "ann",
                                    3, "ann\0ct_1", 8, test_index_visit, &v),
                     0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "anna/ct_2");

    memset(&v, 0, sizeof(test_visit_t));
    v.stop_after = 3;
    assert_int_equal(cmp_index_walk(&env->store, txn, "contact_name", "", 0,
                                    NULL, 0, test_index_visit, &v), 0);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "an/ct_3");
    assert_string_equal(v.ids[2], "anna/ct_2");

    memset(&v, 0, sizeof(test_visit_t));
    assert_int_equal(cmp_index_walk(&env->store, txn, "contact_name", "", 0,
                                    "anna\0ct_2", 9, test_index_visit, &v),
                     0);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "bob/ct_4");

    test_commit(txn);
}


static int
test_campaign_visit(void *ctx, const cmp_campaign_entry_t *e)
{
    test_visit_t  *v = ctx;

    assert_true(v->n < 16);
    assert_true(e->id_len <= CMP_ID_MAX);
    assert_int_equal(e->flow_id_len, 4);
    assert_memory_equal(e->flow_id, "fl_1", 4);
    assert_int_equal(e->group_id_len, 4);
    assert_memory_equal(e->group_id, "gr_1", 4);
    assert_int_equal(e->folded_name_len, e->id_len + 1);
    assert_memory_equal(e->folded_name + 1, e->id, e->id_len);

    memcpy(v->ids[v->n], e->id, e->id_len);
    v->ids[v->n][e->id_len] = '\0';
    v->seqs[v->n] = e->seq;
    v->statuses[v->n] = e->status;
    v->n++;

    return (v->stop_after > 0 && v->n == v->stop_after);
}


static void
test_campaign_put(test_env_t *env, cmp_txn_t *txn, int status, uint64_t seq,
    const char *id)
{
    char                   name[CMP_ID_MAX + 2];
    cmp_campaign_entry_t   e;

    snprintf(name, sizeof(name), "n%s", id);

    e.id = id;
    e.id_len = strlen(id);
    e.flow_id = "fl_1";
    e.flow_id_len = 4;
    e.group_id = "gr_1";
    e.group_id_len = 4;
    e.folded_name = name;
    e.folded_name_len = strlen(name);
    e.seq = seq;
    e.status = status;

    assert_int_equal(cmp_campaign_index_put(&env->store, txn, &e), 0);
}


static void
test_scan(test_env_t *env, cmp_txn_t *txn, unsigned statuses,
    uint64_t before, int stop_after, test_visit_t *v)
{
    memset(v, 0, sizeof(test_visit_t));
    v->stop_after = stop_after;

    assert_int_equal(cmp_campaign_scan(&env->store, txn, statuses, before,
                                       test_campaign_visit, v), 0);
}


/* the status index: one entry a campaign, merged newest first per mask */
static void
test_campaign_index(void **state)
{
    cmp_txn_t      *txn;
    test_env_t     *env = *state;
    test_visit_t    v;
    unsigned char   key[32];

    txn = test_txn(env);

    test_campaign_put(env, txn, 0, 1, "cp_1");
    test_campaign_put(env, txn, 1, 2, "cp_2");
    test_campaign_put(env, txn, 0, 3, "cp_3");
    test_campaign_put(env, txn, 2, 4, "cp_4");
    test_campaign_put(env, txn, 3, 5, "cp_5");

    /* other indexes share the database */
    assert_int_equal(cmp_index_put(&env->store, txn, "campaign_statuz",
                                   "x", 1, "cp_9", 4), 0);
    assert_int_equal(cmp_index_put(&env->store, txn, "campaign_statur",
                                   "x", 1, "cp_9", 4), 0);

    test_scan(env, txn, 0x05, 0, 0, &v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "cp_4");
    assert_int_equal(v.statuses[0], 2);
    assert_string_equal(v.ids[1], "cp_3");
    assert_int_equal(v.seqs[1], 3);
    assert_int_equal(v.statuses[1], 0);
    assert_string_equal(v.ids[2], "cp_1");

    test_scan(env, txn, 0x0f, 4, 0, &v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "cp_3");
    assert_string_equal(v.ids[2], "cp_1");

    test_scan(env, txn, 0xff, 0, 2, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "cp_5");
    assert_int_equal(v.statuses[0], 3);

    /* a status change: out of one status, into another */
    assert_int_equal(cmp_campaign_index_del(&env->store, txn, 0, 3), 0);
    assert_int_equal(cmp_campaign_index_del(&env->store, txn, 0, 3), 0);
    test_campaign_put(env, txn, 1, 3, "cp_3");

    test_scan(env, txn, 0x01, 0, 0, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "cp_1");

    test_scan(env, txn, 0x02, 0, 0, &v);
    assert_int_equal(v.n, 2);
    assert_string_equal(v.ids[0], "cp_3");

    /* the bytes existing stores hold (README "Internals") */
    memcpy(key, "campaign_status\0\1", 17);
    cmp_be64_put(key + 17, 3);
    test_raw(env, txn, CMP_DB_INDEX, key, 25, "cp_3\0fl_1\0gr_1\0ncp_3\0",
             21);

    test_commit(txn);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_open_missing_dir,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_open_not_a_dir,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_channel_reindex,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_schema_mismatch,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_record_put_get_del,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_record_update_keeps_order,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_list_newest_first,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_list_before_seq,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_list_gaps_and_stop,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_meta_and_seq,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_id_generate_skips_taken,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_import_saves_sequences,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_resource_bytes,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_refs,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_index,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_secrets,
                                        test_setup, test_teardown),
        cmocka_unit_test(test_be64),
        cmocka_unit_test_setup_teardown(test_map_full,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_map_adopt,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_map_full_child_spares_parent,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_op_store_error,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_resource_lifecycle,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_resource_idempotent_create,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_channel_secrets_apart,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_channel_status_reset,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_channel_delete_referenced,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(
            test_channel_failed_patch_keeps_secret,
            test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_deleted_id_reserved,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_purge_chunks,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_purge_shared_dbs, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_queue_put_peeked, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_purge_test_sends,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_members_chunks,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_members_both_ways,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_index_walk,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_campaign_index,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_message_status,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_message_status_build,
                                        test_setup, test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
