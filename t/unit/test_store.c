
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


#define TEST_MAP_BYTES   (64 * 1024 * 1024)


typedef struct {
    char          dir[64];
    cmp_store_t   store;
} test_env_t;


typedef struct {
    char          ids[16][CMP_ID_MAX + 1];
    uint64_t      seqs[16];
    int           n;
    int           stop_after;
} test_visit_t;


static int test_setup(void **state);
static int test_teardown(void **state);
static void test_dir_remove(const char *dir);
static MDB_txn *test_txn(test_env_t *env);
static void test_commit(MDB_txn *txn);
static void test_put(test_env_t *env, MDB_txn *txn, const char *id,
    uint64_t seq, uint64_t version, const char *json);
static int test_visit(void *ctx, const char *id, size_t id_len,
    const cmp_record_t *rec);
static void test_list(test_env_t *env, MDB_txn *txn, uint64_t before,
    int stop_after, test_visit_t *v);
static int test_run_op(test_env_t *env, cmp_op_t *op, cmp_op_pt run,
    const char *id, const char *body);

static void test_open_missing_dir(void **state);
static void test_open_not_a_dir(void **state);
static void test_reopen_keeps_data(void **state);
static void test_schema_mismatch(void **state);
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
static void test_reopen(test_env_t *env);
static void test_op_store_error(void **state);
static void test_resource_lifecycle(void **state);
static void test_resource_idempotent_create(void **state);
static void test_channel_secrets_apart(void **state);
static void test_channel_status_reset(void **state);
static void test_channel_delete_referenced(void **state);
static void test_channel_failed_patch_keeps_secret(void **state);


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


static MDB_txn *
test_txn(test_env_t *env)
{
    MDB_txn  *txn;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &txn), 0);

    return txn;
}


static void
test_commit(MDB_txn *txn)
{
    assert_int_equal(mdb_txn_commit(txn), 0);
}


static void
test_put(test_env_t *env, MDB_txn *txn, const char *id, uint64_t seq,
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
test_list(test_env_t *env, MDB_txn *txn, uint64_t before, int stop_after,
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
    MDB_txn      *parent, *child;

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
        assert_int_equal(mdb_txn_commit(child), 0);

    } else {
        mdb_txn_abort(child);
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
    MDB_txn      *txn;
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
    mdb_txn_abort(txn);
}


static void
test_schema_mismatch(void **state)
{
    int          rc;
    char         err[256];
    MDB_txn     *txn;
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

    assert_int_equal(rc, MDB_INCOMPATIBLE);
    assert_null(env->store.env);
    assert_non_null(strstr(err, "schema version 2"));
    assert_non_null(strstr(err, "reads version 1"));

    /* a refused store is not rewritten: it still says version 2 */
    rc = cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                        sizeof(err));
    assert_int_equal(rc, MDB_INCOMPATIBLE);

    /* teardown closes a store; give it one with the version restored */
    {
        MDB_env  *menv;
        MDB_dbi   dbi;
        MDB_val   key, val;
        unsigned char  buf[8];

        assert_int_equal(mdb_env_create(&menv), 0);
        assert_int_equal(mdb_env_set_maxdbs(menv, 64), 0);
        assert_int_equal(mdb_env_open(menv, env->dir, MDB_NOTLS, 0600), 0);
        assert_int_equal(mdb_txn_begin(menv, NULL, 0, &txn), 0);
        assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);

        cmp_be64_put(buf, CMP_SCHEMA_VERSION);
        key.mv_data = "schema_version";
        key.mv_size = strlen("schema_version");
        val.mv_data = buf;
        val.mv_size = 8;

        assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
        assert_int_equal(mdb_txn_commit(txn), 0);
        mdb_env_close(menv);
    }

    assert_int_equal(cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES,
                                    16, err, sizeof(err)), 0);
}


static void
test_record_put_get_del(void **state)
{
    MDB_txn       *txn;
    test_visit_t   v;
    cmp_record_t   rec;
    test_env_t    *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2, &rec), MDB_NOTFOUND);

    test_put(env, txn, "r1", 7, 1, "{\"name\":\"one\"}");

    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2, &rec), 0);
    assert_int_equal(rec.seq, 7);
    assert_int_equal(rec.version, 1);
    assert_int_equal(rec.len, strlen("{\"name\":\"one\"}"));
    assert_memory_equal(rec.json, "{\"name\":\"one\"}", rec.len);

    /* kinds are apart: the same id is not a contact */
    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_contacts,
                                    "r1", 2, &rec), MDB_NOTFOUND);

    test_commit(txn);

    txn = test_txn(env);
    assert_int_equal(cmp_record_del(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2), 0);
    assert_int_equal(cmp_record_get(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2, &rec), MDB_NOTFOUND);
    assert_int_equal(cmp_record_del(&env->store, txn, &cmp_kind_channels,
                                    "r1", 2), MDB_NOTFOUND);

    /* the order entry went with it */
    test_list(env, txn, 0, 0, &v);
    assert_int_equal(v.n, 0);

    test_commit(txn);
}


static void
test_record_update_keeps_order(void **state)
{
    MDB_txn       *txn;
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
    MDB_txn       *txn;
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
    MDB_txn       *txn;
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
    MDB_txn       *txn;
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
    MDB_txn     *txn;
    uint64_t     v;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_meta_get_u64(&env->store, txn, "nothing", &v),
                     MDB_NOTFOUND);

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
    mdb_txn_abort(txn);

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
    MDB_txn     *txn;
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
    MDB_txn               *txn;
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
    rec.seq = 100;
    rec.version = 1;
    rec.json = "{}";
    rec.len = 2;
    assert_int_equal(cmp_record_put(&env->store, txn, &cmp_kind_contacts,
                                    "ct_00000002", 11, &rec), 0);

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
                     MDB_NOTFOUND);

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
    MDB_txn     *txn;
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
        MDB_stat  ms;

        assert_int_equal(mdb_stat(txn, env->store.dbi[CMP_DB_REFS], &ms), 0);
        assert_int_equal(ms.ms_entries, 0);
    }

    test_commit(txn);
}


static void
test_index(void **state)
{
    char         id[CMP_ID_MAX + 1], big[600];
    size_t       len;
    MDB_txn     *txn;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_index_get(&env->store, txn, "phone", "+8613800", 8,
                                   id, &len), MDB_NOTFOUND);

    assert_int_equal(cmp_index_put(&env->store, txn, "phone", "+8613800", 8,
                                   "ct_1", 4), 0);
    assert_int_equal(cmp_index_get(&env->store, txn, "phone", "+8613800", 8,
                                   id, &len), 0);
    assert_int_equal(len, 4);
    assert_string_equal(id, "ct_1");

    /* another index with the same key is apart */
    assert_int_equal(cmp_index_get(&env->store, txn, "group_name",
                                   "+8613800", 8, id, &len), MDB_NOTFOUND);

    /* keys are bytes: a NUL inside a key is part of it */
    assert_int_equal(cmp_index_put(&env->store, txn, "k", "a\0b", 3,
                                   "x", 1), 0);
    assert_int_equal(cmp_index_get(&env->store, txn, "k", "a", 1, id, &len),
                     MDB_NOTFOUND);
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
                                   id, &len), MDB_NOTFOUND);
    assert_int_equal(cmp_index_del(&env->store, txn, "phone", "+8613800", 8),
                     0);

    /* a key too long for the key buffer is refused, never truncated */
    memset(big, 'k', sizeof(big));
    assert_int_equal(cmp_index_put(&env->store, txn, "phone", big,
                                   sizeof(big), "x", 1), MDB_BAD_VALSIZE);
    assert_int_equal(cmp_index_get(&env->store, txn, "phone", big,
                                   sizeof(big), id, &len), MDB_NOTFOUND);

    /* a value longer than an id could never be read back */
    assert_int_equal(cmp_index_put(&env->store, txn, "phone", "+1", 2, big,
                                   CMP_ID_MAX + 1), MDB_BAD_VALSIZE);

    test_commit(txn);
}


static void
test_idempotency(void **state)
{
    char         id[CMP_ID_MAX + 1];
    size_t       len;
    MDB_txn     *txn;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_idempotency_get(&env->store, txn, "channels", "k1",
                                         2, 1000, id, &len), MDB_NOTFOUND);

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
                     MDB_NOTFOUND);

    /* a key is per kind */
    assert_int_equal(cmp_idempotency_get(&env->store, txn, "campaigns", "k1",
                                         2, 1000, id, &len), MDB_NOTFOUND);

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
                     MDB_BAD_VALSIZE);

    test_commit(txn);
}


static void
test_secrets(void **state)
{
    size_t       len;
    MDB_txn     *txn;
    const char  *json;
    test_env_t  *env = *state;

    txn = test_txn(env);

    assert_int_equal(cmp_secret_get(&env->store, txn, "c1", 2, &json, &len),
                     MDB_NOTFOUND);
    assert_int_equal(cmp_secret_put(&env->store, txn, "c1", 2,
                                    "{\"t\":\"s\"}", 9), 0);
    assert_int_equal(cmp_secret_get(&env->store, txn, "c1", 2, &json, &len),
                     0);
    assert_int_equal(len, 9);
    assert_memory_equal(json, "{\"t\":\"s\"}", 9);

    assert_int_equal(cmp_secret_del(&env->store, txn, "c1", 2), 0);
    assert_int_equal(cmp_secret_get(&env->store, txn, "c1", 2, &json, &len),
                     MDB_NOTFOUND);
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
 * is MDB_MAP_FULL, which the API answers 507, and the store stays usable.
 */
static void
test_map_full(void **state)
{
    MDB_txn      *txn;
    cmp_op_t      op;
    cmp_store_t   small;
    cmp_record_t  rec;
    test_env_t   *env = *state;

    test_small_store(env, &small);

    /* test_fill() stops at the first record that meets MDB_MAP_FULL */
    assert_true(test_fill(&small, 0) > 10);

    cmp_op_init(&op, &small, NULL, &cmp_kind_channels);
    assert_int_equal(cmp_op_store_error(&op, MDB_MAP_FULL), CMP_FAIL);
    assert_int_equal(op.status, 507);
    assert_string_equal(op.code, "storage_full");
    cmp_op_free(&op);

    /* what was committed before is intact and readable */
    assert_int_equal(cmp_store_txn_begin(&small, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(cmp_record_get(&small, txn, &cmp_kind_channels,
                                    "fill00000", 9, &rec), 0);
    assert_int_equal(rec.len, 4000);
    mdb_txn_abort(txn);

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


/* teardown expects an open store in env */
static void
test_reopen(test_env_t *env)
{
    char  err[256];

    assert_int_equal(cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES,
                                    16, err, sizeof(err)), 0);
}


/* records of 4000 bytes from number from on, until one does not fit */
static int
test_fill(cmp_store_t *st, int from)
{
    int           rc, i;
    char          id[32], *json;
    MDB_txn      *txn;
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

    return (rc == MDB_MAP_FULL) ? i : -1;
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
    MDB_txn      *parent, *child;
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
    assert_int_equal(mdb_txn_commit(child), 0);

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

    assert_int_equal(rc, MDB_MAP_FULL);
    mdb_txn_abort(child);

    free(json);

    assert_int_equal(mdb_txn_commit(parent), 0);

    assert_int_equal(cmp_store_txn_begin(&small, NULL, MDB_RDONLY, &parent),
                     0);
    assert_int_equal(cmp_record_get(&small, parent, &cmp_kind_channels,
                                    "first", 5, &rec), 0);
    assert_int_equal(cmp_record_get(&small, parent, &cmp_kind_channels,
                                    "big00000", 8, &rec), MDB_NOTFOUND);
    mdb_txn_abort(parent);

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

    assert_int_equal(cmp_op_store_error(&op, MDB_CORRUPTED), CMP_FAIL);
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
    MDB_txn      *txn;
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
        MDB_txn  *parent, *child;

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
        mdb_txn_abort(child);
        mdb_txn_abort(parent);
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
    mdb_txn_abort(txn);

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
    MDB_txn      *txn;
    test_visit_t  v;
    test_env_t   *env = *state;
    int           round;

    for (round = 0; round < 2; round++) {
        MDB_txn  *parent, *child;

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
        assert_int_equal(mdb_txn_commit(child), 0);
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
    mdb_txn_abort(txn);
}


static void
test_channel_secrets_apart(void **state)
{
    size_t        len;
    cmp_op_t      op;
    MDB_txn      *txn;
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

    mdb_txn_abort(txn);

    /* delete takes the secrets with the record */
    assert_int_equal(test_run_op(env, &op, cmp_channel_delete, "w", "{}"),
                     CMP_OK);
    cmp_op_free(&op);

    txn = test_txn(env);
    assert_int_equal(cmp_secret_get(&env->store, txn, "w", 1, &s, &len),
                     MDB_NOTFOUND);
    mdb_txn_abort(txn);
}


static void
test_channel_status_reset(void **state)
{
    cmp_op_t      op;
    MDB_txn      *parent, *child;
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
    assert_int_equal(mdb_txn_commit(child), 0);
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
    MDB_txn     *txn;
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
    MDB_txn      *txn;
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
    mdb_txn_abort(txn);
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
