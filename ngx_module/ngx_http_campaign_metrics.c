
/*
 * Prometheus text exposition: totals from the store's counters, gauges,
 * and API answers counted by all workers in a shared memory zone.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_campaign.h"
#include "cmp_counter.h"
#include "cmp_funnel.h"
#include "cmp_provider.h"


#define NGX_HTTP_CAMPAIGN_METRICS_NSTAGE    6
#define NGX_HTTP_CAMPAIGN_METRICS_NSTATUS   7


/* one per status class (index 0: anything outside 1xx-5xx) */
typedef struct {
    ngx_atomic_t    api[6];
    /* by cmp_provider_index() */
    ngx_atomic_t    webhook[CMP_PROVIDER_MAX][6];

    /* the writers' group commit (writer.c), times in microseconds */
    ngx_atomic_t    commits;
    ngx_atomic_t    commit_writes;
    ngx_atomic_t    lock_wait_us;
    ngx_atomic_t    write_us;
    ngx_atomic_t    commit_us;
} ngx_http_campaign_metrics_shm_t;


typedef struct {
    uint64_t        stages[NGX_HTTP_CAMPAIGN_METRICS_NSTAGE];
    uint64_t        messages[NGX_HTTP_CAMPAIGN_METRICS_NSTATUS];
    uint64_t        campaigns[CMP_CAMPAIGN_NSTATUS];
} ngx_http_campaign_metrics_t;


static ngx_int_t ngx_http_campaign_metrics_handler(ngx_http_request_t *r);
static int ngx_http_campaign_metrics_counter(void *data, uint32_t run,
    const char *name, size_t name_len, uint64_t value);
static ngx_uint_t ngx_http_campaign_metrics_find(const char **names,
    ngx_uint_t n, const char *name, size_t len);
static int ngx_http_campaign_metrics_campaign(void *data,
    const cmp_campaign_entry_t *entry);
static ngx_int_t ngx_http_campaign_metrics_zone_init(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_http_campaign_metrics_log(ngx_http_request_t *r);
static u_char *ngx_http_campaign_metrics_commits(u_char *p, u_char *last,
    ngx_http_campaign_metrics_shm_t *m);
static u_char *ngx_http_campaign_metrics_seconds(u_char *p, u_char *last,
    const char *name, const char *help, ngx_atomic_uint_t us);


/* the funnel's counters (cmp_funnel.h): they only ever grow */
static const char  *ngx_http_campaign_metrics_stages[] = {
    "sent", "delivered", "read", "failed", "skipped", "replied"
};


/* the ledger's statuses, counted now ("status:" counters) */
static const char  *ngx_http_campaign_metrics_statuses[] = {
    "queued", "sending", "sent", "delivered", "read", "failed", "skipped"
};


/* campaign_metrics; */
char *
ngx_http_campaign_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_campaign_metrics_handler;

    ngx_http_campaign_need_store(cf);

    return NGX_CONF_OK;
}


/*
 * Called by campaign_store: the zone lives as long as the store does.
 * Its name carries the layout's version: a reload onto a build whose
 * layout differs gets a zone of its own instead of reading the old one
 * as the new (its counters start again, as after a restart).
 */
ngx_int_t
ngx_http_campaign_metrics_zone(ngx_conf_t *cf,
    ngx_http_campaign_main_conf_t *mcf)
{
    ngx_str_t  name = ngx_string("campaign_metrics_v2");

    mcf->metrics_zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                              &ngx_http_campaign_module);
    if (mcf->metrics_zone == NULL) {
        return NGX_ERROR;
    }

    mcf->metrics_zone->init = ngx_http_campaign_metrics_zone_init;

    return NGX_OK;
}


/* a reload keeps the old zone, so counts survive it */
static ngx_int_t
ngx_http_campaign_metrics_zone_init(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t                  *shpool;
    ngx_http_campaign_metrics_shm_t  *m;

    if (data != NULL) {
        zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    m = ngx_slab_calloc(shpool, sizeof(ngx_http_campaign_metrics_shm_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    shpool->data = m;
    zone->data = m;

    return NGX_OK;
}


/*
 * A committed batch of the writer, from its pool thread: atomics only,
 * as every worker's writer adds to the same zone.
 */
void
ngx_http_campaign_metrics_commit(ngx_shm_zone_t *zone, ngx_uint_t writes,
    uint64_t lock_wait_us, uint64_t write_us, uint64_t commit_us)
{
    ngx_http_campaign_metrics_shm_t  *m;

    if (zone == NULL || zone->data == NULL) {
        return;
    }

    m = zone->data;

    (void) ngx_atomic_fetch_add(&m->commits, 1);
    (void) ngx_atomic_fetch_add(&m->commit_writes, writes);
    (void) ngx_atomic_fetch_add(&m->lock_wait_us, lock_wait_us);
    (void) ngx_atomic_fetch_add(&m->write_us, write_us);
    (void) ngx_atomic_fetch_add(&m->commit_us, commit_us);
}


ngx_int_t
ngx_http_campaign_metrics_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_campaign_metrics_log;

    return NGX_OK;
}


static ngx_int_t
ngx_http_campaign_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                        cls, k;
    ngx_http_campaign_loc_conf_t     *lcf;
    ngx_http_campaign_main_conf_t    *mcf;
    ngx_http_campaign_metrics_shm_t  *m;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    if (lcf == NULL || (lcf->api != 1 && lcf->webhook == NULL)) {
        return NGX_OK;
    }

    if (lcf->webhook != NULL) {
        ngx_http_campaign_webhook_log(r);
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (mcf->metrics_zone == NULL || mcf->metrics_zone->data == NULL) {
        return NGX_OK;
    }

    m = mcf->metrics_zone->data;

    cls = r->headers_out.status / 100;

    if (cls < 1 || cls > 5) {
        cls = 0;
    }

    if (lcf->api == 1) {
        (void) ngx_atomic_fetch_add(&m->api[cls], 1);
    }

    k = (lcf->webhook != NULL) ? cmp_provider_index(lcf->webhook)
                               : CMP_PROVIDER_MAX;

    if (k < CMP_PROVIDER_MAX) {
        (void) ngx_atomic_fetch_add(&m->webhook[k][cls], 1);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_campaign_metrics_handler(ngx_http_request_t *r)
{
    u_char                           *p, *last, *start;
    int                               rc;
    cmp_txn_t                        *txn;
    size_t                            used, max;
    cmp_campaignd_meta_t              cd;
    ngx_int_t                         n;
    ngx_uint_t                        i, k;
    ngx_http_campaign_metrics_t       acc;
    ngx_http_campaign_main_conf_t    *mcf;
    ngx_http_campaign_metrics_shm_t  *m;
    static const char                *classes[] = {
        "other", "1xx", "2xx", "3xx", "4xx", "5xx"
    };

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    n = ngx_http_discard_request_body(r);
    if (n != NGX_OK) {
        return n;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (!mcf->store_ok) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL,
                   "the campaign store cannot be opened; see the error log");
    }

    ngx_memzero(&acc, sizeof(ngx_http_campaign_metrics_t));

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_counter_scan(&mcf->store, txn, CMP_COUNTER_ALL,
                          sizeof(CMP_COUNTER_ALL) - 1,
                          ngx_http_campaign_metrics_counter, &acc);

    if (rc == 0) {
        rc = cmp_campaign_scan(&mcf->store, txn,
                               (1u << CMP_CAMPAIGN_NSTATUS) - 1, 0,
                               ngx_http_campaign_metrics_campaign, &acc);
    }

    if (rc == 0) {
        rc = cmp_meta_campaignd(&mcf->store, txn, &cd);
    }

    ngx_http_campaign_read_end(r);

    if (rc != 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    cmp_store_usage(&mcf->store, &used, &max);

    p = ngx_pnalloc(r->pool, 8192);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = p + 8192;

    r->headers_out.content_type.data = p;
    r->headers_out.content_type.len = sizeof("text/plain; version=0.0.4") - 1;
    p = ngx_cpymem(p, "text/plain; version=0.0.4",
                   r->headers_out.content_type.len);
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    /* the body starts after the content type it shares the buffer with */
    r->headers_out.content_type_lowcase = NULL;

    start = p;

    p = ngx_slprintf(p, last,
            "# HELP campaign_messages_total Messages of all campaigns "
            "that reached each stage.\n"
            "# TYPE campaign_messages_total counter\n");

    for (i = 0; i < NGX_HTTP_CAMPAIGN_METRICS_NSTAGE; i++) {
        p = ngx_slprintf(p, last,
                         "campaign_messages_total{status=\"%s\"} %uL\n",
                         ngx_http_campaign_metrics_stages[i],
                         acc.stages[i]);
    }

    p = ngx_slprintf(p, last,
            "# HELP campaign_messages Messages of all campaigns in each "
            "status now.\n"
            "# TYPE campaign_messages gauge\n");

    for (i = 0; i < NGX_HTTP_CAMPAIGN_METRICS_NSTATUS; i++) {
        p = ngx_slprintf(p, last,
                         "campaign_messages{status=\"%s\"} %uL\n",
                         ngx_http_campaign_metrics_statuses[i],
                         acc.messages[i]);
    }

    p = ngx_slprintf(p, last,
            "# HELP campaign_campaigns Campaigns by status.\n"
            "# TYPE campaign_campaigns gauge\n");

    for (i = 0; i < CMP_CAMPAIGN_NSTATUS; i++) {
        p = ngx_slprintf(p, last,
                         "campaign_campaigns{status=\"%s\"} %uL\n",
                         cmp_campaign_statuses[i], acc.campaigns[i]);
    }

    p = ngx_slprintf(p, last,
            "# HELP campaign_store_used_bytes Bytes the store uses.\n"
            "# TYPE campaign_store_used_bytes gauge\n"
            "campaign_store_used_bytes %uz\n"
            "# HELP campaign_store_max_bytes The store's max_size.\n"
            "# TYPE campaign_store_max_bytes gauge\n"
            "campaign_store_max_bytes %uz\n"
            "# HELP campaign_scheduler_heartbeat_age_seconds Seconds "
            "since campaignd's last heartbeat.\n"
            "# TYPE campaign_scheduler_heartbeat_age_seconds gauge\n",
            used, max);

    if (cd.heartbeat == 0) {
        p = ngx_slprintf(p, last,
                         "campaign_scheduler_heartbeat_age_seconds "
                         "+Inf\n");

    } else {
        p = ngx_slprintf(p, last,
                         "campaign_scheduler_heartbeat_age_seconds %L\n",
                         (int64_t) ngx_time() - (int64_t) cd.heartbeat);
    }

    p = ngx_slprintf(p, last,
            "# HELP campaign_dispatch_in_flight Provider requests "
            "campaignd has in flight.\n"
            "# TYPE campaign_dispatch_in_flight gauge\n"
            "campaign_dispatch_in_flight %uL\n"
            "# HELP campaign_store_full 1 while campaignd finds the "
            "store full and backs off.\n"
            "# TYPE campaign_store_full gauge\n"
            "campaign_store_full %d\n",
            cd.in_flight, cd.store_full != 0);

    m = (mcf->metrics_zone != NULL) ? mcf->metrics_zone->data : NULL;

    p = ngx_http_campaign_metrics_commits(p, last, m);

    p = ngx_slprintf(p, last,
            "# HELP campaign_api_requests_total API answers by "
            "status class.\n"
            "# TYPE campaign_api_requests_total counter\n");

    for (i = 1; i < 6; i++) {
        p = ngx_slprintf(p, last,
                         "campaign_api_requests_total{code=\"%s\"} %uA\n",
                         classes[i], m ? m->api[i] : 0);
    }

    p = ngx_slprintf(p, last,
            "# HELP campaign_webhooks_total Provider callbacks by "
            "answer class.\n"
            "# TYPE campaign_webhooks_total counter\n");

    for (k = 0; cmp_providers[k] != NULL && k < CMP_PROVIDER_MAX; k++) {
        for (i = 2; i < 6; i++) {
            p = ngx_slprintf(p, last,
                             "campaign_webhooks_total{provider=\"%s\","
                             "code=\"%s\"} %uA\n",
                             cmp_providers[k]->name, classes[i],
                             m ? m->webhook[k][i] : 0);
        }
    }

    /* ngx_slprintf() stops at the end without a word: never half a page */
    if (p == last) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "campaign metrics: the exposition outgrew its buffer");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_campaign_send(r, NGX_HTTP_OK, start, p - start, 0);
}


/*
 * The writers' group commit: writes / commits is the batch, and the three
 * times say where a batch's time goes: waiting for the store's write lock
 * (another worker's or campaignd's transaction), running its writes, and
 * committing them (the pages written and synced to disk).
 */
static u_char *
ngx_http_campaign_metrics_commits(u_char *p, u_char *last,
    ngx_http_campaign_metrics_shm_t *m)
{
    p = ngx_slprintf(p, last,
            "# HELP campaign_store_commits_total Write transactions "
            "nginx's workers committed.\n"
            "# TYPE campaign_store_commits_total counter\n"
            "campaign_store_commits_total %uA\n"
            "# HELP campaign_store_commit_writes_total API and webhook "
            "writes those transactions carried, refused ones included.\n"
            "# TYPE campaign_store_commit_writes_total counter\n"
            "campaign_store_commit_writes_total %uA\n",
            m ? m->commits : 0, m ? m->commit_writes : 0);

    p = ngx_http_campaign_metrics_seconds(p, last,
            "campaign_store_write_lock_wait_seconds_total",
            "Time nginx's writers waited for the store's write lock.",
            m ? m->lock_wait_us : 0);

    p = ngx_http_campaign_metrics_seconds(p, last,
            "campaign_store_write_seconds_total",
            "Time nginx's writers ran writes inside their transactions.",
            m ? m->write_us : 0);

    return ngx_http_campaign_metrics_seconds(p, last,
            "campaign_store_commit_seconds_total",
            "Time nginx's writers spent committing: pages written and "
            "synced.",
            m ? m->commit_us : 0);
}


/*
 * A counter of microseconds as exact seconds, with no floating point.
 * On a 32-bit build ngx_atomic_t wraps after about 71 minutes of time
 * counted, which Prometheus reads as a counter's reset.
 */
static u_char *
ngx_http_campaign_metrics_seconds(u_char *p, u_char *last, const char *name,
    const char *help, ngx_atomic_uint_t us)
{
    return ngx_slprintf(p, last,
                        "# HELP %s %s\n"
                        "# TYPE %s counter\n"
                        "%s %uA.%06uA\n",
                        name, help, name, name, us / 1000000, us % 1000000);
}


static int
ngx_http_campaign_metrics_counter(void *data, uint32_t run,
    const char *name, size_t name_len, uint64_t value)
{
    ngx_http_campaign_metrics_t *acc = data;

    size_t      n;
    ngx_uint_t  i;

    if (run != CMP_COUNTER_TOTAL) {
        return 1;
    }

    n = sizeof(CMP_FUNNEL_STATUS) - 1;

    if (name_len > n && ngx_strncmp(name, CMP_FUNNEL_STATUS, n) == 0) {
        i = ngx_http_campaign_metrics_find(ngx_http_campaign_metrics_statuses,
                                           NGX_HTTP_CAMPAIGN_METRICS_NSTATUS,
                                           name + n, name_len - n);
        if (i < NGX_HTTP_CAMPAIGN_METRICS_NSTATUS) {
            acc->messages[i] = value;
        }

        return 0;
    }

    i = ngx_http_campaign_metrics_find(ngx_http_campaign_metrics_stages,
                                       NGX_HTTP_CAMPAIGN_METRICS_NSTAGE,
                                       name, name_len);
    if (i < NGX_HTTP_CAMPAIGN_METRICS_NSTAGE) {
        acc->stages[i] = value;
    }

    return 0;
}


static ngx_uint_t
ngx_http_campaign_metrics_find(const char **names, ngx_uint_t n,
    const char *name, size_t len)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (ngx_strlen(names[i]) == len
            && ngx_strncmp(names[i], name, len) == 0)
        {
            return i;
        }
    }

    /* not one of them */
    return n;
}


static int
ngx_http_campaign_metrics_campaign(void *data,
    const cmp_campaign_entry_t *entry)
{
    ngx_http_campaign_metrics_t *acc = data;

    if (entry->status >= 0 && entry->status < CMP_CAMPAIGN_NSTATUS) {
        acc->campaigns[entry->status]++;
    }

    return 0;
}
