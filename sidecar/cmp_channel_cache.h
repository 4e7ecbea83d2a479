
/*
 * The dispatcher's copy of the channels: each one's URL, auth headers,
 * secrets to redact, token bucket and limits, kept up to date from the
 * channels' change log in short read txns.
 */


#ifndef _CMP_CHANNEL_CACHE_H_INCLUDED_
#define _CMP_CHANNEL_CACHE_H_INCLUDED_


#include <stdint.h>

#include "cmp_store.h"
#include "cmp_log.h"
#include "cmp_http.h"
#include "cmp_bucket.h"
#include "cmp_provider.h"


typedef struct {
    char                id[CMP_ID_MAX + 1];
    const cmp_provider_t *provider;
    unsigned            ok:1;          /* status ok, and sendable */
    unsigned            retired:1;     /* deleted: its slot is reused once
                                          nothing is in flight on it */
    char               *url;
    cmp_http_headers_t *headers;       /* with the token; shared by its
                                          requests in flight, a PATCH of
                                          the token gives it new ones */
    char                sender[64];
    char               *secrets;       /* values, NUL after each, "" last:
                                          cut out of provider answers */
    cmp_bucket_t        bucket;
    unsigned            max_in_flight;
    unsigned            in_flight;
    int64_t             min_gap_ms;
    int64_t             throttles;     /* in a row; slows the bucket */
    int32_t             next_free;     /* a retired slot's free list */
} cmp_chan_t;


typedef struct {
    cmp_store_t        *st;
    cmp_log_t          *log;

    /* slots, addressed by index (a request in flight holds its index) */
    cmp_chan_t         *chans;
    size_t              nchans;
    size_t              nalloc;
    int32_t             free_slot;     /* -1: none */

    /* id -> index + 1, open addressing; 0: empty */
    int32_t            *hash;
    size_t              hash_size;     /* a power of two */
    size_t              hashed;

    uint64_t            seen;          /* the change log read up to here */
    uint64_t            load_before;   /* the first walk's position */
    size_t              chunk;         /* read in this chunk of it */
    unsigned            loaded:1;      /* the first walk is over */
    unsigned            loading:1;
    cmp_txn_t          *txn;           /* the current read txn */
} cmp_channel_cache_t;


void cmp_channel_cache_init(cmp_channel_cache_t *cc, cmp_store_t *st,
    cmp_log_t *log);
void cmp_channel_cache_free(cmp_channel_cache_t *cc);
int cmp_channel_cache_refresh(cmp_channel_cache_t *cc);
void cmp_channel_cache_idle(cmp_channel_cache_t *cc, int ci);


#endif /* _CMP_CHANNEL_CACHE_H_INCLUDED_ */
