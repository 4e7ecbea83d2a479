
/*
 * The baseline durable writes are measured against: one LMDB transaction,
 * so one fsync, per write -- what a server without group commit can do.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <lmdb.h>


int
main(int argc, char **argv)
{
    int              i, n, rc;
    char             key[32], val[512];
    double           secs;
    MDB_env         *env;
    MDB_txn         *txn;
    MDB_dbi          dbi;
    MDB_val          k, v;
    struct timespec  t0, t1;

    if (argc != 3) {
        fprintf(stderr, "usage: fsync_baseline DIR WRITES\n");
        return 2;
    }

    n = atoi(argv[2]);

    if (mdb_env_create(&env) != 0
        || mdb_env_set_mapsize(env, 256UL * 1024 * 1024) != 0
        || mdb_env_open(env, argv[1], 0, 0600) != 0)
    {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }

    /* a record the size of a channel's */
    memset(val, 'x', sizeof(val));

    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (i = 0; i < n; i++) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc == 0 && i == 0) {
            rc = mdb_dbi_open(txn, NULL, 0, &dbi);
        }

        k.mv_size = snprintf(key, sizeof(key), "w%08d", i);
        k.mv_data = key;
        v.mv_size = sizeof(val);
        v.mv_data = val;

        if (rc == 0) {
            rc = mdb_put(txn, dbi, &k, &v, 0);
        }

        if (rc == 0) {
            rc = mdb_txn_commit(txn);
        }

        if (rc != 0) {
            fprintf(stderr, "write failed: %s\n", mdb_strerror(rc));
            return 1;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);

    secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f\n", n / secs);

    mdb_env_close(env);

    return 0;
}
