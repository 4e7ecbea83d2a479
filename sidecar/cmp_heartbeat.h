
/*
 * campaignd's sign of life: a meta value with the time of the last tick,
 * which the API's GET /health reads to report the scheduler alive.
 */


#ifndef _CMP_HEARTBEAT_H_INCLUDED_
#define _CMP_HEARTBEAT_H_INCLUDED_


#include <stdint.h>

#include "cmp_store.h"
#include "cmp_meta.h"
#include "cmp_log.h"


typedef struct {
    int64_t        last;            /* unix seconds of the last beat */
    uint64_t       in_flight;       /* provider requests out, the loop's */
    uint64_t       store_full;      /* unix s it was found full; 0: not */
    unsigned       failing:1;
} cmp_heartbeat_t;


int cmp_heartbeat_write(cmp_heartbeat_t *hb, cmp_store_t *st,
    cmp_log_t *log, int64_t now);


#endif /* _CMP_HEARTBEAT_H_INCLUDED_ */
