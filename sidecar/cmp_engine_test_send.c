
/*
 * Test sends (the API's POST /flows/{id}/trigger): a flow started for one
 * contact, outside any campaign.
 */


#include <string.h>

#include "cmp_engine_int.h"


static int cmp_engine_test_send_start(cmp_engine_t *e, cmp_txn_t *txn,
    const char *id, size_t len, int64_t now);


static int
cmp_engine_test_send_start(cmp_engine_t *e, cmp_txn_t *txn, const char *id,
    size_t len, int64_t now)
{
    int         rc;
    char        err[64];
    cmp_exec_t  x;

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;

    x.key_len = cmp_instance_test_key(x.key, id, len);

    rc = cmp_engine_load(&x, x.key, x.key_len);
    if (rc != 0) {
        return (rc == CMP_NOTFOUND) ? 0 : rc;
    }

    (void) err;

    if (!cmp_engine_is(json_object_get(x.inst, "status"), "queued"))
    {
        cmp_engine_unload(&x);
        return 0;
    }

    json_object_set_new(x.inst, "status", json_string("running"));

    if (x.flow == NULL) {
        json_object_set_new(x.inst, "status", json_string("failed"));
        rc = cmp_engine_finish(&x);

    } else {
        rc = cmp_engine_run(&x);
    }

    cmp_engine_unload(&x);

    return rc;
}


/* test sends queued by POST /flows/{id}/trigger, oldest first */
int
cmp_engine_test_sends(cmp_engine_t *e, int64_t now)
{
    int         rc, n;
    char        id[CMP_ID_MAX + 1];
    size_t      len;
    cmp_txn_t  *txn;
    uint64_t    seq;

    for (n = 0; n < CMP_ENGINE_CHUNK; n++) {
        rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
        if (rc != 0) {
            return 0;
        }

        rc = cmp_instance_next_queued(e->st, txn, &seq, id, &len);

        if (rc != 0) {
            cmp_txn_abort(txn);
            return 0;
        }

        rc = cmp_instance_dequeue(e->st, txn, seq, id, len);

        if (rc == 0) {
            rc = cmp_engine_test_send_start(e, txn, id, len, now);
        }

        if (rc == 0) {
            rc = cmp_txn_commit(txn);

        } else {
            cmp_txn_abort(txn);
        }

        if (rc != 0) {
            cmp_log_error(e->log, CMP_LOG_ERR, "test send %s: %s", id,
                          cmp_strerror(rc));
            return 0;
        }

        cmp_log_error(e->log, CMP_LOG_INFO, "test send %s started", id);
    }

    return 1;
}
