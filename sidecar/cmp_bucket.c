
/*
 * Token bucket arithmetic.  The burst is a twentieth of a second's
 * tokens, so a measured rate stays within a few percent of the setting.
 */


#include "cmp_bucket.h"


static void cmp_bucket_refill(cmp_bucket_t *b, int64_t now_ms);


void
cmp_bucket_init(cmp_bucket_t *b, double rate, int64_t now_ms)
{
    b->rate = rate;
    b->burst = (rate / 20 > 1) ? rate / 20 : 1;
    b->tokens = b->burst;
    b->last_ms = now_ms;
    b->hold_until_ms = 0;
}


static void
cmp_bucket_refill(cmp_bucket_t *b, int64_t now_ms)
{
    if (now_ms > b->last_ms) {
        b->tokens += b->rate * (double) (now_ms - b->last_ms) / 1000.0;

        if (b->tokens > b->burst) {
            b->tokens = b->burst;
        }
    }

    b->last_ms = now_ms;
}


/* tokens earned at the old rate are kept: a change is not a reset */
void
cmp_bucket_set_rate(cmp_bucket_t *b, double rate, int64_t now_ms)
{
    cmp_bucket_refill(b, now_ms);

    b->rate = rate;
    b->burst = (rate / 20 > 1) ? rate / 20 : 1;

    if (b->tokens > b->burst) {
        b->tokens = b->burst;
    }
}


int
cmp_bucket_take(cmp_bucket_t *b, int64_t now_ms)
{
    if (now_ms < b->hold_until_ms) {
        return 0;
    }

    cmp_bucket_refill(b, now_ms);

    if (b->tokens < 1.0) {
        return 0;
    }

    b->tokens -= 1.0;

    return 1;
}


int64_t
cmp_bucket_wait_ms(cmp_bucket_t *b, int64_t now_ms)
{
    int64_t  ms;

    if (now_ms < b->hold_until_ms) {
        return b->hold_until_ms - now_ms;
    }

    cmp_bucket_refill(b, now_ms);

    if (b->tokens >= 1.0 || b->rate <= 0) {
        return 0;
    }

    ms = (int64_t) ((1.0 - b->tokens) * 1000.0 / b->rate) + 1;

    return ms;
}


/* the provider said "too fast": nothing until then, and no saved burst */
void
cmp_bucket_hold(cmp_bucket_t *b, int64_t until_ms)
{
    if (until_ms > b->hold_until_ms) {
        b->hold_until_ms = until_ms;
    }

    b->tokens = 0;
    b->last_ms = until_ms;
}
