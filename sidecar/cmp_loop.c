
/*
 * The event loop.  Ticks are paced by the monotonic clock, so that a
 * change of the wall clock neither stops nor bursts them; a tick that is
 * late (a slow disk) is not made up for, the next one just follows.
 */


#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "cmp_loop.h"
#include "cmp_signal.h"
#include "cmp_scheduler.h"
#include "cmp_http.h"
#include "cmp_engine.h"
#include "cmp_dispatch.h"
#include "cmp_purge.h"
#include "cmp_message.h"
#include "cmp_channel.h"


#define CMP_LOOP_TICK_MS      1000
#define CMP_LOOP_INBOX_MSEC   250
#define CMP_LOOP_REINDEX_CHUNK  1000     /* channels a write txn */


static void cmp_loop_tick(cmp_campaignd_t *cd, int backoff);
static int cmp_loop_work(cmp_campaignd_t *cd);
static int cmp_loop_purge(cmp_campaignd_t *cd);
static int cmp_loop_status_index(cmp_campaignd_t *cd);
static int cmp_loop_channel_index(cmp_campaignd_t *cd);
static int64_t cmp_loop_msec(void);
static int cmp_loop_wait(cmp_campaignd_t *cd, int64_t msec);
static void cmp_loop_drain(cmp_campaignd_t *cd);
static void cmp_loop_in_flight_zero(cmp_campaignd_t *cd);


/*
 * Returns when a stop was asked for (cmp_signal_stop), or -1 on error.
 * Ticks follow the wall clock's seconds, so that a campaign due at a
 * second fires just after it; in between, work (fills, timers, the
 * queue) runs as long as there is some, and answers as they arrive.
 */
int
cmp_loop_run(cmp_campaignd_t *cd)
{
    int      busy, backoff;
    int64_t  now, wall, last_sec, wait;

    last_sec = cmp_wall_msec() / 1000;

    /* the start wrote the first heartbeat; the schedule gets a look now */
    cd->refreshing = cmp_dispatch_refresh(cd->dispatch);
    cd->upkeep = 1;
    cmp_scheduler_tick(cd, last_sec);

    for ( ;; ) {
        if (cmp_signal_stop) {
            cmp_loop_drain(cd);
            return 0;
        }

        if (cmp_signal_reopen) {
            cmp_signal_reopen = 0;

            if (cd->log.path != NULL && cmp_log_reopen(&cd->log) == 0) {
                cmp_log_error(&cd->log, CMP_LOG_INFO, "log file reopened");
            }
        }

        wall = cmp_wall_msec();

        /*
         * A full store: nothing but the heartbeat writes until the next
         * attempt, and every MDB_MAP_FULL of a pass is judged once, after
         * it, with no txn open (a larger map of nginx is adopted then).
         */
        backoff = cmp_full_waiting(&cd->full, cmp_loop_msec());

        if (wall / 1000 != last_sec) {
            last_sec = wall / 1000;
            cmp_loop_tick(cd, backoff);
        }

        busy = 0;

        if (!backoff) {
            busy = cmp_loop_work(cd);
            cmp_full_check(&cd->full, &cd->store, &cd->log, cmp_loop_msec());
            busy &= (cd->full.since == 0);
        }

        now = cmp_wall_msec();
        wait = 1000 - now % 1000 + 1;

        /*
         * Replies arrive through the store, which has no way to wake us:
         * a look every quarter second answers them promptly at the cost
         * of one read transaction, never a busy loop.
         */
        if (wait > CMP_LOOP_INBOX_MSEC) {
            wait = CMP_LOOP_INBOX_MSEC;
        }

        if (busy) {
            wait = 0;
        }

        if (cmp_loop_wait(cd, wait) != 0) {
            return -1;
        }
    }
}


/* what runs between ticks; 1: there is more at once */
static int
cmp_loop_work(cmp_campaignd_t *cd)
{
    int      busy;
    int64_t  now_ms;

    now_ms = cmp_wall_msec();

    /* many channels are read a chunk a turn, between the other work */
    if (cd->refreshing) {
        cd->refreshing = cmp_dispatch_refresh(cd->dispatch);
    }

    busy = cd->refreshing;
    busy |= cmp_scheduler_fill(cd, now_ms / 1000);
    busy |= cmp_engine_timers(cd->engine, now_ms);

    /* 1: a whole chunk of webhook events, and more behind it */
    busy |= (cmp_engine_inbox(cd->engine, now_ms / 1000) == 1);

    cmp_dispatch_pump(cd->dispatch);

    /*
     * The store's upkeep (purges, the indexes an older store lacks) looks
     * once a tick, and then every turn while a step leaves more: not a
     * read txn each for every answer that wakes the loop.
     */
    if (cd->upkeep) {
        cd->upkeep = cmp_loop_purge(cd);
        cd->upkeep |= cmp_loop_status_index(cd);

        if (!cd->channels_indexed) {
            cd->upkeep |= cmp_loop_channel_index(cd);
        }

        busy |= cd->upkeep;
    }

    return busy;
}


/*
 * A store of schema 1 gets its channels' webhook indexes written again,
 * a chunk per turn; until then a channel it had may not be found by the
 * verify-token handshake.
 */
static int
cmp_loop_channel_index(cmp_campaignd_t *cd)
{
    int       rc, more;
    uint64_t  n;

    rc = cmp_channel_reindex_step(&cd->store, CMP_LOOP_REINDEX_CHUNK, &n,
                                  &more);

    if (rc != 0) {
        cmp_log_error(&cd->log, CMP_LOG_ERR, "indexing the channels for "
                      "webhooks failed, tried again at the next tick: %s",
                      cmp_strerror(rc));
        return 0;
    }

    if (n > 0) {
        cmp_log_error(&cd->log, more ? CMP_LOG_DEBUG : CMP_LOG_INFO,
                      "channels' webhook indexes: %llu channel(s) indexed%s",
                      (unsigned long long) n,
                      more ? "" : ", every channel is");
    }

    cd->channels_indexed = !more;

    return more;
}


/*
 * A store from before the ledger's status index gets it a chunk per
 * turn, as the purge goes; until the last chunk the module scans.
 */
static int
cmp_loop_status_index(cmp_campaignd_t *cd)
{
    int       rc, more;
    uint64_t  n;

    rc = cmp_message_status_build(&cd->store, CMP_MESSAGE_STATUS_CHUNK, &n,
                                  &more);

    if (rc != 0) {
        cmp_log_error(&cd->log, CMP_LOG_ERR, "building the messages' status "
                      "index failed, tried again at the next tick: %s",
                      cmp_strerror(rc));
        return 0;
    }

    if (n > 0 || more) {
        cmp_log_error(&cd->log, more ? CMP_LOG_DEBUG : CMP_LOG_INFO,
                      "messages' status index: %llu message(s) indexed%s",
                      (unsigned long long) n,
                      more ? "" : ", the index is complete");
    }

    return more;
}


/*
 * A chunk of what deleted resources left per turn: the heartbeat, the
 * timers and the sends go on between two chunks, however much is left.
 */
static int
cmp_loop_purge(cmp_campaignd_t *cd)
{
    int                 rc;
    cmp_purge_report_t  r;

    rc = cmp_purge_step(&cd->store, CMP_PURGE_CHUNK, &r);

    /* a full store is cmp_full.c's to tell, once an attempt */
    if (rc != 0 && rc != CMP_MAP_FULL) {
        cmp_log_error(&cd->log, CMP_LOG_ERR, "purging deleted resources "
                      "failed, tried again at the next tick: %s",
                      cmp_strerror(rc));
    }

    if (rc != 0) {
        return 0;
    }

    if (r.removed > 0) {
        cmp_log_error(&cd->log, CMP_LOG_DEBUG, "%s %s: %llu key(s) purged",
                      r.kind, r.id, (unsigned long long) r.removed);
    }

    if (r.finished) {
        cmp_log_error(&cd->log, CMP_LOG_INFO, "%s %s: the purge of what it "
                      "left is complete", r.kind, r.id);
    }

    return r.more;
}


/*
 * SIGTERM: no new request; those in flight get CMP_CAMPAIGND_STOP_WAIT
 * seconds to answer and are recorded.  What is still out then stays
 * "sending", and the next start sends it again.
 */
static void
cmp_loop_drain(cmp_campaignd_t *cd)
{
    int64_t  end;

    cmp_dispatch_stop_starting(cd->dispatch);
    cmp_http_stop(cd->http);

    end = cmp_loop_msec() + CMP_CAMPAIGND_STOP_WAIT * 1000;

    while (cmp_http_in_flight(cd->http) > 0
           && cmp_loop_msec() < end)
    {
        if (cmp_loop_wait(cd, 100) != 0) {
            break;
        }
    }

    if (cmp_http_in_flight(cd->http) > 0) {
        cmp_log_error(&cd->log, CMP_LOG_WARN, "%u request(s) still in "
                      "flight after %d s; they are sent again on the next "
                      "start", cmp_http_in_flight(cd->http),
                      CMP_CAMPAIGND_STOP_WAIT);
    }

    cmp_loop_in_flight_zero(cd);
}


/*
 * A stopped campaignd has nothing in flight: the gauge must not keep the
 * last second's figure.  The heartbeat is left alone, so that /health
 * sees the stop as soon as it would have without this.
 */
static void
cmp_loop_in_flight_zero(cmp_campaignd_t *cd)
{
    int         rc;
    cmp_txn_t  *txn;

    if (cmp_store_txn_begin(&cd->store, NULL, 0, &txn) != 0) {
        return;
    }

    rc = cmp_meta_put_u64(&cd->store, txn, CMP_META_IN_FLIGHT, 0);

    /* a full store is told by a running campaignd only */
    if (rc == 0) {
        rc = cmp_meta_put_u64(&cd->store, txn, CMP_META_STORE_FULL, 0);
    }

    if (rc == 0) {
        (void) cmp_txn_commit(txn);

    } else {
        cmp_txn_abort(txn);
    }
}


/* one second's work; the scheduler's and dispatcher's steps go here */
static void
cmp_loop_tick(cmp_campaignd_t *cd, int backoff)
{
    int      rc, dead;
    int64_t  now;

    cd->ticks++;

    cd->heartbeat.in_flight = cmp_http_in_flight(cd->http);
    cd->heartbeat.store_full = (uint64_t) cd->full.since;

    (void) cmp_heartbeat_write(&cd->heartbeat, &cd->store, &cd->log,
                               (int64_t) time(NULL));

    /* not time(): its coarse clock may still show the last second */
    now = cmp_wall_msec() / 1000;

    cd->refreshing = cmp_dispatch_refresh(cd->dispatch);
    cd->upkeep = 1;

    if (!backoff) {
        cmp_scheduler_tick(cd, now);
        (void) cmp_engine_test_sends(cd->engine, now);
    }

    /* a crashed worker's reader slot would pin old pages for ever */
    if (cd->ticks % CMP_CAMPAIGND_READER_CHECK == 0) {
        dead = 0;
        rc = cmp_store_reader_check(&cd->store, &dead);

        if (rc != 0) {
            cmp_log_error(&cd->log, CMP_LOG_ERR,
                          "mdb_reader_check() failed: %s", cmp_strerror(rc));

        } else if (dead > 0) {
            cmp_log_error(&cd->log, CMP_LOG_WARN,
                          "cleared %d stale reader slot(s)", dead);
        }
    }
}


static int64_t
cmp_loop_msec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/*
 * ppoll() unblocks the handled signals only for the wait itself, so a
 * signal that arrives after the flags were checked still ends the wait
 * at once.  The dispatcher's sockets will join this wait.
 */
static int
cmp_loop_wait(cmp_campaignd_t *cd, int64_t msec)
{
    int               rc;
    struct pollfd    *fd;
    struct timespec   ts;

    cmp_dispatch_timeout(cd->dispatch, &msec);
    fd = cmp_http_poll_fd(cd->http);

    if (msec < 0) {
        msec = 0;
    }

    ts.tv_sec = msec / 1000;
    ts.tv_nsec = (msec % 1000) * 1000000;

    rc = ppoll(fd, 1, &ts, &cd->wait_mask);

    if (rc == -1 && errno != EINTR) {
        cmp_log_error(&cd->log, CMP_LOG_CRIT, "ppoll() failed: %s",
                      strerror(errno));
        return -1;
    }

    cmp_http_poll_done(cd->http);

    return 0;
}
