
/*
 * HTTP requests over the network thread (cmp_net.c): the handles, their
 * buffers and headers, and the answers handed to each request's owner.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "cmp_http.h"
#include "cmp_net.h"


#define CMP_HTTP_BATCH          256
#define CMP_HTTP_ANSWER_MAX     65536
#define CMP_HTTP_CONNECT_MAX    10


/* a request as cmp_http keeps it; owners see only req */
typedef struct {
    cmp_http_req_t       req;
    CURL                *easy;
    CURLcode             result;
    struct curl_slist   *headers;       /* the request's own */
    cmp_http_headers_t  *shared;
} cmp_http_handle_t;


struct cmp_http_headers_s {
    unsigned             refs;
    struct curl_slist   *list;
};


struct cmp_http_s {
    cmp_net_t           *net;
    struct pollfd        fd;
    unsigned             in_flight;
    unsigned             stopping:1;
    cmp_http_owner_t    *owners;
};


static size_t cmp_http_write(char *ptr, size_t size, size_t n,
    void *userdata);
static size_t cmp_http_header(char *ptr, size_t size, size_t n,
    void *userdata);
static void cmp_http_finish(cmp_http_handle_t *hd, CURLcode result);
static void cmp_http_destroy_req(cmp_http_req_t *r);


cmp_http_t *
cmp_http_create(unsigned concurrency, char *err, size_t err_len)
{
    cmp_http_t  *h;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, err_len, "curl_global_init() failed");
        return NULL;
    }

    h = calloc(1, sizeof(cmp_http_t));
    if (h == NULL) {
        snprintf(err, err_len, "out of memory");
        curl_global_cleanup();
        return NULL;
    }

    h->net = cmp_net_create((long) concurrency, err, err_len);

    if (h->net == NULL) {
        free(h);
        curl_global_cleanup();
        return NULL;
    }

    h->fd.fd = cmp_net_fd(h->net);
    h->fd.events = POLLIN;

    return h;
}


void
cmp_http_destroy(cmp_http_t *h)
{
    cmp_http_req_t    *r;
    cmp_http_owner_t  *o;

    if (h == NULL) {
        return;
    }

    /* first: then no easy handle is in the thread's hands */
    cmp_net_destroy(h->net);

    for (o = h->owners; o != NULL; o = o->next) {
        while (o->spare != NULL) {
            r = o->spare;
            o->spare = r->next;
            cmp_http_destroy_req(r);
        }

        while (o->finished != NULL) {
            r = o->finished;
            o->finished = r->next;
            cmp_http_destroy_req(r);
        }

        o->nspare = 0;
    }

    free(h);
    curl_global_cleanup();
}


void
cmp_http_owner_add(cmp_http_t *h, cmp_http_owner_t *o)
{
    cmp_http_owner_t  **p;

    o->spare = NULL;
    o->nspare = 0;
    o->finished = NULL;
    o->next = NULL;

    /* in the order they came: their answers are handed in that order */
    for (p = &h->owners; *p != NULL; p = &(*p)->next) {
        /* void */
    }

    *p = o;
}


cmp_http_req_t *
cmp_http_new(cmp_http_t *h, cmp_http_owner_t *o)
{
    cmp_http_req_t     *r;
    cmp_http_handle_t  *hd;

    if (h->stopping) {
        return NULL;
    }

    if (o->spare != NULL) {
        r = o->spare;
        o->spare = r->next;
        o->nspare--;

    } else {
        hd = calloc(1, sizeof(cmp_http_handle_t) + o->ctx_size);
        if (hd == NULL) {
            return NULL;
        }

        hd->easy = curl_easy_init();
        if (hd->easy == NULL) {
            free(hd);
            return NULL;
        }

        curl_easy_setopt(hd->easy, CURLOPT_WRITEFUNCTION, cmp_http_write);
        curl_easy_setopt(hd->easy, CURLOPT_WRITEDATA, hd);
        curl_easy_setopt(hd->easy, CURLOPT_HEADERFUNCTION, cmp_http_header);
        curl_easy_setopt(hd->easy, CURLOPT_HEADERDATA, hd);
        curl_easy_setopt(hd->easy, CURLOPT_PRIVATE, hd);
        curl_easy_setopt(hd->easy, CURLOPT_NOSIGNAL, 1L);

        /*
         * A URL may come from a template a flow renders: whatever it
         * renders to, it is fetched over HTTP or HTTPS, never as a local
         * file or a gopher request
         */
        curl_easy_setopt(hd->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(hd->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");

        r = &hd->req;
        r->owner = o;
        r->ctx = (o->ctx_size > 0) ? (void *) (hd + 1) : NULL;
    }

    r->next = NULL;
    r->status = 0;
    r->error = NULL;
    r->retry_after = -1;
    r->answer.len = 0;
    r->answer.failed = 0;

    if (r->answer.data != NULL) {
        r->answer.data[0] = '\0';
    }

    cmp_text_reset(&r->body);

    return r;
}


int
cmp_http_prepare(cmp_http_req_t *r, const char *url, int post,
    cmp_http_headers_t *shared, const char *const *lines, size_t nlines,
    long timeout)
{
    size_t              i;
    struct curl_slist  *l;
    cmp_http_handle_t  *hd = (cmp_http_handle_t *) r;

    curl_easy_setopt(hd->easy, CURLOPT_URL, url);
    curl_easy_setopt(hd->easy, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(hd->easy, CURLOPT_CONNECTTIMEOUT,
                     timeout < CMP_HTTP_CONNECT_MAX ? timeout
                                                    : CMP_HTTP_CONNECT_MAX);

    if (post) {
        curl_easy_setopt(hd->easy, CURLOPT_POSTFIELDS,
                         r->body.data ? r->body.data : "");
        curl_easy_setopt(hd->easy, CURLOPT_POSTFIELDSIZE,
                         (long) r->body.len);

    } else {
        curl_easy_setopt(hd->easy, CURLOPT_HTTPGET, 1L);
    }

    if (shared != NULL) {
        hd->shared = shared;
        shared->refs++;
        curl_easy_setopt(hd->easy, CURLOPT_HTTPHEADER, shared->list);
        return 0;
    }

    l = NULL;

    for (i = 0; i < nlines; i++) {
        l = curl_slist_append(l, lines[i]);
        if (l == NULL) {
            return -1;
        }
    }

    /* no "100 Continue" round trip before a body */
    l = curl_slist_append(l, "Expect:");
    if (l == NULL) {
        return -1;
    }

    hd->headers = l;
    curl_easy_setopt(hd->easy, CURLOPT_HTTPHEADER, l);

    return 0;
}


/*
 * Requests to the network thread, counted in flight; if it is gone (it
 * never goes before us), they end at once as failed transfers.
 */
void
cmp_http_submit(cmp_http_t *h, cmp_http_req_t *reqs)
{
    size_t           n;
    CURL            *easy[CMP_HTTP_BATCH];
    cmp_http_req_t  *r, *next;

    while (reqs != NULL) {
        n = 0;

        for (r = reqs; r != NULL && n < CMP_HTTP_BATCH; r = r->next) {
            easy[n++] = ((cmp_http_handle_t *) r)->easy;
        }

        next = r;

        if (cmp_net_submit(h->net, easy, n) == 0) {
            h->in_flight += n;
            reqs = next;
            continue;
        }

        while (reqs != next) {
            r = reqs;
            reqs = r->next;
            cmp_http_finish((cmp_http_handle_t *) r, CURLE_FAILED_INIT);
        }
    }
}


struct pollfd *
cmp_http_poll_fd(cmp_http_t *h)
{
    h->fd.revents = 0;

    return &h->fd;
}


/* the answers the network thread has, each owner's at once */
void
cmp_http_poll_done(cmp_http_t *h)
{
    size_t              i, k;
    cmp_net_done_t      done[CMP_HTTP_BATCH];
    cmp_http_req_t     *list;
    cmp_http_owner_t   *o;
    cmp_http_handle_t  *hd;

    while (h->in_flight > 0) {
        k = cmp_net_done(h->net, done, CMP_HTTP_BATCH);

        for (i = 0; i < k; i++) {
            hd = NULL;
            curl_easy_getinfo(done[i].easy, CURLINFO_PRIVATE, (char **) &hd);

            h->in_flight--;
            cmp_http_finish(hd, done[i].result);
        }

        if (k < CMP_HTTP_BATCH) {
            break;
        }
    }

    for (o = h->owners; o != NULL; o = o->next) {
        if (o->finished != NULL) {
            list = o->finished;
            o->finished = NULL;
            o->done(o->data, list);
        }
    }
}


static void
cmp_http_finish(cmp_http_handle_t *hd, CURLcode result)
{
    cmp_http_req_t  *r;

    r = &hd->req;
    hd->result = result;

    if (result == CURLE_OK) {
        curl_easy_getinfo(hd->easy, CURLINFO_RESPONSE_CODE, &r->status);

    } else {
        r->status = 0;
        r->error = curl_easy_strerror(result);
    }

    r->next = r->owner->finished;
    r->owner->finished = r;
}


void
cmp_http_free(cmp_http_t *h, cmp_http_req_t *r)
{
    cmp_http_owner_t   *o;
    cmp_http_handle_t  *hd = (cmp_http_handle_t *) r;

    (void) h;

    cmp_http_headers_release(hd->shared);
    hd->shared = NULL;
    curl_slist_free_all(hd->headers);
    hd->headers = NULL;

    o = r->owner;

    if (o->nspare < o->max_spare) {
        r->next = o->spare;
        o->spare = r;
        o->nspare++;
        return;
    }

    cmp_http_destroy_req(r);
}


void
cmp_http_free_list(cmp_http_t *h, cmp_http_req_t *reqs)
{
    cmp_http_req_t  *r;

    while (reqs != NULL) {
        r = reqs;
        reqs = r->next;
        cmp_http_free(h, r);
    }
}


static void
cmp_http_destroy_req(cmp_http_req_t *r)
{
    cmp_http_handle_t  *hd = (cmp_http_handle_t *) r;

    cmp_http_headers_release(hd->shared);
    curl_slist_free_all(hd->headers);

    if (hd->easy != NULL) {
        curl_easy_cleanup(hd->easy);
    }

    cmp_text_free(&r->answer);
    cmp_text_free(&r->body);
    free(hd);
}


unsigned
cmp_http_in_flight(cmp_http_t *h)
{
    return h->in_flight;
}


/* SIGTERM: no new request; those in flight still answer */
void
cmp_http_stop(cmp_http_t *h)
{
    h->stopping = 1;
}


static size_t
cmp_http_write(char *ptr, size_t size, size_t n, void *userdata)
{
    cmp_http_handle_t *hd = userdata;

    /* an answer is small; a huge one is cut, not kept */
    if (hd->req.answer.len < CMP_HTTP_ANSWER_MAX) {
        cmp_text_add(&hd->req.answer, ptr, size * n);
    }

    return size * n;
}


static size_t
cmp_http_header(char *ptr, size_t size, size_t n, void *userdata)
{
    cmp_http_handle_t *hd = userdata;

    size_t  len;

    len = size * n;

    if (len > 12 && strncasecmp(ptr, "Retry-After:", 12) == 0) {
        hd->req.retry_after = strtoll(ptr + 12, NULL, 10);
    }

    return len;
}


cmp_http_headers_t *
cmp_http_headers(cmp_http_headers_t *old, const char *auth)
{
    cmp_http_headers_t  *hd;
    struct curl_slist   *l;

    if (old != NULL && auth != NULL
        && strcmp(old->list->next->data, auth) == 0)
    {
        return old;
    }

    cmp_http_headers_release(old);

    if (auth == NULL) {
        return NULL;
    }

    hd = malloc(sizeof(cmp_http_headers_t));
    if (hd == NULL) {
        return NULL;
    }

    /* the auth line second: cmp_http_headers() compares it */
    l = curl_slist_append(NULL, "Content-Type: application/json");
    l = (l != NULL) ? curl_slist_append(l, auth) : NULL;
    l = (l != NULL) ? curl_slist_append(l, "Expect:") : NULL;

    if (l == NULL) {
        /* curl_slist_append() frees nothing on failure: a leak is rare */
        free(hd);
        return NULL;
    }

    hd->refs = 1;
    hd->list = l;

    return hd;
}


void
cmp_http_headers_release(cmp_http_headers_t *hd)
{
    if (hd != NULL && --hd->refs == 0) {
        curl_slist_free_all(hd->list);
        free(hd);
    }
}
