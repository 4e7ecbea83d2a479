
/*
 * The network thread.  Requests come in through a list under a mutex and
 * an eventfd that wakes the thread; answers go back the same way, with
 * an eventfd the main loop polls.  Both lists are bounded by what the
 * main thread keeps in flight (--concurrency), never by the queue.
 */


#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

    int                 wake_fd;       /* main -> thread */
    int                 done_fd;       /* thread -> main */

    /* the thread's own */
    CURLM              *multi;
    cmp_net_list_t      adding;
    cmp_net_done_t     *finished;
    size_t              nfinished;
    size_t              finished_cap;
    struct pollfd      *fds;           /* [0] is wake_fd */
    int                 nfds;
    int                 fds_cap;
    struct pollfd      *ready;
    int                 ready_cap;
    long                timeout;       /* ms; -1: none */
    int64_t             timer_at;
};


static void *cmp_net_run(void *arg);
static void cmp_net_take(cmp_net_t *n);
static void cmp_net_transfer(cmp_net_t *n);
static void cmp_net_hand_back(cmp_net_t *n);
static int cmp_net_socket(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp);
static int cmp_net_timer(CURLM *multi, long timeout_ms, void *userp);
static int cmp_net_list_add(cmp_net_list_t *l, CURL *const *easy,
    size_t count);
static int cmp_net_done_add(cmp_net_done_t **a, size_t *n, size_t *cap,
    const cmp_net_done_t *items, size_t count);
static int64_t cmp_net_msec(void);
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

    n->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    n->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    n->multi = curl_multi_init();
    n->fds = malloc(16 * sizeof(struct pollfd));
    n->fds_cap = 16;
    n->timeout = -1;

    if (n->wake_fd == -1 || n->done_fd == -1 || n->multi == NULL
        || n->fds == NULL)
    {
        snprintf(err, err_len, "the network thread's setup failed: %s",
                 strerror(errno));
        cmp_net_destroy(n);
        return NULL;
    }

    n->fds[0].fd = n->wake_fd;
    n->fds[0].events = POLLIN;
    n->nfds = 1;

    curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, cmp_net_socket);
    curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
    curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, cmp_net_timer);
    curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
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

        cmp_net_signal(n->wake_fd);
        pthread_join(n->thread, NULL);
        pthread_mutex_destroy(&n->lock);
    }

    if (n->multi != NULL) {
        curl_multi_cleanup(n->multi);
    }

    if (n->wake_fd != -1) {
        close(n->wake_fd);
    }

    if (n->done_fd != -1) {
        close(n->done_fd);
    }

    free(n->add.items);
    free(n->adding.items);
    free(n->done);
    free(n->finished);
    free(n->fds);
    free(n->ready);
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
        cmp_net_signal(n->wake_fd);
    }

    return rc;
}


int
cmp_net_fd(cmp_net_t *n)
{
    return n->done_fd;
}


size_t
cmp_net_done(cmp_net_t *n, cmp_net_done_t *out, size_t max)
{
    size_t  k;

    /* drained first: a hand-back after it signals again */
    cmp_net_drain(n->done_fd);

    pthread_mutex_lock(&n->lock);

    k = (n->ndone < max) ? n->ndone : max;
    memcpy(out, n->done, k * sizeof(cmp_net_done_t));
    memmove(n->done, n->done + k, (n->ndone - k) * sizeof(cmp_net_done_t));
    n->ndone -= k;

    pthread_mutex_unlock(&n->lock);

    if (k == max) {
        /* more may wait: the next poll must see the fd readable */
        cmp_net_signal(n->done_fd);
    }

    return k;
}


static void *
cmp_net_run(void *arg)
{
    cmp_net_t *n = arg;

    int      stop;
    int64_t  wait;

    for ( ;; ) {
        wait = 1000;

        if (n->timeout >= 0) {
            wait = n->timer_at - cmp_net_msec();
            wait = (wait < 0) ? 0 : (wait > 1000) ? 1000 : wait;
        }

        if (poll(n->fds, n->nfds, (int) wait) == -1 && errno != EINTR) {
            /* nothing sane is left to do but slow down and try again */
            usleep(10000);
            continue;
        }

        if (n->fds[0].revents) {
            n->fds[0].revents = 0;
            cmp_net_drain(n->wake_fd);
            cmp_net_take(n);
        }

        cmp_net_transfer(n);
        cmp_net_hand_back(n);

        pthread_mutex_lock(&n->lock);
        stop = n->stop;
        pthread_mutex_unlock(&n->lock);

        if (stop) {
            return NULL;
        }
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
    int             i, k, ev, running;
    CURLMsg        *m;
    struct pollfd  *p;
    cmp_net_done_t  d;

    if (n->ready_cap < n->nfds) {
        p = realloc(n->ready, n->nfds * sizeof(struct pollfd));
        if (p == NULL) {
            return;
        }

        n->ready = p;
        n->ready_cap = n->nfds;
    }

    /* copied first: socket_action changes the table under us */
    k = 0;

    for (i = 1; i < n->nfds; i++) {
        if (n->fds[i].revents != 0) {
            n->ready[k++] = n->fds[i];
            n->fds[i].revents = 0;
        }
    }

    for (i = 0; i < k; i++) {
        ev = (n->ready[i].revents & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0;
        ev |= (n->ready[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0;
        ev |= (n->ready[i].revents & (POLLERR | POLLNVAL))
              ? CURL_CSELECT_ERR : 0;

        curl_multi_socket_action(n->multi, n->ready[i].fd, ev, &running);
    }

    if (n->timeout >= 0 && cmp_net_msec() >= n->timer_at) {
        n->timeout = -1;
        curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }

    while ((m = curl_multi_info_read(n->multi, &i)) != NULL) {
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
    pthread_mutex_unlock(&n->lock);

    if (rc == 0) {
        n->nfinished = 0;
        cmp_net_signal(n->done_fd);
    }
}


static int
cmp_net_socket(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
    cmp_net_t *n = userp;

    int             i;
    struct pollfd  *fds;

    (void) easy;
    (void) socketp;

    for (i = 1; i < n->nfds; i++) {
        if (n->fds[i].fd == s) {
            break;
        }
    }

    if (what == CURL_POLL_REMOVE) {
        if (i < n->nfds) {
            n->fds[i] = n->fds[--n->nfds];
        }

        return 0;
    }

    if (i == n->nfds) {
        if (n->nfds == n->fds_cap) {
            fds = realloc(n->fds, n->fds_cap * 2 * sizeof(struct pollfd));
            if (fds == NULL) {
                return -1;
            }

            n->fds = fds;
            n->fds_cap *= 2;
        }

        n->fds[i].fd = s;
        n->nfds++;
    }

    n->fds[i].events = ((what & CURL_POLL_IN) ? POLLIN : 0)
                       | ((what & CURL_POLL_OUT) ? POLLOUT : 0);
    n->fds[i].revents = 0;

    return 0;
}


static int
cmp_net_timer(CURLM *multi, long timeout_ms, void *userp)
{
    cmp_net_t *n = userp;

    (void) multi;

    n->timeout = timeout_ms;
    n->timer_at = (timeout_ms >= 0) ? cmp_net_msec() + timeout_ms : 0;

    return 0;
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


static int64_t
cmp_net_msec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
