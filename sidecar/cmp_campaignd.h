
/*
 * campaignd's process: its settings from the command line and the state
 * that the event loop hands to each part (heartbeat, later the scheduler
 * and the dispatcher).
 */


#ifndef _CMP_CAMPAIGND_H_INCLUDED_
#define _CMP_CAMPAIGND_H_INCLUDED_


#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"
#include "cmp_index.h"
#include "cmp_secret.h"
#include "cmp_log.h"
#include "cmp_heartbeat.h"
#include "cmp_full.h"


#define CMP_CAMPAIGND_VERSION      "0.1.0"

#define CMP_CAMPAIGND_CONCURRENCY  256

/* how long in-flight requests get to finish after SIGTERM */
#define CMP_CAMPAIGND_STOP_WAIT    10

/* clear reader slots of crashed processes this often (ticks) */
#define CMP_CAMPAIGND_READER_CHECK 60


typedef struct {
    /* settings */
    char                *store_path;
    char                *pid_file;      /* NULL: none */
    char                *log_file;      /* NULL: stderr */
    int                  log_level;
    unsigned             concurrency;   /* requests in flight, in all */
    size_t               max_size;
    unsigned             daemon:1;

    /* state */
    cmp_store_t          store;
    cmp_log_t            log;
    cmp_heartbeat_t      heartbeat;
    cmp_full_t           full;          /* a full store's back-off */
    int                  lock_fd;
    int                  ready_fd;      /* --daemon: the waiting parent */
    unsigned long        ticks;
    int64_t              minute;        /* seconds; tests shrink it */
    struct cmp_http_s   *http;
    struct cmp_engine_s *engine;
    struct cmp_dispatch_s *dispatch;
    unsigned             queued:1;      /* new messages to dispatch */
    unsigned             refreshing:1;  /* channels left to read at once */
    unsigned             channels_indexed:1;  /* for webhooks, all */
    unsigned             upkeep:1;      /* purge and index steps due */
    sigset_t             wait_mask;     /* signals open while waiting */
    unsigned             store_open:1;
    unsigned             pid_written:1;
} cmp_campaignd_t;


/*
 * The wall clock in milliseconds: due times, buckets and gaps are wall
 * time, as the store's are (the loop paces its ticks by the monotonic one)
 */
static inline int64_t
cmp_wall_msec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_REALTIME, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


#endif /* _CMP_CAMPAIGND_H_INCLUDED_ */
