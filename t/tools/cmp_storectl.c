
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


typedef struct {
    int          status;
    char       **argv;
} cmp_storectl_args_t;


static int cmp_storectl_run(cmp_store_t *st, cmp_op_t *op);
static int cmp_storectl_set_status(cmp_op_t *op);
static int cmp_storectl_counter(cmp_op_t *op);
static int cmp_storectl_many(cmp_store_t *st, cmp_op_t *op);


static int
cmp_storectl_run(cmp_store_t *st, cmp_op_t *op)
{
    int  rc;

    rc = cmp_store_txn_begin(st, NULL, 0, &op->txn);
    if (rc != 0) {
        fprintf(stderr, "mdb_txn_begin: %s\n", mdb_strerror(rc));
        return 1;
    }

    op->now = time(NULL);

    if (op->run(op) != CMP_OK) {
        fprintf(stderr, "%d %s: %s\n", op->status, op->code, op->message);
        mdb_txn_abort(op->txn);
        return 1;
    }

    rc = mdb_txn_commit(op->txn);
    if (rc != 0) {
        fprintf(stderr, "mdb_txn_commit: %s\n", mdb_strerror(rc));
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


/* many campaigns in one transaction: benchmarks set up thousands */
static int
cmp_storectl_many(cmp_store_t *st, cmp_op_t *op)
{
    int     rc;
    char    line[CMP_ID_MAX + 2];
    size_t  len;

    rc = cmp_store_txn_begin(st, NULL, 0, &op->txn);
    if (rc != 0) {
        fprintf(stderr, "mdb_txn_begin: %s\n", mdb_strerror(rc));
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
            mdb_txn_abort(op->txn);
            return 1;
        }

        cmp_op_free(op);
    }

    rc = mdb_txn_commit(op->txn);
    if (rc != 0) {
        fprintf(stderr, "mdb_txn_commit: %s\n", mdb_strerror(rc));
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
    cmp_storectl_args_t  args;

    if (argc < 5) {
        fprintf(stderr, "usage: cmp-storectl STORE set-status CAMPAIGN "
                "pending|running|paused|completed\n"
                "       cmp-storectl STORE set-status - STATUS "
                "(campaign ids on stdin)\n"
                "       cmp-storectl STORE counter CAMPAIGN RUN NAME "
                "DELTA\n");
        return 2;
    }

    if (cmp_store_open(&st, argv[1], 1UL << 30, 1024, err, sizeof(err))
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
