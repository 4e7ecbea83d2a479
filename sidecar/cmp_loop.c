
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


#define CMP_LOOP_TICK_MS    1000


static void cmp_loop_tick(cmp_campaignd_t *cd);
static int64_t cmp_loop_msec(void);
static int cmp_loop_wait(cmp_campaignd_t *cd, int64_t msec);


/* returns when a stop was asked for (cmp_signal_stop), or -1 on error */
int
cmp_loop_run(cmp_campaignd_t *cd)
{
    int64_t  now, next;

    /* the start wrote the first heartbeat */
    next = cmp_loop_msec() + CMP_LOOP_TICK_MS;

    for ( ;; ) {
        if (cmp_signal_stop) {
            return 0;
        }

        if (cmp_signal_reopen) {
            cmp_signal_reopen = 0;

            if (cd->log.path != NULL && cmp_log_reopen(&cd->log) == 0) {
                cmp_log_error(&cd->log, CMP_LOG_INFO, "log file reopened");
            }
        }

        now = cmp_loop_msec();

        if (now >= next) {
            cmp_loop_tick(cd);

            next += CMP_LOOP_TICK_MS;
            now = cmp_loop_msec();

            if (next <= now) {
                next = now + CMP_LOOP_TICK_MS;
            }
        }

        if (cmp_loop_wait(cd, next - now) != 0) {
            return -1;
        }
    }
}


/* one second's work; the scheduler's and dispatcher's steps go here */
static void
cmp_loop_tick(cmp_campaignd_t *cd)
{
    int  rc, dead;

    cd->ticks++;

    (void) cmp_heartbeat_write(&cd->heartbeat, &cd->store, &cd->log,
                               (int64_t) time(NULL));

    /* a crashed worker's reader slot would pin old pages for ever */
    if (cd->ticks % CMP_CAMPAIGND_READER_CHECK == 0) {
        dead = 0;
        rc = mdb_reader_check(cd->store.env, &dead);

        if (rc != 0) {
            cmp_log_error(&cd->log, CMP_LOG_ERR,
                          "mdb_reader_check() failed: %s", mdb_strerror(rc));

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
    struct timespec  ts;

    if (msec < 0) {
        msec = 0;
    }

    ts.tv_sec = msec / 1000;
    ts.tv_nsec = (msec % 1000) * 1000000;

    if (ppoll(NULL, 0, &ts, &cd->wait_mask) == -1 && errno != EINTR) {
        cmp_log_error(&cd->log, CMP_LOG_CRIT, "ppoll() failed: %s",
                      strerror(errno));
        return -1;
    }

    return 0;
}
