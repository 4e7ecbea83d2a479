
/*
 * Group commit: write operations queue up on the event loop, and one pool
 * thread runs each batch in a single LMDB transaction, so one fsync makes
 * many requests durable and no fsync ever stalls the event loop.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"


static void ngx_http_campaign_writer_gather(ngx_event_t *ev);
static void ngx_http_campaign_writer_guard(ngx_event_t *ev);
static void ngx_http_campaign_writer_start(ngx_http_campaign_writer_t *w);
#if (NGX_THREADS)
static void ngx_http_campaign_writer_run(void *data, ngx_log_t *log);
static void ngx_http_campaign_writer_done(ngx_event_t *ev);
#endif
static void ngx_http_campaign_writer_finish(ngx_http_campaign_writer_t *w);
static void ngx_http_campaign_writer_again(ngx_http_campaign_writer_t *w,
    ngx_log_t *log);
static void ngx_http_campaign_writer_batch(ngx_http_campaign_writer_t *w,
    ngx_log_t *log);
static ngx_int_t ngx_http_campaign_writer_ops(ngx_queue_t *batch,
    cmp_store_t *st, cmp_txn_t *txn, int64_t now, ngx_uint_t nested);
static ngx_uint_t ngx_http_campaign_writer_take(ngx_http_campaign_writer_t *w,
    ngx_log_t *log);
static uint64_t ngx_http_campaign_writer_usec(void);
static void ngx_http_campaign_writer_lock(ngx_http_campaign_writer_t *w,
    ngx_log_t *log);
static void ngx_http_campaign_writer_unlock(ngx_http_campaign_writer_t *w,
    ngx_log_t *log);


/* each task carries the writer back to the event loop */
typedef struct {
    ngx_http_campaign_writer_t  *writer;
} ngx_http_campaign_task_ctx_t;


void
ngx_http_campaign_writer_init(ngx_http_campaign_main_conf_t *mcf)
{
    ngx_queue_init(&mcf->writer.queue);
    ngx_queue_init(&mcf->writer.batch);
    mcf->writer.busy = 0;
    mcf->writer.store = &mcf->store;
    mcf->writer.metrics = mcf->metrics_zone;

    mcf->writer.gather.handler = ngx_http_campaign_writer_gather;
    mcf->writer.gather.data = &mcf->writer;
    mcf->writer.gather.log = ngx_cycle->log;

    mcf->writer.guard.handler = ngx_http_campaign_writer_guard;
    mcf->writer.guard.data = &mcf->writer;
    mcf->writer.guard.log = ngx_cycle->log;

#if (NGX_THREADS)
    /* without it the batch is taken on the event loop, as without threads */
    mcf->writer.mutex_ok =
        (ngx_thread_mutex_create(&mcf->writer.mutex, ngx_cycle->log)
         == NGX_OK);
#endif
}


/*
 * A worker that shuts down gracefully (reload) waits only while timers
 * that are not cancelable remain; a request waiting for its commit has
 * none of its own, so the writer keeps one armed until it is idle.
 */
static void
ngx_http_campaign_writer_guard(ngx_event_t *ev)
{
    ngx_http_campaign_writer_t *w = ev->data;

    if (w->busy || !ngx_queue_empty(&w->queue)) {
        ngx_add_timer(&w->guard, 1000);
    }
}


ngx_int_t
ngx_http_campaign_writer_post(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    /* the thread may be taking the queue's ops into its batch right now */
    ngx_http_campaign_writer_lock(&mcf->writer, r->connection->log);
    ngx_queue_insert_tail(&mcf->writer.queue, &ctx->queue);
    ngx_http_campaign_writer_unlock(&mcf->writer, r->connection->log);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "campaign writer: queued, a batch %s",
                   mcf->writer.busy ? "commits: waits for the next"
                                    : "starts after this pass");

    /* the request must outlive a client that goes away meanwhile */
    r->main->blocked++;
    r->aio = 1;

    if (!mcf->writer.guard.timer_set) {
        ngx_add_timer(&mcf->writer.guard, 1000);
    }

    /*
     * Clients whose previous writes were answered together send their
     * next ones together: starting the batch once this event loop pass
     * has read them all, not on the first, keeps the batches large.
     */
    if (!mcf->writer.busy && !mcf->writer.gather.posted) {
        ngx_post_event(&mcf->writer.gather, &ngx_posted_events);
    }

    return NGX_DONE;
}


static void
ngx_http_campaign_writer_gather(ngx_event_t *ev)
{
    ngx_http_campaign_writer_t *w = ev->data;

    if (!w->busy) {
        ngx_http_campaign_writer_start(w);
    }
}


static void
ngx_http_campaign_writer_start(ngx_http_campaign_writer_t *w)
{
    ngx_queue_t                    *q;
    ngx_http_campaign_ctx_t        *ctx;
#if (NGX_THREADS)
    ngx_thread_task_t              *task;
    ngx_http_campaign_task_ctx_t   *tctx;
#endif

    if (ngx_queue_empty(&w->queue)) {
        return;
    }

    q = ngx_queue_head(&w->queue);
    ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);

    /* an import chunk may have found the map full or another's larger */
    (void) ngx_http_campaign_store_adopt(ctx->request->connection->log);

    /*
     * The batch is taken from the queue by whoever runs it, once the
     * write txn has begun: the ops that queue while it waits for the
     * store's write lock (another worker's or campaignd's commit) join it.
     */
    ngx_queue_init(&w->batch);

    w->busy = 1;

#if (NGX_THREADS)
    if (w->thread_pool != NULL && w->mutex_ok) {
        task = w->task;

        if (task == NULL) {
            task = ngx_thread_task_alloc(ngx_cycle->pool,
                                         sizeof(ngx_http_campaign_task_ctx_t));
            if (task == NULL) {
                goto inline_commit;
            }

            w->task = task;
        }

        tctx = task->ctx;
        tctx->writer = w;

        task->handler = ngx_http_campaign_writer_run;
        task->event.handler = ngx_http_campaign_writer_done;
        task->event.data = task;
        task->event.log = ctx->request->connection->log;

        if (ngx_thread_task_post(w->thread_pool, task) == NGX_OK) {
            return;
        }

        ngx_log_error(NGX_LOG_ERR, ctx->request->connection->log, 0,
                      "campaign api: posting to the thread pool failed, "
                      "committing on the event loop");
    }

inline_commit:
#endif

    /* without threads the commit runs here: durable, but blocking */
    ngx_http_campaign_writer_batch(w, ctx->request->connection->log);
    ngx_http_campaign_writer_finish(w);
}


#if (NGX_THREADS)

static void
ngx_http_campaign_writer_run(void *data, ngx_log_t *log)
{
    ngx_http_campaign_task_ctx_t *tctx = data;

    ngx_http_campaign_writer_batch(tctx->writer, log);
}

#endif


/*
 * Runs in the pool thread: every op in its own nested transaction, so a
 * refused op leaves no trace while its neighbours commit with one fsync.
 *
 * A nested txn costs LMDB a dirty page list of its own, a copy of each
 * page it touches and a merge into its parent at its commit: about as
 * much as the op itself for a webhook's status.  A batch whose ops may
 * all be run again from the start (cmp_op_t.rerun: the webhooks) runs
 * them in its own txn; if one fails, whatever it wrote before may be in
 * that txn, so the txn is given up and the batch runs again, each op
 * nested as usual.  Nothing that one run leaves is ever committed.
 */
static void
ngx_http_campaign_writer_batch(ngx_http_campaign_writer_t *w, ngx_log_t *log)
{
    int                       rc;
    int64_t                   now;
    uint64_t                  asked, locked, written, committed;
    cmp_txn_t                *txn;
    cmp_store_t              *st;
    ngx_uint_t                nested, n;
    ngx_queue_t              *q, *batch;
    ngx_http_campaign_ctx_t  *ctx;

    batch = &w->batch;
    st = w->store;

    asked = ngx_http_campaign_writer_usec();

    rc = cmp_store_txn_begin(st, NULL, 0, &txn);

    locked = ngx_http_campaign_writer_usec();

    /* read after the lock: a batch's ops see the time of their commit */
    now = (int64_t) time(NULL);

    n = ngx_http_campaign_writer_take(w, log);

    nested = 0;

    for (q = ngx_queue_head(batch);
         q != ngx_queue_sentinel(batch);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);

        if (!ctx->op.rerun) {
            nested = 1;
            break;
        }
    }

    if (rc == 0
        && ngx_http_campaign_writer_ops(batch, st, txn, now, nested)
           == NGX_AGAIN)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, log, 0,
                       "campaign writer: an op failed, the batch runs again "
                       "nested");

        cmp_txn_abort(txn);

        for (q = ngx_queue_head(batch);
             q != ngx_queue_sentinel(batch);
             q = ngx_queue_next(q))
        {
            ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);
            cmp_op_reset(&ctx->op);
        }

        rc = cmp_store_txn_begin(st, NULL, 0, &txn);

        if (rc == 0) {
            (void) ngx_http_campaign_writer_ops(batch, st, txn, now, 1);
        }
    }

    if (rc != 0) {
        for (q = ngx_queue_head(batch);
             q != ngx_queue_sentinel(batch);
             q = ngx_queue_next(q))
        {
            ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);
            ctx->op.now = now;
            cmp_op_store_error(&ctx->op, rc);
        }

        return;
    }

    /*
     * A batch run again nested counts its second run, and its second wait
     * for the lock, as writing: both are what its ops cost it.
     */
    written = ngx_http_campaign_writer_usec();

    rc = cmp_txn_commit(txn);

    if (rc == 0) {
        committed = ngx_http_campaign_writer_usec();

        ngx_http_campaign_metrics_commit(w->metrics, n, locked - asked,
                                         written - locked,
                                         committed - written);
        return;
    }

    /* nothing of the batch is durable: every success becomes a failure */
    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "campaign_store: cmp_txn_commit() failed: %s",
                  cmp_strerror(rc));

    for (q = ngx_queue_head(batch);
         q != ngx_queue_sentinel(batch);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);

        if (ctx->op.code == NULL) {
            cmp_op_free(&ctx->op);
            cmp_op_store_error(&ctx->op, rc);
        }
    }
}


#if (NGX_THREADS)

static void
ngx_http_campaign_writer_done(ngx_event_t *ev)
{
    ngx_thread_task_t             *task;
    ngx_http_campaign_task_ctx_t  *tctx;

    task = ev->data;
    tctx = task->ctx;

    ngx_http_campaign_writer_finish(tctx->writer);
}

#endif


/*
 * NGX_AGAIN: an op run without a nested txn failed, and the txn holds
 * what it wrote before; the caller gives the txn up.
 */
static ngx_int_t
ngx_http_campaign_writer_ops(ngx_queue_t *batch, cmp_store_t *st,
    cmp_txn_t *txn, int64_t now, ngx_uint_t nested)
{
    int                       rc;
    cmp_op_t                 *op;
    cmp_txn_t                *child;
    ngx_queue_t              *q;
    ngx_http_campaign_ctx_t  *ctx;

    for (q = ngx_queue_head(batch);
         q != ngx_queue_sentinel(batch);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);
        op = &ctx->op;
        op->now = now;

        if (!nested) {
            op->txn = txn;
            rc = op->run(op);
            op->txn = NULL;

            if (rc != CMP_OK) {
                return NGX_AGAIN;
            }

            continue;
        }

        if (cmp_store_txn_begin(st, txn, 0, &child) != 0) {
            cmp_op_fail(op, 503, "store_unavailable", NULL,
                        "cannot begin a transaction");
            continue;
        }

        op->txn = child;

        if (op->run(op) == CMP_OK) {
            rc = cmp_txn_commit(child);

            if (rc != 0) {
                cmp_op_store_error(op, rc);
            }

        } else {
            cmp_txn_abort(child);
        }

        op->txn = NULL;
    }

    return NGX_OK;
}


/*
 * Up to max_batch queued ops become the batch, in the order they came;
 * later ones wait for the next.  Returns how many it took.
 */
static ngx_uint_t
ngx_http_campaign_writer_take(ngx_http_campaign_writer_t *w, ngx_log_t *log)
{
    ngx_uint_t    n;
    ngx_queue_t  *q;

    ngx_http_campaign_writer_lock(w, log);

    for (n = 0; n < w->max_batch && !ngx_queue_empty(&w->queue); n++) {
        q = ngx_queue_head(&w->queue);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&w->batch, q);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "campaign writer: a batch of %ui, %s waiting",
                   n, ngx_queue_empty(&w->queue) ? "none" : "more");

    ngx_http_campaign_writer_unlock(w, log);

    return n;
}


/* the monotonic clock in microseconds: where a batch's time goes */
static uint64_t
ngx_http_campaign_writer_usec(void)
{
    struct timespec  ts;

    (void) clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/* the queue is shared with the thread only while a batch is in the pool */
static void
ngx_http_campaign_writer_lock(ngx_http_campaign_writer_t *w, ngx_log_t *log)
{
#if (NGX_THREADS)
    if (w->mutex_ok) {
        (void) ngx_thread_mutex_lock(&w->mutex, log);
    }
#endif
}


static void
ngx_http_campaign_writer_unlock(ngx_http_campaign_writer_t *w,
    ngx_log_t *log)
{
#if (NGX_THREADS)
    if (w->mutex_ok) {
        (void) ngx_thread_mutex_unlock(&w->mutex, log);
    }
#endif
}


/* back on the event loop: answer every request of the batch */
static void
ngx_http_campaign_writer_finish(ngx_http_campaign_writer_t *w)
{
    ngx_int_t                 rc;
    ngx_queue_t              *q;
    ngx_connection_t         *c;
    ngx_http_request_t       *r;
    ngx_http_campaign_ctx_t  *ctx;

    /* the thread is done with the store: a remap is safe if none else */
    w->busy = 0;

    q = ngx_queue_head(&w->batch);
    ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);

    ngx_http_campaign_writer_again(w, ctx->request->connection->log);

    while (!ngx_queue_empty(&w->batch)) {
        q = ngx_queue_head(&w->batch);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);
        r = ctx->request;
        c = r->connection;

        r->main->blocked--;
        r->aio = 0;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                       "campaign writer: committed, answering %i",
                       (ngx_int_t) ctx->op.status);

        rc = ngx_http_campaign_send_op(r, ctx);
        ngx_http_finalize_request(r, rc);
        ngx_http_run_posted_requests(c);
    }

    ngx_http_campaign_writer_start(w);

    if (!w->busy && ngx_queue_empty(&w->queue) && w->guard.timer_set) {
        ngx_del_timer(&w->guard);
    }
}


/*
 * The batch's writes that the map's size refused run once more, first in
 * the next batch, when the map turns out larger in another process (its
 * max_size, or nginx reloaded with a larger one): one 507 or 503 less for
 * each client, instead of 507s until a restart.
 */
static void
ngx_http_campaign_writer_again(ngx_http_campaign_writer_t *w,
    ngx_log_t *log)
{
    ngx_queue_t              *q, *next, again;
    ngx_http_campaign_ctx_t  *ctx;

    if (ngx_http_campaign_store_adopt(log) != NGX_OK) {
        return;
    }

    ngx_queue_init(&again);

    for (q = ngx_queue_head(&w->batch);
         q != ngx_queue_sentinel(&w->batch);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_campaign_ctx_t, queue);

        if (!ctx->op.map || ctx->map_retried) {
            continue;
        }

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ctx->request->connection->log, 0,
                       "campaign writer: refused for the map, runs again");

        cmp_op_reset(&ctx->op);
        ctx->map_retried = 1;

        ngx_queue_remove(q);
        ngx_queue_insert_tail(&again, q);
    }

    /* ahead of what queued meanwhile, in the order they came */
    while (!ngx_queue_empty(&again)) {
        q = ngx_queue_last(&again);
        ngx_queue_remove(q);
        ngx_queue_insert_head(&w->queue, q);
    }
}
