
/*
 * The network thread: libcurl's multi interface driven on a thread of its
 * own, so that the main thread's store work and the requests' I/O run on
 * two cores.  The main thread sets a request up and reads its answer; in
 * between, only this thread touches the easy handle.
 */


#ifndef _CMP_NET_H_INCLUDED_
#define _CMP_NET_H_INCLUDED_


#include <stddef.h>
#include <curl/curl.h>


typedef struct cmp_net_s  cmp_net_t;


/* a request the thread is done with, and how its transfer ended */
typedef struct {
    CURL               *easy;
    CURLcode            result;
} cmp_net_done_t;


cmp_net_t *cmp_net_create(long max_connects, char *err, size_t err_len);
void cmp_net_destroy(cmp_net_t *n);

/* hands requests over; -1: the thread is gone, the caller keeps them */
int cmp_net_submit(cmp_net_t *n, CURL *const *easy, size_t count);

/* readable while requests done wait for cmp_net_done() */
int cmp_net_fd(cmp_net_t *n);

/* up to max requests done, taken off the thread's hands */
size_t cmp_net_done(cmp_net_t *n, cmp_net_done_t *out, size_t max);


#endif /* _CMP_NET_H_INCLUDED_ */
