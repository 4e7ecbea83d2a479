
/*
 * Writing the heartbeat: a write transaction of its own, a single put,
 * commit; a failure is logged when it starts and when it ends, not every
 * second in between.
 */


#include "cmp_heartbeat.h"


/*
 * The txn is as short as a txn can be: the write lock is shared with every
 * nginx worker, whose event loop waits while campaignd holds it.
 */
int
cmp_heartbeat_write(cmp_heartbeat_t *hb, cmp_store_t *st, cmp_log_t *log,
    int64_t now)
{
    int         rc;
    cmp_txn_t  *txn;

    rc = cmp_store_txn_begin(st, NULL, 0, &txn);

    if (rc == 0) {
        rc = cmp_meta_put_u64(st, txn, CMP_META_HEARTBEAT, (uint64_t) now);

        /*
         * The gauge and a full store ride in the same txn: no second
         * write a second, and one that often commits on a full store
         * (it overwrites what is there, in pages earlier txns freed)
         */
        if (rc == 0) {
            rc = cmp_meta_put_u64(st, txn, CMP_META_IN_FLIGHT, hb->in_flight);
        }

        if (rc == 0) {
            rc = cmp_meta_put_u64(st, txn, CMP_META_STORE_FULL,
                                  hb->store_full);
        }

        if (rc == 0) {
            rc = cmp_txn_commit(txn);

        } else {
            cmp_txn_abort(txn);
        }
    }

    if (rc != 0) {
        if (!hb->failing) {
            cmp_log_error(log, rc == CMP_MAP_FULL ? CMP_LOG_CRIT
                                                  : CMP_LOG_ERR,
                          "writing the heartbeat failed: %s; GET /health "
                          "will report the scheduler dead",
                          cmp_strerror(rc));
            hb->failing = 1;
        }

        return rc;
    }

    if (hb->failing) {
        cmp_log_error(log, CMP_LOG_INFO, "writing the heartbeat works again");
        hb->failing = 0;
    }

    hb->last = now;

    cmp_log_error(log, CMP_LOG_DEBUG, "heartbeat %lld", (long long) now);

    return 0;
}
