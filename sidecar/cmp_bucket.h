
/*
 * A channel's token bucket: rate_limit_per_second tokens a second, a
 * small burst, and a hold while the provider says we are too fast.
 */


#ifndef _CMP_BUCKET_H_INCLUDED_
#define _CMP_BUCKET_H_INCLUDED_


#include <stdint.h>


typedef struct {
    double         tokens;
    double         rate;            /* tokens a second */
    double         burst;           /* at most this many saved up */
    int64_t        last_ms;         /* last refill */
    int64_t        hold_until_ms;   /* no token before this */
} cmp_bucket_t;


void cmp_bucket_init(cmp_bucket_t *b, double rate, int64_t now_ms);
void cmp_bucket_set_rate(cmp_bucket_t *b, double rate, int64_t now_ms);
int cmp_bucket_take(cmp_bucket_t *b, int64_t now_ms);
int64_t cmp_bucket_wait_ms(cmp_bucket_t *b, int64_t now_ms);
void cmp_bucket_hold(cmp_bucket_t *b, int64_t until_ms);


#endif /* _CMP_BUCKET_H_INCLUDED_ */
