
/*
 * The baseline durable writes are measured against: one store
 * transaction, so one fsync, per write -- what a server without group
 * commit can do.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp_store.h"
#include "cmp_record.h"


int
main(int argc, char **argv)
{
    int              i, n, rc;
    char             key[32], err[256], json[512 - CMP_RECORD_HEADER];
    double           secs;
    size_t           len;
    cmp_txn_t       *txn;
    cmp_store_t      st;
    cmp_record_t     rec;
    struct timespec  t0, t1;

    if (argc != 3) {
        fprintf(stderr, "usage: fsync_baseline DIR WRITES\n");
        return 2;
    }

    n = atoi(argv[2]);

    if (cmp_store_open(&st, argv[1], 256UL * 1024 * 1024, 16, err,
                       sizeof(err))
        != 0)
    {
        fprintf(stderr, "cannot open %s: %s\n", argv[1], err);
        return 1;
    }

    /* a record the size of a channel's: 512 bytes with its header */
    memset(json, 'x', sizeof(json));
    rec.json = json;
    rec.len = sizeof(json);
    rec.version = 1;

    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (i = 0; i < n; i++) {
        len = snprintf(key, sizeof(key), "w%08d", i);
        rec.seq = i + 1;

        rc = cmp_store_txn_begin(&st, NULL, 0, &txn);

        if (rc == 0) {
            /* one put, as the records' own: the order entry is not made */
            rc = cmp_record_write(&st, txn, CMP_DB_CHANNELS, key, len, &rec);

            if (rc == 0) {
                rc = cmp_txn_commit(txn);

            } else {
                cmp_txn_abort(txn);
            }
        }

        if (rc != 0) {
            fprintf(stderr, "write failed: %s\n", cmp_strerror(rc));
            return 1;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);

    secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f\n", n / secs);

    cmp_store_close(&st);

    return 0;
}
