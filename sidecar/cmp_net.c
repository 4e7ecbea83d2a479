
/*
 * The network thread.  Requests come in through a list under a mutex and
 * curl_multi_wakeup(); answers go back through another list and an
 * eventfd the main loop polls.  Both lists are bounded by what the main
 * thread keeps in flight (--concurrency), never by the queue.  The thread
 * drives libcurl with curl_multi_perform() and curl_multi_poll(), which
 * keep its sockets and timers themselves.
 */


#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "cmp_net.h"


/* a growable array of easy handles */
typedef struct {
    CURL              **items;
    size_t              n;
    size_t              cap;
} cmp_net_list_t;


struct cmp_net_s {
    pthread_t           thread;
    pthread_mutex_t     lock;
    unsigned            started:1;

    /* under lock: handed over, handed back, told to stop */
    cmp_net_list_t      add;
    cmp_net_done_t     *done;
    size_t              ndone;
    size_t              done_cap;
    int                 stop;

    int                 done_fd;       /* thread -> main */

    /* the thread's own */
    CURLM              *multi;
    cmp_net_list_t      adding;
    cmp_net_done_t     *finished;
    size_t              nfinished;
    size_t              finished_cap;
};


static void *cmp_net_run(void *arg);
static void cmp_net_take(cmp_net_t *n);
static void cmp_net_transfer(cmp_net_t *n);
static void cmp_net_hand_back(cmp_net_t *n);
static int cmp_net_list_add(cmp_net_list_t *l, CURL *const *easy,
    size_t count);
static int cmp_net_done_add(cmp_net_done_t **a, size_t *n, size_t *cap,
    const cmp_net_done_t *items, size_t count);
static void cmp_net_signal(int fd);
static void cmp_net_drain(int fd);


cmp_net_t *
cmp_net_create(long max_connects, char *err, size_t err_len)
{
    int         rc;
    sigset_t    all, old;
    cmp_net_t  *n;

    n = calloc(1, sizeof(cmp_net_t));
    if (n == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }

    n->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    n->multi = curl_multi_init();

    if (n->done_fd == -1 || n->multi == NULL) {
        snprintf(err, err_len, "the network thread's setup failed: %s",
                 strerror(errno));
        cmp_net_destroy(n);
        return NULL;
    }

    curl_multi_setopt(n->multi, CURLMOPT_MAXCONNECTS, max_connects);

    pthread_mutex_init(&n->lock, NULL);

    /* signals are the main loop's (ppoll with its mask), never ours */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&n->thread, NULL, cmp_net_run, n);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (rc != 0) {
        snprintf(err, err_len, "pthread_create() failed: %s", strerror(rc));
        cmp_net_destroy(n);
        return NULL;
    }

    n->started = 1;

    return n;
}


/*
 * Requests still in flight are dropped with the multi handle: the main
 * thread stops only after its drain, and what is out then stays
 * "sending" in the ledger, for the next start.
 */
void
cmp_net_destroy(cmp_net_t *n)
{
    if (n == NULL) {
        return;
    }

    if (n->started) {
        pthread_mutex_lock(&n->lock);
        n->stop = 1;
        pthread_mutex_unlock(&n->lock);

        curl_multi_wakeup(n->multi);
        pthread_join(n->thread, NULL);
        pthread_mutex_destroy(&n->lock);
    }

    if (n->multi != NULL) {
        curl_multi_cleanup(n->multi);
    }

    if (n->done_fd != -1) {
        close(n->done_fd);
    }

    free(n->add.items);
    free(n->adding.items);
    free(n->done);
    free(n->finished);
    free(n);
}


int
cmp_net_submit(cmp_net_t *n, CURL *const *easy, size_t count)
{
    int  rc;

    if (count == 0) {
        return 0;
    }

    pthread_mutex_lock(&n->lock);
    rc = n->stop ? -1 : cmp_net_list_add(&n->add, easy, count);
    pthread_mutex_unlock(&n->lock);

    if (rc == 0) {
        curl_multi_wakeup(n->multi);
    }

    return rc;
}


int
cmp_net_fd(cmp_net_t *n)
{
    return n->done_fd;
}


/*
 * The eventfd is readable exactly while answers wait: it is drained,
 * and signalled again for what is left, under the lock that the
 * hand-back signals under.  A signal left over with nothing behind it
 * (a hand-back's, written after we took its answers) is never drained
 * once nothing is in flight: ppoll() would return at once for ever, and
 * it lets a pending SIGTERM in only when no fd is ready.
 */
size_t
cmp_net_done(cmp_net_t *n, cmp_net_done_t *out, size_t max)
{
    size_t  k;

    pthread_mutex_lock(&n->lock);

    cmp_net_drain(n->done_fd);

    k = (n->ndone < max) ? n->ndone : max;

    if (k > 0) {
        memcpy(out, n->done, k * sizeof(cmp_net_done_t));
        memmove(n->done, n->done + k,
                (n->ndone - k) * sizeof(cmp_net_done_t));
        n->ndone -= k;
    }

    /* more waits: the next poll must see the fd readable */
    if (n->ndone > 0) {
        cmp_net_signal(n->done_fd);
    }

    pthread_mutex_unlock(&n->lock);

    return k;
}


static void *
cmp_net_run(void *arg)
{
    cmp_net_t *n = arg;

    int  stop;

    for ( ;; ) {
        cmp_net_take(n);
        cmp_net_transfer(n);
        cmp_net_hand_back(n);

        pthread_mutex_lock(&n->lock);
        stop = n->stop;
        pthread_mutex_unlock(&n->lock);

        if (stop) {
            return NULL;
        }

        /* woken early by an answer, a timer, or curl_multi_wakeup() */
        (void) curl_multi_poll(n->multi, NULL, 0, 1000, NULL);
    }
}


/* the requests handed over since the last look, into the multi handle */
static void
cmp_net_take(cmp_net_t *n)
{
    size_t          i;
    cmp_net_list_t  l;
    cmp_net_done_t  failed;

    pthread_mutex_lock(&n->lock);
    l = n->add;
    n->add = n->adding;
    pthread_mutex_unlock(&n->lock);

    for (i = 0; i < l.n; i++) {
        if (curl_multi_add_handle(n->multi, l.items[i]) != CURLM_OK) {
            failed.easy = l.items[i];
            failed.result = CURLE_FAILED_INIT;
            (void) cmp_net_done_add(&n->finished, &n->nfinished,
                                    &n->finished_cap, &failed, 1);
        }
    }

    /* the emptied list is the next one to swap in */
    l.n = 0;
    n->adding = l;
}


static void
cmp_net_transfer(cmp_net_t *n)
{
    int             left, running;
    CURLMsg        *m;
    cmp_net_done_t  d;

    (void) curl_multi_perform(n->multi, &running);

    while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }

        d.easy = m->easy_handle;
        d.result = m->data.result;
        curl_multi_remove_handle(n->multi, d.easy);

        /* out of memory here loses an answer: the message stays "sending" */
        (void) cmp_net_done_add(&n->finished, &n->nfinished,
                                &n->finished_cap, &d, 1);
    }
}


static void
cmp_net_hand_back(cmp_net_t *n)
{
    int  rc;

    if (n->nfinished == 0) {
        return;
    }

    pthread_mutex_lock(&n->lock);

    rc = cmp_net_done_add(&n->done, &n->ndone, &n->done_cap, n->finished,
                          n->nfinished);

    /* under the lock: cmp_net_done() drains only what it takes */
    if (rc == 0) {
        cmp_net_signal(n->done_fd);
    }

    pthread_mutex_unlock(&n->lock);

    if (rc == 0) {
        n->nfinished = 0;
    }
}


static int
cmp_net_list_add(cmp_net_list_t *l, CURL *const *easy, size_t count)
{
    size_t   cap;
    CURL   **items;

    if (l->n + count > l->cap) {
        cap = l->cap ? l->cap : 64;

        while (cap < l->n + count) {
            cap *= 2;
        }

        items = realloc(l->items, cap * sizeof(CURL *));
        if (items == NULL) {
            return -1;
        }

        l->items = items;
        l->cap = cap;
    }

    memcpy(l->items + l->n, easy, count * sizeof(CURL *));
    l->n += count;

    return 0;
}


static int
cmp_net_done_add(cmp_net_done_t **a, size_t *n, size_t *cap,
    const cmp_net_done_t *items, size_t count)
{
    size_t           c;
    cmp_net_done_t  *p;

    if (*n + count > *cap) {
        c = *cap ? *cap : 64;

        while (c < *n + count) {
            c *= 2;
        }

        p = realloc(*a, c * sizeof(cmp_net_done_t));
        if (p == NULL) {
            return -1;
        }

        *a = p;
        *cap = c;
    }

    memcpy(*a + *n, items, count * sizeof(cmp_net_done_t));
    *n += count;

    return 0;
}


static void
cmp_net_signal(int fd)
{
    uint64_t  one;

    one = 1;

    /* EAGAIN: the counter is already far from zero, which is all we want */
    if (write(fd, &one, sizeof(one)) == -1) {
        return;
    }
}


static void
cmp_net_drain(int fd)
{
    uint64_t  v;

    if (read(fd, &v, sizeof(v)) == -1) {
        return;
    }
}
