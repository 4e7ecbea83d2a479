
/*
 * A full store: campaignd writes nothing for a while (250 ms, doubling up
 * to 5 s), adopts a map another process grew, and tells why once per
 * attempt: in its log, in the heartbeat (GET /health, /metrics) and in
 * the last_error of the campaign whose run it stopped.
 */


#include <string.h>
#include <time.h>

#include "cmp_full.h"
#include "cmp_op.h"
#include "cmp_campaign.h"


static void cmp_full_failed(cmp_full_t *full, cmp_store_t *st,
    cmp_log_t *log, int64_t now_ms);
static void cmp_full_resumed(cmp_full_t *full, cmp_store_t *st,
    cmp_log_t *log);
static int cmp_full_mark(cmp_full_t *full, cmp_store_t *st, int set);


/* the first campaign whose write the map refused: its last_error tells */
void
cmp_full_note(cmp_full_t *full, const char *campaign)
{
    size_t  len;

    if (full->campaign[0] != '\0') {
        return;
    }

    len = strlen(campaign);

    if (len <= CMP_ID_MAX) {
        memcpy(full->campaign, campaign, len + 1);
    }
}


/* 1: backing off, the pass writes nothing but the heartbeat */
int
cmp_full_waiting(cmp_full_t *full, int64_t now_ms)
{
    return full->since != 0 && now_ms < full->retry_at;
}


/*
 * After a pass: the store noted every MDB_MAP_FULL of it (st->full).  A
 * pass that committed a write and met none after a full store means room
 * came back (nginx grown, data deleted); a pass that wrote nothing tells
 * nothing.  Nothing here holds a txn, so the map may be remapped.
 */
void
cmp_full_check(cmp_full_t *full, cmp_store_t *st, cmp_log_t *log,
    int64_t now_ms)
{
    int     rc;
    size_t  grown;

    if (!st->full) {
        if ((full->since != 0 || full->marked)
            && st->commits != full->commits)
        {
            cmp_full_resumed(full, st, log);
        }

        return;
    }

    rc = cmp_store_adopt(st, &grown);

    if (rc != 0) {
        cmp_log_error(log, CMP_LOG_CRIT, "store: reading the map size "
                      "failed: %s", cmp_strerror(rc));

    } else if (grown != 0) {
        /* nginx has the larger max_size: the next pass retries at once */
        cmp_log_error(log, CMP_LOG_INFO, "store map grown to %zu bytes by "
                      "another process, adopted", grown);

        st->max_bytes = grown;
        full->retry_at = 0;

        /* a run it stopped for an instant is no one's to mark */
        if (!full->marked) {
            full->campaign[0] = '\0';
        }

        return;
    }

    cmp_full_failed(full, st, log, now_ms);
}


static void
cmp_full_failed(cmp_full_t *full, cmp_store_t *st, cmp_log_t *log,
    int64_t now_ms)
{
    int64_t  now;

    now = (int64_t) time(NULL);

    if (full->since == 0) {
        full->since = now;
        full->delay = CMP_FULL_DELAY_MIN;

        cmp_log_error(log, CMP_LOG_ERR, "the store is full (%zu bytes): "
                      "writes are refused; retrying in %d ms, then less "
                      "often, up to every %d s; raise max_size "
                      "(campaign_store and --max-size) or delete data",
                      st->max_bytes, CMP_FULL_DELAY_MIN,
                      CMP_FULL_DELAY_MAX / 1000);

    } else {
        cmp_log_error(log, CMP_LOG_WARN, "the store is still full after "
                      "%lld s; retrying in %lld ms",
                      (long long) (now - full->since),
                      (long long) full->delay);
    }

    full->retry_at = now_ms + full->delay;

    full->delay *= 2;

    if (full->delay > CMP_FULL_DELAY_MAX) {
        full->delay = CMP_FULL_DELAY_MAX;
    }

    /*
     * A record of a few hundred bytes often fits where a run's chunk
     * does not (pages freed by earlier txns); if not, the next attempt
     * tries again.  Its own MDB_MAP_FULL is not the next pass's.
     */
    if (full->campaign[0] != '\0' && !full->marked) {
        full->marked = (cmp_full_mark(full, st, 1) == 0);
    }

    st->full = 0;
    full->commits = st->commits;
}


static void
cmp_full_resumed(cmp_full_t *full, cmp_store_t *st, cmp_log_t *log)
{
    if (full->since != 0) {
        cmp_log_error(log, CMP_LOG_INFO, "the store has room again after "
                      "%lld s; resuming",
                      (long long) (time(NULL) - full->since));

        full->since = 0;
        full->delay = 0;
        full->retry_at = 0;
    }

    /* a failure leaves it marked: the next pass with room clears it */
    if (full->marked && cmp_full_mark(full, st, 0) != 0) {
        return;
    }

    full->marked = 0;
    full->campaign[0] = '\0';
}


/* the campaign's last_error set or cleared in a txn of its own; 0: done */
static int
cmp_full_mark(cmp_full_t *full, cmp_store_t *st, int set)
{
    int        rc;
    json_t    *body;
    cmp_op_t   op;

    body = json_object();
    if (body == NULL) {
        return -1;
    }

    cmp_op_init(&op, st, NULL, &cmp_kind_campaigns);
    op.now = (int64_t) time(NULL);
    op.body = body;
    op.id_len = strlen(full->campaign);
    memcpy(op.id, full->campaign, op.id_len + 1);

    rc = cmp_store_txn_begin(st, NULL, 0, &op.txn);

    if (rc == 0) {
        rc = cmp_campaign_set_error(&op, CMP_FULL_ERROR, set);

        if (rc == CMP_OK) {
            rc = cmp_txn_commit(op.txn);

        } else {
            cmp_txn_abort(op.txn);

            /* unchanged, or gone: nothing left to mark */
            rc = (rc == 1 || op.status == 404) ? 0 : -1;
        }
    }

    cmp_op_free(&op);
    json_decref(body);

    return rc;
}
