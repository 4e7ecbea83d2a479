
/*
 * Unit tests of shared/store/cmp_counter.c: what a txn moves is in the
 * store once it commits, and nothing of it once it aborts, with children,
 * reads in the same txn and more counters than the cache holds.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmp_store.h"
#include "cmp_counter.h"


#define TEST_MAP_BYTES   (8 * 1024 * 1024)


typedef struct {
    char          dir[64];
    cmp_store_t   store;
} test_env_t;


/* the values cmp_counter_scan() meets, by name, for one run */
typedef struct {
    uint32_t      run;
    char          names[80][16];
    uint64_t      values[80];
    int           n;
} test_seen_t;


static int test_setup(void **state);
static int test_teardown(void **state);
static cmp_txn_t *test_begin(test_env_t *env, cmp_txn_t *parent);
static void test_add(test_env_t *env, cmp_txn_t *txn, const char *campaign,
    uint32_t run, const char *name, int64_t delta);
static uint64_t test_stored(test_env_t *env, const char *campaign,
    uint32_t run, const char *name);
static uint64_t test_scanned(test_env_t *env, cmp_txn_t *txn,
    const char *campaign, uint32_t run, const char *name);
static int test_visit(void *ctx, uint32_t run, const char *name,
    size_t name_len, uint64_t value);
static void test_moves_commit_once(void **state);
static void test_abort_forgets(void **state);
static void test_children(void **state);
static void test_held_by_another(void **state);
static void test_read_in_the_txn(void **state);
static void test_more_than_the_cache(void **state);
static void test_floor_at_zero(void **state);


static int
test_setup(void **state)
{
    char         err[256];
    test_env_t  *env;

    env = calloc(1, sizeof(test_env_t));
    assert_non_null(env);

    snprintf(env->dir, sizeof(env->dir), "/tmp/cmp-counter-XXXXXX");
    assert_non_null(mkdtemp(env->dir));

    if (cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                       sizeof(err))
        != 0)
    {
        fail_msg("cmp_store_open: %s", err);
    }

    *state = env;

    return 0;
}


static int
test_teardown(void **state)
{
    char         cmd[128];
    test_env_t  *env = *state;

    cmp_store_close(&env->store);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
    assert_int_equal(system(cmd), 0);

    free(env);

    return 0;
}


static cmp_txn_t *
test_begin(test_env_t *env, cmp_txn_t *parent)
{
    cmp_txn_t  *txn;

    assert_int_equal(cmp_store_txn_begin(&env->store, parent, 0, &txn), 0);

    return txn;
}


static void
test_add(test_env_t *env, cmp_txn_t *txn, const char *campaign, uint32_t run,
    const char *name, int64_t delta)
{
    assert_int_equal(cmp_counter_add(&env->store, txn, campaign,
                                     strlen(campaign), run, name, delta),
                     0);
}


/* the value in the store, read by a txn of its own */
static uint64_t
test_stored(test_env_t *env, const char *campaign, uint32_t run,
    const char *name)
{
    uint64_t    v;
    cmp_txn_t  *txn;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, CMP_RDONLY,
                                         &txn), 0);
    v = test_scanned(env, txn, campaign, run, name);
    cmp_txn_abort(txn);

    return v;
}


static uint64_t
test_scanned(test_env_t *env, cmp_txn_t *txn, const char *campaign,
    uint32_t run, const char *name)
{
    int          i;
    test_seen_t  seen;

    memset(&seen, 0, sizeof(test_seen_t));
    seen.run = run;

    assert_int_equal(cmp_counter_scan(&env->store, txn, campaign,
                                      strlen(campaign), test_visit, &seen),
                     0);

    for (i = 0; i < seen.n; i++) {
        if (strcmp(seen.names[i], name) == 0) {
            return seen.values[i];
        }
    }

    return 0;
}


static int
test_visit(void *ctx, uint32_t run, const char *name, size_t name_len,
    uint64_t value)
{
    test_seen_t  *seen = ctx;

    if (run != seen->run) {
        return 0;
    }

    assert_true(seen->n < 80 && name_len < 16);
    memcpy(seen->names[seen->n], name, name_len);
    seen->names[seen->n][name_len] = '\0';
    seen->values[seen->n] = value;
    seen->n++;

    return 0;
}


static void
test_moves_commit_once(void **state)
{
    int          i;
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_begin(env, NULL);

    for (i = 0; i < 1000; i++) {
        test_add(env, txn, "c1", CMP_COUNTER_TOTAL, "sent", 1);
        test_add(env, txn, "c1", 1, "sent", 1);
    }

    test_add(env, txn, "c2", CMP_COUNTER_TOTAL, "sent", 5);

    /* nothing is in the store before the commit */
    assert_int_equal(test_stored(env, "c1", CMP_COUNTER_TOTAL, "sent"), 0);

    assert_int_equal(cmp_txn_commit(txn), 0);

    assert_int_equal(test_stored(env, "c1", CMP_COUNTER_TOTAL, "sent"), 1000);
    assert_int_equal(test_stored(env, "c1", 1, "sent"), 1000);
    assert_int_equal(test_stored(env, "c2", CMP_COUNTER_TOTAL, "sent"), 5);

    /* the campaigns' totals moved the store's too, runs did not */
    assert_int_equal(test_stored(env, CMP_COUNTER_ALL, CMP_COUNTER_TOTAL,
                                 "sent"), 1005);

    /* the next txn starts from what the last one left */
    txn = test_begin(env, NULL);
    test_add(env, txn, "c1", CMP_COUNTER_TOTAL, "sent", -10);
    assert_int_equal(cmp_txn_commit(txn), 0);

    assert_int_equal(test_stored(env, "c1", CMP_COUNTER_TOTAL, "sent"), 990);
    assert_int_equal(test_stored(env, CMP_COUNTER_ALL, CMP_COUNTER_TOTAL,
                                 "sent"), 995);
}


static void
test_abort_forgets(void **state)
{
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_begin(env, NULL);
    test_add(env, txn, "c1", 1, "read", 3);
    assert_int_equal(cmp_txn_commit(txn), 0);

    txn = test_begin(env, NULL);
    test_add(env, txn, "c1", 1, "read", 40);
    cmp_txn_abort(txn);

    /* a later txn does not inherit what the aborted one cached */
    txn = test_begin(env, NULL);
    test_add(env, txn, "c1", 1, "read", 1);
    assert_int_equal(cmp_txn_commit(txn), 0);

    assert_int_equal(test_stored(env, "c1", 1, "read"), 4);
}


static void
test_children(void **state)
{
    cmp_txn_t   *parent, *child;
    test_env_t  *env = *state;

    parent = test_begin(env, NULL);
    test_add(env, parent, "c1", 1, "sent", 2);

    /* a committed child adds to what its parent moved before it */
    child = test_begin(env, parent);
    test_add(env, child, "c1", 1, "sent", 3);
    assert_int_equal(test_scanned(env, child, "c1", 1, "sent"), 5);
    assert_int_equal(cmp_txn_commit(child), 0);

    /* an aborted one leaves nothing */
    child = test_begin(env, parent);
    test_add(env, child, "c1", 1, "sent", 100);
    cmp_txn_abort(child);

    /* and the parent goes on moving it after its children */
    test_add(env, parent, "c1", 1, "sent", 1);
    assert_int_equal(cmp_txn_commit(parent), 0);

    assert_int_equal(test_stored(env, "c1", 1, "sent"), 6);

    /* an aborted parent takes its committed children with it */
    parent = test_begin(env, NULL);
    child = test_begin(env, parent);
    test_add(env, child, "c1", 1, "sent", 7);
    assert_int_equal(cmp_txn_commit(child), 0);
    cmp_txn_abort(parent);

    assert_int_equal(test_stored(env, "c1", 1, "sent"), 6);
}


/*
 * A child begun behind the store's back (no flush of its parent) finds
 * the cache still its parent's: its move fails, and the parent's moves
 * are neither lost nor counted twice.
 */
static void
test_held_by_another(void **state)
{
    cmp_txn_t   *parent, *child;
    test_env_t  *env = *state;

    parent = test_begin(env, NULL);
    test_add(env, parent, "c1", 1, "sent", 2);

    assert_int_equal(mdb_txn_begin(env->store.env, parent, 0, &child), 0);
    assert_int_equal(cmp_counter_add(&env->store, child, "c1", 2, 1, "sent",
                                     3),
                     CMP_BAD_TXN);
    cmp_txn_abort(child);

    test_add(env, parent, "c1", 1, "sent", 1);
    assert_int_equal(cmp_txn_commit(parent), 0);

    assert_int_equal(test_stored(env, "c1", 1, "sent"), 3);
}


static void
test_read_in_the_txn(void **state)
{
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_begin(env, NULL);
    test_add(env, txn, "c1", CMP_COUNTER_TOTAL, "delivered", 2);

    /* a scan in the txn sees its moves, and the txn goes on after it */
    assert_int_equal(test_scanned(env, txn, "c1", CMP_COUNTER_TOTAL,
                                  "delivered"), 2);
    test_add(env, txn, "c1", CMP_COUNTER_TOTAL, "delivered", 2);
    assert_int_equal(test_scanned(env, txn, "c1", CMP_COUNTER_TOTAL,
                                  "delivered"), 4);

    /* a set is read back the same way */
    assert_int_equal(cmp_counter_set(&env->store, txn, "c1", 2, 1,
                                     "skipped", 9), 0);
    assert_int_equal(test_scanned(env, txn, "c1", 1, "skipped"), 9);

    /* a drop in the txn is not undone by what it moved before */
    assert_int_equal(cmp_counter_drop(&env->store, txn, "c1", 2), 0);
    assert_int_equal(cmp_txn_commit(txn), 0);

    assert_int_equal(test_stored(env, "c1", CMP_COUNTER_TOTAL, "delivered"),
                     0);
    assert_int_equal(test_stored(env, "c1", 1, "skipped"), 0);
    assert_int_equal(test_stored(env, CMP_COUNTER_ALL, CMP_COUNTER_TOTAL,
                                 "delivered"), 4);
}


static void
test_more_than_the_cache(void **state)
{
    int          i, round;
    char         name[16];
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    txn = test_begin(env, NULL);

    /* 75 distinct counters, each moved twice, far apart */
    for (round = 0; round < 2; round++) {
        for (i = 0; i < 75; i++) {
            snprintf(name, sizeof(name), "n%02d", i);
            test_add(env, txn, "c1", 3, name, i + 1);
        }
    }

    assert_int_equal(cmp_txn_commit(txn), 0);

    for (i = 0; i < 75; i++) {
        snprintf(name, sizeof(name), "n%02d", i);
        assert_int_equal(test_stored(env, "c1", 3, name), 2 * (i + 1));
    }
}


static void
test_floor_at_zero(void **state)
{
    cmp_txn_t   *txn;
    test_env_t  *env = *state;

    /* each move is floored as it is made, as it was one put at a time */
    txn = test_begin(env, NULL);
    test_add(env, txn, "c1", 1, "sending", 1);
    test_add(env, txn, "c1", 1, "sending", -3);
    test_add(env, txn, "c1", 1, "sending", 2);
    assert_int_equal(cmp_txn_commit(txn), 0);

    assert_int_equal(test_stored(env, "c1", 1, "sending"), 2);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_moves_commit_once, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_abort_forgets, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_held_by_another, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_children, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_read_in_the_txn, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_more_than_the_cache,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_floor_at_zero, test_setup,
                                        test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
