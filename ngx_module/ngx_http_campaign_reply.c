
/*
 * JSON replies, and the filter that turns nginx's own error pages (413
 * from client_max_body_size, 400 from the parser, ...) into JSON errors.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"


static ngx_int_t ngx_http_campaign_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static const char *ngx_http_campaign_status_code(ngx_uint_t status);
static void ngx_http_campaign_log_refusal(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, u_char *msg, size_t len);

static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


ngx_int_t
ngx_http_campaign_send(ngx_http_request_t *r, ngx_uint_t status, u_char *body,
    size_t len, uint64_t version)
{
    u_char                   *p;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_chain_t               out;
    ngx_table_elt_t          *etag;
    ngx_http_campaign_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);
    if (ctx != NULL) {
        ctx->replying = 1;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;

    /* nginx has no reason phrase for 422; clients like to see one */
    if (status == 422) {
        ngx_str_set(&r->headers_out.status_line,
                    "422 Unprocessable Entity");
    }

    /*
     * If-Match on a write was already judged against the stored version;
     * the not_modified filter must not judge it again on the new ETag.
     */
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        r->disable_not_modified = 1;
    }

    /* a caller may have chosen another type (flow preview as DOT) */
    if (len > 0 && r->headers_out.content_type.len == 0) {
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    if (version > 0) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN + 2);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        etag = ngx_http_campaign_add_header(r, "ETag", p,
                   ngx_sprintf(p, "\"%uL\"", version) - p);
        if (etag == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* nginx's not_modified filter answers If-None-Match/If-Match GETs */
        r->headers_out.etag = etag;
    }

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* client mistakes are logged at info, as nginx core logs them */
ngx_int_t
ngx_http_campaign_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *field, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    json_t   *err;
    u_char    msg[512];

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    /* an id from the URI may be no UTF-8, which jansson would refuse */
    p = msg + cmp_utf8_repair((char *) msg, p - msg,
                              p == msg + sizeof(msg));

    ngx_http_campaign_log_refusal(r, status, code, msg, p - msg);

    err = json_pack("{s:{s:s, s:s%}}", "error", "code", code,
                    "message", msg, (size_t) (p - msg));
    if (err == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (field != NULL) {
        json_object_set_new(json_object_get(err, "error"), "field",
                            json_string(field));
    }

    return ngx_http_campaign_send_json(r, status, err, 0);
}



/*
 * A client's mistake is info, a server fault an error. A full store
 * refuses every write until someone acts: one line an interval, with the
 * count refused meanwhile, says as much as a line per request would.
 */
static void
ngx_http_campaign_log_refusal(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, u_char *msg, size_t len)
{
    time_t                          now;
    ngx_http_campaign_main_conf_t  *mcf;

    if (status < 500) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "campaign api: %ui %s: %*s", status, code, len, msg);
        return;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (status != NGX_HTTP_INSUFFICIENT_STORAGE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "campaign api: %ui %s: %*s", status, code, len, msg);
        return;
    }

    now = ngx_time();

    if (now < mcf->full_logged + NGX_HTTP_CAMPAIGN_FULL_LOG_EVERY) {
        mcf->full_refused++;
        return;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "campaign api: %ui %s: %*s; %ui more refused since this "
                  "was last logged (once in %d s); raise max_size",
                  status, code, len, msg, mcf->full_refused,
                  (int) NGX_HTTP_CAMPAIGN_FULL_LOG_EVERY);

    mcf->full_logged = now;
    mcf->full_refused = 0;
}


/* answers json (whose reference it takes), copied into the request pool */
ngx_int_t
ngx_http_campaign_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json, uint64_t version)
{
    u_char  *p;
    char    *dump;
    size_t   len;

    dump = (json != NULL) ? cmp_json_dump(json, &len) : NULL;
    json_decref(json);

    if (dump == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        free(dump);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, dump, len);
    free(dump);

    return ngx_http_campaign_send(r, status, p, len, version);
}


/* the answer of a write operation, after the writer committed it */
ngx_int_t
ngx_http_campaign_send_op(ngx_http_request_t *r, ngx_http_campaign_ctx_t *ctx)
{
    u_char                        *p;
    size_t                         len;
    json_t                        *err;
    cmp_op_t                      *op;
    ngx_http_campaign_loc_conf_t  *lcf;

    op = &ctx->op;

    if (op->code != NULL) {
        ngx_http_campaign_log_refusal(r, op->status, op->code,
                                      (u_char *) op->message,
                                      ngx_strlen(op->message));

        err = cmp_op_error_json(op);

        return ngx_http_campaign_send_json(r, op->status, err, 0);
    }

    if (op->location) {
        lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

        len = lcf->prefix.len + 1 + ngx_strlen(op->kind->name) + 1
              + op->id_len;

        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = ngx_sprintf(p, "%V%s%s/%*s", &lcf->prefix,
                          (lcf->prefix.len
                           && lcf->prefix.data[lcf->prefix.len - 1] == '/')
                          ? "" : "/",
                          op->kind->name, op->id_len, op->id) - p;

        if (ngx_http_campaign_add_header(r, "Location", p, len) == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    p = NULL;

    if (op->reply_len) {
        p = ngx_pnalloc(r->pool, op->reply_len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(p, op->reply, op->reply_len);
    }

    return ngx_http_campaign_send(r, op->status, p, op->reply_len,
                                  op->version);
}


/*
 * Answers bytes that outlive the request (a file compiled into the module)
 * without copying them; with an ETag, nginx's not_modified filter answers
 * If-None-Match with a 304.
 */
ngx_int_t
ngx_http_campaign_send_static(ngx_http_request_t *r, const ngx_str_t *type,
    const ngx_str_t *etag, const u_char *data, size_t len)
{
    u_char       *semicolon;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = len;
    r->headers_out.content_type = *type;

    /* gzip_types and friends match the type without its parameters */
    semicolon = ngx_strlchr(type->data, type->data + type->len, ';');
    r->headers_out.content_type_len = (semicolon != NULL)
                                      ? (size_t) (semicolon - type->data)
                                      : type->len;

    if (etag != NULL) {
        r->headers_out.etag = ngx_http_campaign_add_header(r, "ETag",
                                  etag->data, etag->len);
        if (r->headers_out.etag == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = (u_char *) data;
    b->last = (u_char *) data + len;
    b->memory = 1;
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_table_elt_t *
ngx_http_campaign_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = value;
    h->value.len = len;

    return h;
}


ngx_int_t
ngx_http_campaign_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_campaign_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_campaign_body_filter;

    return NGX_OK;
}


static const char *
ngx_http_campaign_status_code(ngx_uint_t status)
{
    switch (status) {

    case NGX_HTTP_BAD_REQUEST:
        return "bad_request";

    case NGX_HTTP_NOT_FOUND:
        return "not_found";

    case NGX_HTTP_NOT_ALLOWED:
        return "method_not_allowed";

    case NGX_HTTP_REQUEST_TIME_OUT:
        return "request_timeout";

    case NGX_HTTP_PRECONDITION_FAILED:
        return "version_mismatch";

    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
        return "payload_too_large";

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        return "service_unavailable";

    default:
        return status >= 500 ? "internal_error" : "request_refused";
    }
}


/*
 * nginx answers some errors before our handler runs (413 is decided while
 * the location is chosen); in an API location they become JSON too.
 */
static ngx_int_t
ngx_http_campaign_header_filter(ngx_http_request_t *r)
{
    u_char                        *p;
    ngx_buf_t                     *b;
    ngx_http_campaign_ctx_t       *ctx;
    ngx_http_campaign_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    if (lcf == NULL || lcf->api != 1 || r->headers_out.status < 400
        || r != r->main)
    {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);

    /*
     * Our own answers pass; one that a later filter turned into an error
     * (the not_modified filter's 412 for a GET) becomes JSON too.
     */
    if (ctx != NULL && ctx->replying && !r->filter_finalize) {
        return ngx_http_next_header_filter(r);
    }

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_campaign_ctx_t));
        if (ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_http_set_ctx(r, ctx, ngx_http_campaign_module);
    }

    p = ngx_pnalloc(r->pool, 128);
    b = ngx_calloc_buf(r->pool);

    if (p == NULL || b == NULL) {
        return NGX_ERROR;
    }

    b->pos = p;
    b->last = ngx_snprintf(p, 128,
                           "{\"error\":{\"code\":\"%s\","
                           "\"message\":\"HTTP %ui\"}}",
                           ngx_http_campaign_status_code(
                               r->headers_out.status),
                           r->headers_out.status);
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    ctx->error_body = b;

    ngx_http_clear_content_length(r);
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_campaign_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t               out;
    ngx_http_campaign_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);

    if (ctx == NULL || ctx->error_body == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->error_sent) {
        return NGX_OK;
    }

    ctx->error_sent = 1;

    out.buf = ctx->error_body;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}
