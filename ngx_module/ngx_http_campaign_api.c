
/*
 * The management API's front door: the route table, reading the request
 * body, and handing each request to a reader (inline) or the writer.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "ngx_http_campaign_embed.h"


static ngx_int_t ngx_http_campaign_find_route(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_uint_t ngx_http_campaign_route_match(
    ngx_http_campaign_route_t *rt, ngx_str_t *collection, ngx_str_t *action,
    ngx_uint_t item);
static ngx_int_t ngx_http_campaign_split(ngx_http_request_t *r,
    ngx_str_t *seg, ngx_uint_t max);
static ngx_int_t ngx_http_campaign_content_type(ngx_http_request_t *r,
    ngx_uint_t accepted, ngx_uint_t *type);
static ngx_uint_t ngx_http_campaign_charset_utf8(ngx_str_t *value,
    size_t start);
static void ngx_http_campaign_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_dispatch(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_int_t ngx_http_campaign_prepare_op(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_table_elt_t *ngx_http_campaign_header(ngx_http_request_t *r,
    const char *name, size_t len);
static void ngx_http_campaign_op_cleanup(void *data);
static ngx_int_t ngx_http_campaign_read_openapi(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);


static ngx_http_campaign_route_t  ngx_http_campaign_core_routes[] = {

    ngx_http_campaign_route("health", "", 0, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_health, NULL, NULL),

    ngx_http_campaign_route("openapi.json", "", 0,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_openapi, NULL, NULL),

    ngx_http_campaign_null_route
};


static ngx_http_campaign_route_t  *ngx_http_campaign_route_tables[] = {
    ngx_http_campaign_core_routes,
    ngx_http_campaign_channel_routes,
    ngx_http_campaign_contact_routes,
    ngx_http_campaign_group_routes,
    ngx_http_campaign_flow_routes,
    ngx_http_campaign_campaign_routes,
    NULL
};


ngx_int_t
ngx_http_campaign_api_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_campaign_ctx_t        *ctx;
    ngx_http_campaign_loc_conf_t   *lcf;
    ngx_http_campaign_main_conf_t  *mcf;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_campaign_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ngx_http_set_ctx(r, ctx, ngx_http_campaign_module);

    rc = ngx_http_campaign_find_route(r, ctx);

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "campaign api: \"%V\" route:%s \"%V\" id:\"%V\" rc:%i",
                   &r->method_name, ctx->route ? "found" : "none",
                   ctx->route ? &ctx->route->collection : &r->uri,
                   &ctx->id, rc);

    if (rc == NGX_HTTP_NOT_FOUND) {
        ngx_http_discard_request_body(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                   "not_found", NULL, "no such route");
    }

    if (rc == NGX_HTTP_NOT_ALLOWED) {
        ngx_http_discard_request_body(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_ALLOWED,
                   "method_not_allowed", NULL,
                   "method not allowed for this route");
    }

    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    if ((r->method & NGX_HTTP_CAMPAIGN_WRITE_METHODS) && !lcf->write) {
        ngx_http_discard_request_body(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_ALLOWED,
                   "read_only", NULL,
                   "this location is read-only (campaign_api write=off)");
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (!mcf->store_ok) {
        ngx_http_discard_request_body(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL,
                   "the campaign store cannot be opened; see the error log");
    }

    if (ctx->route->write == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "campaign api: answered on the event loop");

        /* a reader that accepts a body (bulk import) reads it itself */
        if (ctx->route->body == 0) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        return ngx_http_campaign_dispatch(r, ctx);
    }

    if (r->headers_in.content_length_n > 0 || r->headers_in.chunked) {
        rc = ngx_http_campaign_content_type(r, ctx->route->body,
                                            &ctx->body_type);
        if (rc != NGX_OK) {
            ngx_http_discard_request_body(r);
            return ngx_http_campaign_send_error(r,
                       NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                       "unsupported_media_type", NULL,
                       "Content-Type must be %s, in UTF-8",
                       (ctx->route->body & NGX_HTTP_CAMPAIGN_BODY_CSV)
                       ? "application/json, application/x-ndjson "
                         "or text/csv"
                       : "application/json");
        }
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "campaign api: a write, body type:%ui length:%O",
                   ctx->body_type, r->headers_in.content_length_n);

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_campaign_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * The path below the location's prefix is "collection", "collection/id",
 * "collection/action", "collection/id/action" or ".../action/sub_id".
 */
static ngx_int_t
ngx_http_campaign_find_route(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char                         *p;
    ngx_str_t                       seg[4], action, allow;
    ngx_int_t                       n;
    ngx_uint_t                      i, item, methods;
    ngx_table_elt_t                *h;
    ngx_http_campaign_route_t      *rt, **t;
    ngx_http_campaign_loc_conf_t   *lcf;
    static const struct {
        ngx_uint_t                  method;
        char                       *name;
    } names[] = {
        { NGX_HTTP_GET, "GET" }, { NGX_HTTP_HEAD, "HEAD" },
        { NGX_HTTP_POST, "POST" }, { NGX_HTTP_PUT, "PUT" },
        { NGX_HTTP_PATCH, "PATCH" }, { NGX_HTTP_DELETE, "DELETE" },
    };

    n = ngx_http_campaign_split(r, seg, 4);

    if (n <= 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    item = 0;
    ngx_str_null(&action);

    /* a collection-level action ("flows/import") wins over an id */
    if (n == 2) {
        for (t = ngx_http_campaign_route_tables; *t; t++) {
            for (rt = *t; rt->collection.len; rt++) {
                if (ngx_http_campaign_route_match(rt, &seg[0], &seg[1], 0))
                {
                    action = seg[1];
                }
            }
        }
    }

    if (action.len == 0 && n >= 2) {
        item = 1;
        ctx->id = seg[1];

        if (n >= 3) {
            action = seg[2];
        }

        if (n == 4) {
            item = 2;
            ctx->sub_id = seg[3];
        }

        if (ctx->id.len > CMP_ID_MAX) {
            return NGX_HTTP_NOT_FOUND;
        }
    }

    methods = 0;

    for (t = ngx_http_campaign_route_tables; *t; t++) {
        for (rt = *t; rt->collection.len; rt++) {
            if (!ngx_http_campaign_route_match(rt, &seg[0], &action, item)) {
                continue;
            }

            methods |= rt->method;

            if ((rt->method & r->method) && ctx->route == NULL) {
                ctx->route = rt;
            }
        }
    }

    if (ctx->route != NULL) {
        lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

        if (!(r->method & NGX_HTTP_CAMPAIGN_WRITE_METHODS) || lcf->write) {
            return NGX_OK;
        }

        /* the handler answers read_only; Allow names what this place takes */
        methods &= ~NGX_HTTP_CAMPAIGN_WRITE_METHODS;

    } else if (methods == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    p = ngx_pnalloc(r->pool, sizeof("GET, HEAD, POST, PUT, PATCH, DELETE"));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    allow.data = p;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (methods & names[i].method) {
            if (p != allow.data) {
                *p++ = ',';
                *p++ = ' ';
            }

            p = ngx_cpymem(p, names[i].name, ngx_strlen(names[i].name));
        }
    }

    allow.len = p - allow.data;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value = allow;

    return (ctx->route != NULL) ? NGX_OK : NGX_HTTP_NOT_ALLOWED;
}


static ngx_uint_t
ngx_http_campaign_route_match(ngx_http_campaign_route_t *rt,
    ngx_str_t *collection, ngx_str_t *action, ngx_uint_t item)
{
    return rt->item == item
           && rt->collection.len == collection->len
           && ngx_strncmp(rt->collection.data, collection->data,
                          collection->len) == 0
           && rt->action.len == action->len
           && ngx_strncmp(rt->action.data, action->data, action->len) == 0;
}


static ngx_int_t
ngx_http_campaign_split(ngx_http_request_t *r, ngx_str_t *seg, ngx_uint_t max)
{
    u_char                        *p, *last, *start;
    ngx_uint_t                     n;
    ngx_http_campaign_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    if (r->uri.len < lcf->prefix.len) {
        return 0;
    }

    p = r->uri.data + lcf->prefix.len;
    last = r->uri.data + r->uri.len;

    /* "location /v1" matches "/v1channels" too; that is no API path */
    if (lcf->prefix.len && lcf->prefix.data[lcf->prefix.len - 1] != '/'
        && p < last && *p != '/')
    {
        return 0;
    }

    /* "location /api" leaves "/channels", "location /api/" "channels" */
    while (p < last && *p == '/') {
        p++;
    }

    while (last > p && last[-1] == '/') {
        last--;
    }

    n = 0;

    while (p < last) {
        if (n == max) {
            return -1;
        }

        start = p;

        while (p < last && *p != '/') {
            p++;
        }

        seg[n].data = start;
        seg[n].len = p - start;

        if (seg[n].len == 0) {
            return -1;
        }

        n++;

        if (p < last) {
            p++;
        }
    }

    return n;
}


static ngx_int_t
ngx_http_campaign_content_type(ngx_http_request_t *r, ngx_uint_t accepted,
    ngx_uint_t *type)
{
    ngx_str_t    ct;
    ngx_uint_t   i;
    static const struct {
        ngx_str_t   name;
        ngx_uint_t  type;
    } types[] = {
        { ngx_string("application/json"), NGX_HTTP_CAMPAIGN_BODY_JSON },
        { ngx_string("application/x-ndjson"), NGX_HTTP_CAMPAIGN_BODY_NDJSON },
        { ngx_string("text/csv"), NGX_HTTP_CAMPAIGN_BODY_CSV },
    };

    /* routes that need no body still take an (empty) JSON one */
    if (accepted == 0) {
        accepted = NGX_HTTP_CAMPAIGN_BODY_JSON;
    }

    if (r->headers_in.content_type != NULL) {
        ct = r->headers_in.content_type->value;

        /* parameters such as "; charset=utf-8" do not change the type */
        for (i = 0; i < ct.len; i++) {
            if (ct.data[i] == ';' || ct.data[i] == ' ') {
                ct.len = i;
                break;
            }
        }

        /* but a body in another charset would be read as UTF-8 */
        if (!ngx_http_campaign_charset_utf8(&r->headers_in.content_type->value,
                                            ct.len))
        {
            return NGX_DECLINED;
        }

        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            if ((accepted & types[i].type)
                && ct.len == types[i].name.len
                && ngx_strncasecmp(ct.data, types[i].name.data, ct.len) == 0)
            {
                *type = types[i].type;
                return NGX_OK;
            }
        }
    }

    return NGX_DECLINED;
}


/* a Content-Type's charset parameter, where there is one, is UTF-8 */
static ngx_uint_t
ngx_http_campaign_charset_utf8(ngx_str_t *value, size_t start)
{
    u_char  *p, *last, *name, *end;

    p = value->data + start;
    last = value->data + value->len;

    while (p < last) {
        while (p < last && (*p == ';' || *p == ' ' || *p == '\t')) {
            p++;
        }

        name = p;

        while (p < last && *p != '=' && *p != ';') {
            p++;
        }

        if (p == last || *p == ';') {
            continue;
        }

        end = p++;

        while (end > name && (end[-1] == ' ' || end[-1] == '\t')) {
            end--;
        }

        if (end - name != 7 || ngx_strncasecmp(name, (u_char *) "charset", 7))
        {
            while (p < last && *p != ';') {
                p++;
            }

            continue;
        }

        while (p < last && (*p == ' ' || *p == '"')) {
            p++;
        }

        name = p;

        while (p < last && *p != ';' && *p != '"' && *p != ' ') {
            p++;
        }

        if (!((p - name == 5 && ngx_strncasecmp(name, (u_char *) "utf-8", 5)
               == 0)
              || (p - name == 4
                  && ngx_strncasecmp(name, (u_char *) "utf8", 4) == 0)))
        {
            return 0;
        }
    }

    return 1;
}


static void
ngx_http_campaign_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_campaign_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);

    rc = ngx_http_campaign_collect_body(r, &ctx->body);

    if (rc == NGX_OK) {
        rc = ngx_http_campaign_dispatch(r, ctx);
    }

    if (rc == NGX_DONE) {
        /* the writer holds the request; it finalizes it when committed */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/*
 * Bodies come whole (request_body_in_single_buf), in memory or in the
 * temp file nginx spilled them to; the file is local and just written.
 */
ngx_int_t
ngx_http_campaign_collect_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    ngx_str_null(body);

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);
    }

    if (len == 0) {
        return NGX_OK;
    }

    cl = r->request_body->bufs;

    if (cl->next == NULL && !cl->buf->in_file) {
        body->data = cl->buf->pos;
        body->len = len;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body->data = p;
    body->len = len;

    for ( /* void */ ; cl; cl = cl->next) {
        b = cl->buf;

        if (!b->in_file) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                          b->file_pos);
        if (n != b->file_last - b->file_pos) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "campaign api: reading the request body from "
                          "its temp file failed");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p += n;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_campaign_dispatch(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (ctx->route->write == NULL) {
        return ctx->route->read(r, ctx);
    }

    rc = ngx_http_campaign_prepare_op(r, ctx);

    /* a refusal (400) was sent: the op must not run after all */
    if (rc != NGX_OK || ctx->replying) {
        return rc;
    }

    return ngx_http_campaign_writer_post(r, ctx);
}


static ngx_int_t
ngx_http_campaign_prepare_op(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char                         *p, *last;
    char                            err[160];
    ngx_int_t                       n;
    ngx_table_elt_t                *h;
    ngx_pool_cleanup_t             *cln;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    cmp_op_init(&ctx->op, &mcf->store, ctx->route->write, ctx->route->kind);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_campaign_op_cleanup;
    cln->data = &ctx->op;

    if (ctx->id.len) {
        ngx_memcpy(ctx->op.id, ctx->id.data, ctx->id.len);
        ctx->op.id[ctx->id.len] = '\0';
        ctx->op.id_len = ctx->id.len;
    }

    if (ctx->body.len && ctx->body_type == NGX_HTTP_CAMPAIGN_BODY_JSON) {
        ctx->op.body = cmp_json_parse((char *) ctx->body.data, ctx->body.len,
                                      err, sizeof(err));
        if (ctx->op.body == NULL) {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                "invalid_json", NULL,
                                                "%s", err);
        }
    }

    if (ctx->op.body == NULL) {
        ctx->op.body = json_object();
    }

    h = r->headers_in.if_match;

    /* "*" matches any current version: the load's 404 is the only check */
    if (h != NULL && !(h->value.len == 1 && h->value.data[0] == '*')) {
        p = h->value.data;
        last = p + h->value.len;

        if (last - p > 2 && p[0] == 'W' && p[1] == '/') {
            p += 2;
        }

        /* an entity tag is quoted; one that is not is a client's slip */
        if (last - p < 2 || *p != '"' || last[-1] != '"') {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "invalid_argument", "If-Match",
                       "If-Match must be \"*\" or a quoted version such "
                       "as \"3\", as the ETag gives it");
        }

        n = ngx_atoi(p + 1, last - p - 2);

        /* a well-formed tag that is no version of ours never matches */
        ctx->op.if_match = (n == NGX_ERROR) ? CMP_IF_MATCH_FOREIGN : n;
    }

    h = ngx_http_campaign_header(r, "Idempotency-Key",
                                 sizeof("Idempotency-Key") - 1);

    if (h != NULL && (r->method & NGX_HTTP_POST)) {
        if (h->value.len == 0 || h->value.len > 255) {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "invalid_argument", "Idempotency-Key",
                       "Idempotency-Key must be 1 to 255 characters");
        }

        ctx->op.idempotency_key = (char *) h->value.data;
        ctx->op.idempotency_key_len = h->value.len;
    }

    return NGX_OK;
}


static ngx_table_elt_t *
ngx_http_campaign_header(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i];
        }
    }
}


static void
ngx_http_campaign_op_cleanup(void *data)
{
    cmp_op_t *op = data;

    if (op->body != NULL) {
        json_decref(op->body);
        op->body = NULL;
    }

    cmp_op_free(op);
}


/* the document of every route above, compiled in from the OpenAPI file */
static ngx_int_t
ngx_http_campaign_read_openapi(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    const ngx_http_campaign_embedded_t  *doc;

    doc = &ngx_http_campaign_api_files[0];

    return ngx_http_campaign_send_static(r, &doc->type, &doc->etag,
                                         doc->data, doc->len);
}
