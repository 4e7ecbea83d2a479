
/*
 * Reads answered on the event loop: LMDB readers never wait for a writer,
 * so a GET is a renew of the worker's read txn, a copy, and a reset.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_json.h"


#define NGX_HTTP_CAMPAIGN_LIMIT_DEFAULT   50
#define NGX_HTTP_CAMPAIGN_LIMIT_MAX       1000

/* campaignd writes a heartbeat every second; older than this is dead */
#define NGX_HTTP_CAMPAIGN_HEARTBEAT_TTL   10


typedef struct {
    ngx_http_campaign_text_t   text;
    ngx_uint_t                 limit;
    ngx_uint_t                 count;
    ngx_uint_t                 refused;     /* read and not a match */
    uint64_t                   last_seq;
    ngx_uint_t                 more;
    ngx_int_t                  error;
    ngx_http_campaign_match_pt match;
    void                      *match_data;
} ngx_http_campaign_list_t;


static int ngx_http_campaign_list_visit(void *data, const char *id,
    size_t id_len, const cmp_record_t *rec);


cmp_txn_t *
ngx_http_campaign_read_begin(ngx_http_request_t *r)
{
    int                             rc;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    /* a failure is logged at crit by the store (store_fail) */
    rc = cmp_store_txn_renew(&mcf->store, mcf->read_txn);

    /* another process's data passed our map: adopt its size, if safe */
    if (rc == CMP_MAP_RESIZED
        && ngx_http_campaign_store_adopt(r->connection->log) == NGX_OK)
    {
        rc = cmp_store_txn_renew(&mcf->store, mcf->read_txn);
    }

    if (rc != 0) {
        return NULL;
    }

    return mcf->read_txn;
}


void
ngx_http_campaign_read_end(ngx_http_request_t *r)
{
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    cmp_txn_reset(mcf->read_txn);
}


ngx_int_t
ngx_http_campaign_read_record(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char                         *p;
    int                             rc;
    cmp_txn_t                      *txn;
    cmp_record_t                    rec;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_record_get(&mcf->store, txn, ctx->route->kind,
                        (char *) ctx->id.data, ctx->id.len, &rec);

    if (rc != 0) {
        ngx_http_campaign_read_end(r);

        if (rc == CMP_NOTFOUND) {
            return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                       "not_found", NULL, "no %s \"%V\"",
                       ctx->route->kind->singular, &ctx->id);
        }

        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    p = ngx_pnalloc(r->pool, rec.len);
    if (p == NULL) {
        ngx_http_campaign_read_end(r);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, rec.json, rec.len);
    ngx_http_campaign_read_end(r);

    return ngx_http_campaign_send(r, NGX_HTTP_OK, p, rec.len, rec.version);
}


/* the page size of every list: limit=1..1000, default 50 */
ngx_int_t
ngx_http_campaign_limit_arg(ngx_http_request_t *r, ngx_uint_t *limit)
{
    ngx_int_t  n;
    ngx_str_t  value;

    *limit = NGX_HTTP_CAMPAIGN_LIMIT_DEFAULT;

    if (ngx_http_arg(r, (u_char *) "limit", 5, &value) != NGX_OK) {
        return NGX_OK;
    }

    n = ngx_atoi(value.data, value.len);

    if (n < 1 || n > NGX_HTTP_CAMPAIGN_LIMIT_MAX) {
        return NGX_ERROR;
    }

    *limit = n;

    return NGX_OK;
}


/*
 * limit and cursor of every list; the cursor is the creation sequence of
 * the last item sent, so items created between pages never shift a page.
 */
ngx_int_t
ngx_http_campaign_page_args(ngx_http_request_t *r, ngx_uint_t *limit,
    uint64_t *before, const char **field, const char **message)
{
    ngx_str_t   value;
    ngx_int_t   n;
    ngx_uint_t  i;

    *before = 0;

    if (ngx_http_campaign_limit_arg(r, limit) != NGX_OK) {
        *field = "limit";
        *message = "limit must be an integer from 1 to 1000";
        return NGX_DECLINED;
    }

    if (ngx_http_arg(r, (u_char *) "cursor", 6, &value) == NGX_OK) {
        n = (value.len == 16) ? ngx_hextoi(value.data, 16) : NGX_ERROR;

        for (i = 0; i < value.len && n != NGX_ERROR; i++) {
            if (value.data[i] >= 'A' && value.data[i] <= 'F') {
                n = NGX_ERROR;
            }
        }

        if (n == NGX_ERROR || n == 0) {
            *field = "cursor";
            *message = "cursor is not one this API gave out";
            return NGX_DECLINED;
        }

        *before = (uint64_t) n;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_campaign_page_start(ngx_http_request_t *r,
    ngx_http_campaign_text_t *text)
{
    if (ngx_http_campaign_text_init(text, r->pool, 4096) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_campaign_text_add(text, (u_char *) "{\"items\":[",
                                      sizeof("{\"items\":[") - 1);
}


/* one item of a page: a stored record, as it is */
ngx_int_t
ngx_http_campaign_page_item(ngx_http_campaign_text_t *text, ngx_uint_t n,
    const char *json, size_t len)
{
    if (n > 0
        && ngx_http_campaign_text_add(text, (u_char *) ",", 1) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_campaign_text_add(text, (u_char *) json, len);
}


ngx_int_t
ngx_http_campaign_page_send(ngx_http_request_t *r,
    ngx_http_campaign_text_t *text, ngx_uint_t more, uint64_t last_seq)
{
    u_char  buf[sizeof("],\"next_cursor\":\"\"}") + 16];
    size_t  n;

    if (more) {
        n = ngx_sprintf(buf, "],\"next_cursor\":\"%016uxL\"}", last_seq)
            - buf;

    } else {
        n = ngx_sprintf(buf, "],\"next_cursor\":null}") - buf;
    }

    if (ngx_http_campaign_text_add(text, buf, n) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_campaign_send(r, NGX_HTTP_OK, text->start,
                                  text->last - text->start, 0);
}


/*
 * A record a list's filter refused: 1 when it is the page's
 * NGX_HTTP_CAMPAIGN_SCAN_MAX-th, and the page ends with a cursor after it.
 */
int
ngx_http_campaign_page_refuse(ngx_uint_t *refused, uint64_t seq,
    uint64_t *last_seq, ngx_uint_t *more)
{
    if (++*refused < NGX_HTTP_CAMPAIGN_SCAN_MAX) {
        return 0;
    }

    *last_seq = seq;
    *more = 1;

    return 1;
}

/* newest first, any kind of record */
ngx_int_t
ngx_http_campaign_read_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    return ngx_http_campaign_read_list_match(r, ctx, NULL, NULL);
}


/* newest first, only the records match() accepts, when it is given */
ngx_int_t
ngx_http_campaign_read_list_match(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_http_campaign_match_pt match,
    void *data)
{
    int                             rc;
    cmp_txn_t                      *txn;
    uint64_t                        before;
    const char                     *field, *message;
    ngx_http_campaign_list_t        list;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    ngx_memzero(&list, sizeof(ngx_http_campaign_list_t));

    list.match = match;
    list.match_data = data;

    if (ngx_http_campaign_page_args(r, &list.limit, &before, &field,
                                    &message)
        != NGX_OK)
    {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_argument", field,
                                            "%s", message);
    }

    if (ngx_http_campaign_page_start(r, &list.text) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_record_list(&mcf->store, txn, ctx->route->kind, before,
                         ngx_http_campaign_list_visit, &list);

    ngx_http_campaign_read_end(r);

    if (list.error) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(rc));
    }

    return ngx_http_campaign_page_send(r, &list.text, list.more,
                                       list.last_seq);
}


static int
ngx_http_campaign_list_visit(void *data, const char *id, size_t id_len,
    const cmp_record_t *rec)
{
    ngx_http_campaign_list_t *list = data;

    if (list->match != NULL && !list->match(list->match_data, rec)) {
        return ngx_http_campaign_page_refuse(&list->refused, rec->seq,
                                             &list->last_seq, &list->more);
    }

    if (list->count == list->limit) {
        list->more = 1;
        return 1;
    }

    if (ngx_http_campaign_page_item(&list->text, list->count, rec->json,
                                    rec->len)
        != NGX_OK)
    {
        list->error = 1;
        return 1;
    }

    list->count++;
    list->last_seq = rec->seq;

    return 0;
}


ngx_int_t
ngx_http_campaign_read_health(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char                         *p, *last;
    int                             rc;
    size_t                          used, max;
    cmp_txn_t                      *txn;
    uint64_t                        beat;
    ngx_str_t                       arg;
    cmp_campaignd_meta_t            cd;
    ngx_uint_t                      alive, required;
    char                            when[CMP_TIME_LEN + 1];
    ngx_http_campaign_loc_conf_t   *lcf;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    /*
     * ?scheduler=required makes a stale campaignd a 503, for probes that
     * see only the status code (a load balancer, systemd, Kubernetes)
     */
    required = 0;

    switch (ngx_http_campaign_query_arg(r, "scheduler", 0, &arg)) {

    case NGX_OK:
        if (arg.len != sizeof("required") - 1
            || ngx_strncmp(arg.data, "required", arg.len) != 0)
        {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "invalid_argument", "scheduler",
                       "scheduler must be \"required\"");
        }

        required = 1;
        break;

    case NGX_DECLINED:
        break;

    case NGX_ABORT:
        return ngx_http_campaign_arg_refused(r, "scheduler");

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_meta_campaignd(&mcf->store, txn, &cd);
    ngx_http_campaign_read_end(r);

    if (rc != 0) {
        ngx_memzero(&cd, sizeof(cmp_campaignd_meta_t));
    }

    beat = cd.heartbeat;

    cmp_store_usage(&mcf->store, &used, &max);

    alive = (beat != 0
             && (uint64_t) ngx_time() < beat + NGX_HTTP_CAMPAIGN_HEARTBEAT_TTL);

    p = ngx_pnalloc(r->pool, 512);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = p;

    if (beat) {
        cmp_time_format((int64_t) beat, when);
    }

    /*
     * "api.write" tells a client (the console) whether this location takes
     * writes, so that it can disable its controls instead of failing later;
     * "scheduler.last_error" why campaignd cannot go on, in its words
     */
    last = ngx_sprintf(last, "{\"store\":{\"ok\":true,"
                       "\"used_bytes\":%uz,\"max_bytes\":%uz},"
                       "\"scheduler\":{\"alive\":%s,"
                       "\"last_heartbeat\":%s%s%s,\"last_error\":",
                       used, max, alive ? "true" : "false",
                       beat ? "\"" : "", beat ? when : "null",
                       beat ? "\"" : "");

    if (cd.store_full) {
        cmp_time_format((int64_t) cd.store_full, when);
        last = ngx_sprintf(last, "\"storage_full: campaignd finds the store "
                           "full since %s and retries by itself; raise "
                           "max_size or delete data\"", when);

    } else {
        last = ngx_cpymem(last, "null", 4);
    }

    last = ngx_sprintf(last, "},\"api\":{\"write\":%s}}",
                       lcf->write ? "true" : "false");
    rc = last - p;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "campaign health: scheduler alive:%ui required:%ui",
                   alive, required);

    return ngx_http_campaign_send(r, (required && !alive)
                                     ? NGX_HTTP_SERVICE_UNAVAILABLE
                                     : NGX_HTTP_OK, p, rc, 0);
}


/*
 * A query argument, %-decoded; "+" means a space only where plus_space
 * (names), since ?phone=+86... must keep its plus. NGX_DECLINED when it is
 * absent, NGX_ABORT when it is no UTF-8: every list refuses that alike
 * (ngx_http_campaign_arg_refused()), since nothing stored could match it.
 */
ngx_int_t
ngx_http_campaign_query_arg(ngx_http_request_t *r, const char *name,
    ngx_uint_t plus_space, ngx_str_t *value)
{
    u_char     *src, *dst;
    ngx_str_t   raw;
    ngx_uint_t  i;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &raw) != NGX_OK) {
        return NGX_DECLINED;
    }

    value->data = ngx_pnalloc(r->pool, raw.len + 1);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(value->data, raw.data, raw.len);

    if (plus_space) {
        for (i = 0; i < raw.len; i++) {
            if (value->data[i] == '+') {
                value->data[i] = ' ';
            }
        }
    }

    src = value->data;
    dst = value->data;

    ngx_unescape_uri(&dst, &src, raw.len, 0);

    value->len = dst - value->data;
    *dst = '\0';

    if (!cmp_utf8_valid((char *) value->data, value->len)) {
        return NGX_ABORT;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_campaign_arg_refused(ngx_http_request_t *r, const char *name)
{
    return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid_argument", name,
                                        "%s is not valid UTF-8", name);
}



ngx_int_t
ngx_http_campaign_text_init(ngx_http_campaign_text_t *t, ngx_pool_t *pool,
    size_t size)
{
    t->start = ngx_pnalloc(pool, size);
    if (t->start == NULL) {
        return NGX_ERROR;
    }

    t->last = t->start;
    t->end = t->start + size;
    t->pool = pool;

    return NGX_OK;
}


ngx_int_t
ngx_http_campaign_text_add(ngx_http_campaign_text_t *t, const u_char *data,
    size_t len)
{
    u_char  *p;
    size_t   size;

    if ((size_t) (t->end - t->last) < len) {
        size = (t->end - t->start) * 2;

        while (size - (t->last - t->start) < len) {
            size *= 2;
        }

        p = ngx_pnalloc(t->pool, size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        t->last = ngx_cpymem(p, t->start, t->last - t->start);
        t->start = p;
        t->end = p + size;
    }

    t->last = ngx_cpymem(t->last, data, len);

    return NGX_OK;
}
