
/*
 * Dispatch: the send queue to the providers over libcurl's multi
 * interface, per channel token bucket, lanes, gaps and the ledger.
 */


#ifndef _CMP_DISPATCH_H_INCLUDED_
#define _CMP_DISPATCH_H_INCLUDED_


#include <poll.h>
#include <stdint.h>
#include <curl/curl.h>

#include "cmp_campaignd.h"


/* what a request of the flow engine's http_request node got */
typedef void (*cmp_http_done_pt)(void *data, long status, const char *body,
    size_t len, const char *error);


typedef struct cmp_dispatch_s  cmp_dispatch_t;


cmp_dispatch_t *cmp_dispatch_create(cmp_campaignd_t *cd);
void cmp_dispatch_destroy(cmp_dispatch_t *d);
int cmp_dispatch_recover(cmp_dispatch_t *d);
void cmp_dispatch_refresh(cmp_dispatch_t *d);
void cmp_dispatch_pump(cmp_dispatch_t *d);
int cmp_dispatch_poll_fds(cmp_dispatch_t *d, struct pollfd **fds,
    int64_t *timeout_ms);
void cmp_dispatch_poll_done(cmp_dispatch_t *d);
unsigned cmp_dispatch_in_flight(cmp_dispatch_t *d);
void cmp_dispatch_stop_starting(cmp_dispatch_t *d);

int cmp_dispatch_http(cmp_dispatch_t *d, const char *method,
    const char *url, struct curl_slist *headers, const char *body,
    long timeout, cmp_http_done_pt done, void *data);


#endif /* _CMP_DISPATCH_H_INCLUDED_ */
