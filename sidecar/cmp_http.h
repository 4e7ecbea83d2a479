
/*
 * HTTP requests, the one owner of libcurl in campaignd: handles set up,
 * handed to the network thread, answers collected and handed back to
 * the owner of each request, a pass's answers at once.
 */


#ifndef _CMP_HTTP_H_INCLUDED_
#define _CMP_HTTP_H_INCLUDED_


#include <poll.h>
#include <stdint.h>
#include <stddef.h>

#include "cmp_text.h"


typedef struct cmp_http_s          cmp_http_t;
typedef struct cmp_http_req_s      cmp_http_req_t;
typedef struct cmp_http_owner_s    cmp_http_owner_t;
typedef struct cmp_http_headers_s  cmp_http_headers_t;

/* the answers of one pass to one owner, a list by next */
typedef void (*cmp_http_done_pt)(void *data, cmp_http_req_t *reqs);


struct cmp_http_req_s {
    /* the answer */
    long                 status;        /* 0: the transfer failed */
    const char          *error;         /* the transfer's; NULL: none */
    int64_t              retry_after;   /* seconds; -1: not given */
    cmp_text_t           answer;        /* cut at 64 KiB */

    /* a POST's body, kept with the request */
    cmp_text_t           body;

    /* the owner's: ctx is ctx_size bytes of it, kept with the request */
    cmp_http_owner_t    *owner;
    void                *ctx;
    cmp_http_req_t      *next;
};


/*
 * Who made requests: its answers come to done, and up to max_spare of
 * its finished requests are kept, handle and buffers, for the next ones.
 */
struct cmp_http_owner_s {
    cmp_http_done_pt     done;
    void                *data;
    size_t               ctx_size;
    unsigned             max_spare;

    /* cmp_http's */
    cmp_http_req_t      *spare;
    unsigned             nspare;
    cmp_http_req_t      *finished;
    cmp_http_owner_t    *next;
};


cmp_http_t *cmp_http_create(unsigned concurrency, char *err,
    size_t err_len);
void cmp_http_destroy(cmp_http_t *h);

void cmp_http_owner_add(cmp_http_t *h, cmp_http_owner_t *o);

/* a request of o's, fresh or spare; NULL: out of memory, or stopping */
cmp_http_req_t *cmp_http_new(cmp_http_t *h, cmp_http_owner_t *o);

/*
 * What to ask: a POST of r->body when post, else a GET; the headers are
 * a shared set (cmp_http_headers()) or lines of the request's own.
 */
int cmp_http_prepare(cmp_http_req_t *r, const char *url, int post,
    cmp_http_headers_t *shared, const char *const *lines, size_t nlines,
    long timeout);

/* to the network thread; answers come through the owner's done */
void cmp_http_submit(cmp_http_t *h, cmp_http_req_t *reqs);

/* a request done with (answered, or never submitted) */
void cmp_http_free(cmp_http_t *h, cmp_http_req_t *r);
void cmp_http_free_list(cmp_http_t *h, cmp_http_req_t *reqs);

/* readable when answers wait; then cmp_http_poll_done() */
struct pollfd *cmp_http_poll_fd(cmp_http_t *h);
void cmp_http_poll_done(cmp_http_t *h);

unsigned cmp_http_in_flight(cmp_http_t *h);
void cmp_http_stop(cmp_http_t *h);

/*
 * A set of JSON request headers with one auth line, shared by requests
 * in flight; the old set is kept while its auth line is the same.
 */
cmp_http_headers_t *cmp_http_headers(cmp_http_headers_t *old,
    const char *auth);
void cmp_http_headers_release(cmp_http_headers_t *hd);


#endif /* _CMP_HTTP_H_INCLUDED_ */
