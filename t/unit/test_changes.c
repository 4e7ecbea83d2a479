
/*
 * Unit tests of shared/store/cmp_changes.c: a change log holds one entry
 * per record, the newest write last, and a walk resumes where it stopped.
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
#include "cmp_changes.h"


#define TEST_MAP_BYTES   (8 * 1024 * 1024)


typedef struct {
    char          dir[64];
    cmp_store_t   store;
    cmp_txn_t    *txn;
} test_env_t;


typedef struct {
    char          ids[8][CMP_ID_MAX + 1];
    uint64_t      seqs[8];
    int           n;
    int           stop_at;      /* refuse the entry at this position */
} test_seen_t;


static int test_setup(void **state);
static int test_teardown(void **state);
static void test_note(test_env_t *env, const char *id);
static int test_visit(void *ctx, uint64_t seq, const char *id, size_t len);
static void test_empty_log(void **state);
static void test_one_entry_per_record(void **state);
static void test_walk_resumes(void **state);
static void test_refused_entry_is_not_seen(void **state);
static void test_kinds_apart(void **state);


static int
test_setup(void **state)
{
    char         err[256];
    test_env_t  *env;

    env = calloc(1, sizeof(test_env_t));
    assert_non_null(env);

    snprintf(env->dir, sizeof(env->dir), "/tmp/cmp-changes-XXXXXX");
    assert_non_null(mkdtemp(env->dir));

    if (cmp_store_open(&env->store, env->dir, TEST_MAP_BYTES, 16, err,
                       sizeof(err))
        != 0)
    {
        fail_msg("cmp_store_open: %s", err);
    }

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &env->txn),
                     0);

    *state = env;

    return 0;
}


static int
test_teardown(void **state)
{
    char         cmd[128];
    test_env_t  *env = *state;

    cmp_txn_abort(env->txn);
    cmp_store_close(&env->store);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->dir);
    assert_int_equal(system(cmd), 0);

    free(env);

    return 0;
}


static void
test_note(test_env_t *env, const char *id)
{
    assert_int_equal(cmp_changes_note(&env->store, env->txn,
                                      &cmp_kind_channels, id, strlen(id)),
                     0);
}


static int
test_visit(void *ctx, uint64_t seq, const char *id, size_t len)
{
    test_seen_t  *seen = ctx;

    if (seen->n == seen->stop_at) {
        return 1;
    }

    assert_true(seen->n < 8);
    memcpy(seen->ids[seen->n], id, len);
    seen->ids[seen->n][len] = '\0';
    seen->seqs[seen->n] = seq;
    seen->n++;

    return 0;
}


static void
test_empty_log(void **state)
{
    uint64_t     last;
    test_env_t  *env = *state;
    test_seen_t  seen = { .stop_at = -1 };

    assert_int_equal(cmp_changes_last(&env->store, env->txn,
                                      &cmp_kind_channels, &last), 0);
    assert_int_equal(last, 0);

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, 0, 100,
                                      test_visit, &seen, &last), 0);
    assert_int_equal(seen.n, 0);
    assert_int_equal(last, 0);
}


/* a record written three times is one entry, at its last write's place */
static void
test_one_entry_per_record(void **state)
{
    uint64_t     last, walked;
    test_env_t  *env = *state;
    test_seen_t  seen = { .stop_at = -1 };

    test_note(env, "a");
    test_note(env, "b");
    test_note(env, "a");
    test_note(env, "c");
    test_note(env, "a");

    assert_int_equal(cmp_changes_last(&env->store, env->txn,
                                      &cmp_kind_channels, &last), 0);
    assert_int_equal(last, 5);

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, 0, 100,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.ids[0], "b");
    assert_string_equal(seen.ids[1], "c");
    assert_string_equal(seen.ids[2], "a");
    assert_int_equal(seen.seqs[0], 2);
    assert_int_equal(seen.seqs[1], 4);
    assert_int_equal(seen.seqs[2], 5);
    assert_int_equal(walked, 5);
}


/* max entries at a time; the next walk starts after the last one seen */
static void
test_walk_resumes(void **state)
{
    uint64_t     walked;
    test_env_t  *env = *state;
    test_seen_t  seen = { .stop_at = -1 };

    test_note(env, "a");
    test_note(env, "b");
    test_note(env, "c");

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, 0, 2,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 2);
    assert_int_equal(walked, 2);

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, walked, 2,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 3);
    assert_string_equal(seen.ids[2], "c");
    assert_int_equal(walked, 3);

    /* after the last: nothing, and the position stays */
    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, walked, 2,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 3);
    assert_int_equal(walked, 3);
}


/* a visitor that refuses an entry gets it again on the next walk */
static void
test_refused_entry_is_not_seen(void **state)
{
    uint64_t     walked;
    test_env_t  *env = *state;
    test_seen_t  seen = { .stop_at = 1 };

    test_note(env, "a");
    test_note(env, "b");

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, 0, 100,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 1);
    assert_int_equal(walked, 1);

    seen.stop_at = -1;

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, walked, 100,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.ids[1], "b");
}


static void
test_kinds_apart(void **state)
{
    uint64_t     last, walked;
    test_env_t  *env = *state;
    test_seen_t  seen = { .stop_at = -1 };

    test_note(env, "a");

    assert_int_equal(cmp_changes_note(&env->store, env->txn,
                                      &cmp_kind_flows, "f", 1), 0);

    assert_int_equal(cmp_changes_last(&env->store, env->txn,
                                      &cmp_kind_channels, &last), 0);
    assert_int_equal(last, 1);

    assert_int_equal(cmp_changes_walk(&env->store, env->txn,
                                      &cmp_kind_channels, 0, 100,
                                      test_visit, &seen, &walked), 0);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.ids[0], "a");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_log, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_one_entry_per_record,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_walk_resumes, test_setup,
                                        test_teardown),
        cmocka_unit_test_setup_teardown(test_refused_entry_is_not_seen,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_kinds_apart, test_setup,
                                        test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
