
/*
 * Dispatch: the send queue to the providers through cmp_http, per
 * channel token bucket, lanes, gaps and the ledger; each message's
 * outcome goes to the callback it was created with.
 */


#ifndef _CMP_DISPATCH_H_INCLUDED_
#define _CMP_DISPATCH_H_INCLUDED_


#include <stdint.h>

#include "cmp_campaignd.h"
#include "cmp_http.h"
#include "cmp_node.h"


typedef struct cmp_dispatch_s  cmp_dispatch_t;


/* a message's outcome, as the dispatcher recorded it */
typedef struct {
    const char         *id;         /* the message's hex id */
    const char         *instance;   /* the id of the instance parked on it */
    const char         *campaign;   /* NULL: a test send */
    const char         *contact;
    const char         *status;     /* its status now */
    const char         *error;      /* NULL: none */
    cmp_event_e         event;      /* CMP_EVENT_SENT or _HTTP_FAIL */
    unsigned            opt_out:1;  /* the recipient stopped us */
} cmp_outcome_t;

/*
 * Called inside the txn that recorded the outcome, so that what it
 * writes commits, or not, with the record (exactly once).
 */
typedef int (*cmp_dispatch_outcome_pt)(void *data, cmp_txn_t *txn,
    const cmp_outcome_t *out, int64_t now);


cmp_dispatch_t *cmp_dispatch_create(cmp_campaignd_t *cd, cmp_http_t *http,
    cmp_dispatch_outcome_pt outcome, void *data);
void cmp_dispatch_destroy(cmp_dispatch_t *d);
int cmp_dispatch_recover(cmp_dispatch_t *d);
int cmp_dispatch_refresh(cmp_dispatch_t *d);
void cmp_dispatch_pump(cmp_dispatch_t *d);
void cmp_dispatch_timeout(cmp_dispatch_t *d, int64_t *timeout_ms);
void cmp_dispatch_stop_starting(cmp_dispatch_t *d);


#endif /* _CMP_DISPATCH_H_INCLUDED_ */
