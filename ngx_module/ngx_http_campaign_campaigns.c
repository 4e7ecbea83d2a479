
/*
 * /campaigns: the console's marketing activities.  Lists filter on the
 * status index without reading records; stats read counters, never
 * messages; writes are shared/cmp_campaign.c's state machine.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_campaign.h"
#include "cmp_counter.h"
#include "cmp_funnel.h"
#include "cmp_message.h"


typedef struct {
    ngx_http_campaign_text_t   text;
    cmp_store_t               *store;
    cmp_txn_t                 *txn;
    ngx_str_t                  name;        /* folded */
    ngx_str_t                  flow_id;
    ngx_str_t                  group_id;
    ngx_uint_t                 limit;
    ngx_uint_t                 count;
    ngx_uint_t                 refused;     /* read and not a match */
    ngx_uint_t                 more;
    uint64_t                   last_seq;
    ngx_int_t                  error;
} ngx_http_campaign_filter_t;


typedef struct {
    json_t                    *totals;
    json_t                    *runs;
    json_t                    *run;
    uint32_t                   run_no;
} ngx_http_campaign_stats_t;


/*
 * A status filter on a store whose status index is not built yet (one
 * from before it, until campaignd's backfill ends) scans the ledger,
 * NGX_HTTP_CAMPAIGN_SCAN_MAX records a request at most.
 */
typedef struct {
    ngx_http_campaign_key_page_t   page;
    ngx_str_t                      status;
    ngx_uint_t                     read;
    ngx_uint_t                     bounded;    /* the scan, not the index */
} ngx_http_campaign_messages_t;


static ngx_int_t ngx_http_campaign_list_campaigns(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static int ngx_http_campaign_filter_visit(void *data,
    const cmp_campaign_entry_t *e);
static ngx_int_t ngx_http_campaign_stats(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static int ngx_http_campaign_stats_visit(void *data, uint32_t run,
    const char *name, size_t name_len, uint64_t value);
static json_t *ngx_http_campaign_stats_skips(void);
static ngx_int_t ngx_http_campaign_messages(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static int ngx_http_campaign_messages_visit(void *data,
    const unsigned char *key, size_t key_len, const char *json, size_t len);
static ngx_int_t ngx_http_campaign_exists(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, cmp_txn_t *txn, json_t **record);


ngx_http_campaign_route_t  ngx_http_campaign_campaign_routes[] = {

    ngx_http_campaign_route("campaigns", "", 0, NGX_HTTP_GET|NGX_HTTP_HEAD,
                            0, ngx_http_campaign_list_campaigns, NULL,
                            &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_campaign_create, &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "", 1, NGX_HTTP_GET|NGX_HTTP_HEAD,
                            0, ngx_http_campaign_read_record, NULL,
                            &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "", 1, NGX_HTTP_PATCH,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_campaign_update, &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "", 1, NGX_HTTP_DELETE, 0, NULL,
                            cmp_campaign_delete, &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "suspend", 1, NGX_HTTP_POST, 0,
                            NULL, cmp_campaign_suspend, &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "stats", 1,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_stats, NULL,
                            &cmp_kind_campaigns),

    ngx_http_campaign_route("campaigns", "messages", 1,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_messages, NULL,
                            &cmp_kind_campaigns),

    ngx_http_campaign_null_route
};


static ngx_int_t
ngx_http_campaign_list_campaigns(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char                         *p, *last, *start;
    int                             rc, status;
    unsigned                        statuses;
    uint64_t                        before;
    ngx_int_t                       n;
    ngx_str_t                       value;
    ngx_uint_t                      i;
    const char                     *field, *message;
    ngx_http_campaign_filter_t      f;
    static const char              *names[] = { "name", "flow_id",
                                                "group_id" };
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    ngx_memzero(&f, sizeof(ngx_http_campaign_filter_t));

    if (ngx_http_campaign_page_args(r, &f.limit, &before, &field, &message)
        != NGX_OK)
    {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_argument", field,
                                            "%s", message);
    }

    statuses = (1u << CMP_CAMPAIGN_NSTATUS) - 1;

    n = ngx_http_campaign_query_arg(r, "status", 1, &value);

    if (n == NGX_ABORT) {
        return ngx_http_campaign_arg_refused(r, "status");
    }

    if (n == NGX_OK) {
        statuses = 0;
        p = value.data;
        last = p + value.len;

        while (p <= last) {
            start = p;

            while (p < last && *p != ',') {
                p++;
            }

            status = cmp_campaign_status_parse((char *) start, p - start);

            if (status < 0) {
                return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                           "invalid_argument", "status",
                           "status must be pending, running, paused or "
                           "completed, or a comma list of them");
            }

            statuses |= 1u << status;
            p++;
        }
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        n = ngx_http_campaign_query_arg(r, names[i], 1,
                                        i == 0 ? &f.name
                                        : i == 1 ? &f.flow_id : &f.group_id);
        if (n == NGX_ABORT) {
            return ngx_http_campaign_arg_refused(r, names[i]);
        }

        if (n == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (f.name.len) {
        cmp_fold((char *) f.name.data, (char *) f.name.data, f.name.len);
    }

    if (ngx_http_campaign_page_start(r, &f.text) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    f.txn = ngx_http_campaign_read_begin(r);
    if (f.txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    f.store = &mcf->store;

    rc = cmp_campaign_scan(&mcf->store, f.txn, statuses, before,
                           ngx_http_campaign_filter_visit, &f);

    ngx_http_campaign_read_end(r);

    if (f.error) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    return ngx_http_campaign_page_send(r, &f.text, f.more, f.last_seq);
}


/*
 * Filters combine with AND; only a match is read from its record.  A
 * rare match ends the page after NGX_HTTP_CAMPAIGN_SCAN_MAX refused
 * entries, its cursor after the last of them.
 */
static int
ngx_http_campaign_filter_visit(void *data, const cmp_campaign_entry_t *e)
{
    ngx_http_campaign_filter_t *f = data;

    cmp_record_t  rec;

    if ((f->flow_id.len
         && (f->flow_id.len != e->flow_id_len
             || ngx_strncmp(f->flow_id.data, e->flow_id, e->flow_id_len)
                != 0))
        || (f->group_id.len
            && (f->group_id.len != e->group_id_len
                || ngx_strncmp(f->group_id.data, e->group_id,
                               e->group_id_len)
                   != 0))
        || (f->name.len
            && ngx_strlcasestrn((u_char *) e->folded_name,
                                (u_char *) e->folded_name
                                + e->folded_name_len,
                                f->name.data, f->name.len - 1)
               == NULL))
    {
        return ngx_http_campaign_page_refuse(&f->refused, e->seq,
                                             &f->last_seq, &f->more);
    }

    if (f->count == f->limit) {
        f->more = 1;
        return 1;
    }

    if (cmp_record_get(f->store, f->txn, &cmp_kind_campaigns, e->id,
                       e->id_len, &rec)
        != 0
        || ngx_http_campaign_page_item(&f->text, f->count, rec.json, rec.len)
           != NGX_OK)
    {
        f->error = 1;
        return 1;
    }

    f->count++;
    f->last_seq = e->seq;

    return 0;
}


static ngx_int_t
ngx_http_campaign_exists(ngx_http_request_t *r, ngx_http_campaign_ctx_t *ctx,
    cmp_txn_t *txn, json_t **record)
{
    int                             rc;
    char                            err[64];
    cmp_record_t                    rec;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    rc = cmp_record_get(&mcf->store, txn, &cmp_kind_campaigns,
                        (char *) ctx->id.data, ctx->id.len, &rec);

    if (rc == CMP_NOTFOUND) {
        return NGX_DECLINED;
    }

    if (rc != 0) {
        return NGX_ERROR;
    }

    if (record != NULL) {
        *record = cmp_json_parse(rec.json, rec.len, err, sizeof(err));
        if (*record == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Counters only: run 0 holds the totals, every other run its own; the
 * answer costs the same for ten contacts as for ten million.
 */
static ngx_int_t
ngx_http_campaign_stats(ngx_http_request_t *r, ngx_http_campaign_ctx_t *ctx)
{
    int                             rc;
    size_t                          i;
    json_t                         *campaign, *out;
    cmp_txn_t                      *txn;
    ngx_int_t                       found;
    ngx_http_campaign_stats_t       s;
    ngx_http_campaign_main_conf_t  *mcf;
    static const char              *names[] = {
        "targeted", "queued", "sent", "delivered", "read", "failed",
        "replied", "skipped", "possible_duplicates"
    };

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    campaign = NULL;
    found = ngx_http_campaign_exists(r, ctx, txn, &campaign);

    if (found != NGX_OK) {
        ngx_http_campaign_read_end(r);

        if (found == NGX_DECLINED) {
            return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                       "not_found", NULL, "no campaign \"%V\"", &ctx->id);
        }

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s.totals = json_object();
    s.runs = json_array();
    s.run = NULL;
    s.run_no = 0;

    json_object_set(s.totals, "runs", json_object_get(campaign, "runs"));

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_object_set_new(s.totals, names[i], json_integer(0));
    }

    json_object_set_new(s.totals, "skipped_by_reason",
                        ngx_http_campaign_stats_skips());
    json_object_set(s.totals, "missed_runs",
                    json_object_get(campaign, "missed_runs"));
    json_decref(campaign);

    rc = cmp_counter_scan(&mcf->store, txn, (char *) ctx->id.data,
                          ctx->id.len, ngx_http_campaign_stats_visit, &s);

    ngx_http_campaign_read_end(r);

    json_object_set_new(s.totals, "by_run", s.runs);
    out = s.totals;

    if (rc != 0) {
        json_decref(out);
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    return ngx_http_campaign_send_json(r, NGX_HTTP_OK, out, 0);
}


static int
ngx_http_campaign_stats_visit(void *data, uint32_t run, const char *name,
    size_t name_len, uint64_t value)
{
    ngx_http_campaign_stats_t *s = data;

    char     key[64], when[CMP_TIME_LEN + 1];
    json_t  *target;

    if (name_len >= sizeof(key)) {
        return 0;
    }

    ngx_memcpy(key, name, name_len);
    key[name_len] = '\0';

    if (run == CMP_COUNTER_TOTAL) {
        target = s->totals;

    } else {
        if (s->run == NULL || s->run_no != run) {
            s->run = json_pack("{s:i, s:o}", "run", (int) run,
                               "skipped_by_reason",
                               ngx_http_campaign_stats_skips());
            s->run_no = run;
            json_array_append_new(s->runs, s->run);
        }

        target = s->run;
    }

    if (ngx_strncmp(key, CMP_FUNNEL_SKIPPED, sizeof(CMP_FUNNEL_SKIPPED) - 1)
        == 0)
    {
        json_object_set_new(json_object_get(target, "skipped_by_reason"),
                            key + sizeof(CMP_FUNNEL_SKIPPED) - 1,
                            json_integer((json_int_t) value));

    } else if (ngx_strcmp(key, "fired_at") == 0) {
        cmp_time_format((int64_t) value, when);
        json_object_set_new(target, key, json_string(when));

    } else {
        json_object_set_new(target, key, json_integer((json_int_t) value));
    }

    return 0;
}


/* every reason, 0 until a skip of it is counted */
static json_t *
ngx_http_campaign_stats_skips(void)
{
    json_t      *skips;
    ngx_uint_t   i;

    skips = json_object();

    for (i = 0; i < CMP_SKIP_NREASONS; i++) {
        json_object_set_new(skips, cmp_skip_reasons[i], json_integer(0));
    }

    return skips;
}


/* the ledger, in run order; the cursor is the last message's key */
static ngx_int_t
ngx_http_campaign_messages(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    int                             rc;
    size_t                          after_len;
    cmp_txn_t                      *txn;
    uint32_t                        run;
    ngx_int_t                       n, found;
    ngx_str_t                       value;
    const char                     *field, *message;
    u_char                          after[CMP_MESSAGE_KEY_MAX];
    ngx_http_campaign_messages_t    m;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    ngx_memzero(&m, sizeof(ngx_http_campaign_messages_t));

    n = ngx_http_campaign_key_page_args(r, &m.page, after, sizeof(after),
                                        &after_len, &field, &message);
    if (n == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (n != NGX_OK) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_argument", field,
                                            "%s", message);
    }

    run = 0;

    n = ngx_http_campaign_query_arg(r, "run", 0, &value);

    if (n == NGX_ABORT) {
        return ngx_http_campaign_arg_refused(r, "run");
    }

    if (n == NGX_OK) {
        n = ngx_atoi(value.data, value.len);

        if (n < 1 || n > 0x7fffffff) {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "invalid_argument", "run",
                       "run must be a positive integer");
        }

        run = (uint32_t) n;
    }

    n = ngx_http_campaign_query_arg(r, "status", 0, &m.status);

    if (n == NGX_ABORT) {
        return ngx_http_campaign_arg_refused(r, "status");
    }

    /* ngx_http_campaign_query_arg() ends the value with a NUL */
    if (n == NGX_OK && cmp_message_rank((char *) m.status.data) < 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "invalid_argument", "status",
                   "status must be queued, sending, sent, delivered, read, "
                   "failed or skipped");
    }

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    found = ngx_http_campaign_exists(r, ctx, txn, NULL);

    if (found != NGX_OK) {
        ngx_http_campaign_read_end(r);

        if (found == NGX_DECLINED) {
            return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                       "not_found", NULL, "no campaign \"%V\"", &ctx->id);
        }

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (m.status.len == 0) {
        rc = cmp_message_scan(&mcf->store, txn, (char *) ctx->id.data,
                              ctx->id.len, run, after_len ? after : NULL,
                              after_len, ngx_http_campaign_messages_visit,
                              &m);

    } else if (cmp_message_status_ready(&mcf->store, txn)) {
        rc = cmp_message_status_scan(&mcf->store, txn,
                                     (char *) ctx->id.data, ctx->id.len,
                                     (char *) m.status.data, run,
                                     after_len ? after : NULL, after_len,
                                     ngx_http_campaign_messages_visit, &m);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "campaign messages: status \"%V\" from the index, "
                       "%ui record(s) read", &m.status, m.read);

    } else {
        m.bounded = 1;

        rc = cmp_message_scan(&mcf->store, txn, (char *) ctx->id.data,
                              ctx->id.len, run, after_len ? after : NULL,
                              after_len, ngx_http_campaign_messages_visit,
                              &m);

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "campaign messages: status \"%V\" by a scan (the "
                       "index is being built), %ui record(s) read",
                       &m.status, m.read);
    }

    ngx_http_campaign_read_end(r);

    return ngx_http_campaign_key_page_send(r, rc, &m.page.text,
                                           m.page.error, m.page.more,
                                           m.page.last, m.page.last_len);
}


static int
ngx_http_campaign_messages_visit(void *data, const unsigned char *key,
    size_t key_len, const char *json, size_t len)
{
    ngx_http_campaign_messages_t *m = data;

    u_char  pattern[64];
    size_t  n;

    m->read++;

    /* the index lists that status only; the check is the scan's filter */
    if (m->status.len) {
        n = ngx_snprintf(pattern, sizeof(pattern), "\"status\":\"%V\"",
                         &m->status) - pattern;

        if (ngx_strlcasestrn((u_char *) json, (u_char *) json + len,
                             pattern, n - 1) == NULL)
        {
            if (m->bounded && m->read >= NGX_HTTP_CAMPAIGN_SCAN_MAX) {
                /* the next page goes on after this record */
                m->page.more = 1;
                ngx_memcpy(m->page.last, key, key_len);
                m->page.last_len = key_len;
                return 1;
            }

            return 0;
        }
    }

    if (m->page.count == m->page.limit) {
        m->page.more = 1;
        return 1;
    }

    if (ngx_http_campaign_page_item(&m->page.text, m->page.count, json,
                                    len)
        != NGX_OK)
    {
        m->page.error = 1;
        return 1;
    }

    m->page.count++;
    ngx_memcpy(m->page.last, key, key_len);
    m->page.last_len = key_len;

    return 0;
}
