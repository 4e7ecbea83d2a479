
/*
 * campaignd on a full store: a back-off instead of a retry every pass,
 * the larger map of another process adopted, the reason told.
 */


#ifndef _CMP_FULL_H_INCLUDED_
#define _CMP_FULL_H_INCLUDED_


#include <stdint.h>

#include "cmp_store.h"
#include "cmp_log.h"


/* the first retry, and the longest wait between two (ms) */
#define CMP_FULL_DELAY_MIN   250
#define CMP_FULL_DELAY_MAX   5000

/* a campaign's last_error while its run waits for room */
#define CMP_FULL_ERROR       "storage_full: the store's max_size is reached; " \
                             "campaignd retries by itself"


typedef struct {
    int64_t        since;       /* unix s the store was found full; 0 */
    int64_t        retry_at;    /* monotonic ms of the next attempt */
    int64_t        delay;       /* ms until the one after */
    unsigned long  commits;     /* the store's count when it failed */
    char           campaign[CMP_ID_MAX + 1];  /* whose run it stopped */
    unsigned       marked:1;    /* its last_error says so */
} cmp_full_t;


void cmp_full_note(cmp_full_t *full, const char *campaign);
int cmp_full_waiting(cmp_full_t *full, int64_t now_ms);
void cmp_full_check(cmp_full_t *full, cmp_store_t *st, cmp_log_t *log,
    int64_t now_ms);


#endif /* _CMP_FULL_H_INCLUDED_ */
