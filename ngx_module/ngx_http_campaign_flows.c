
/*
 * /flows: chat flows.  Writes are shared/cmp_flow_resource.c's operations;
 * preview, export and test-send instances are read here, inline.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_flow_resource.h"
#include "cmp_instance.h"


static json_t *ngx_http_campaign_flow_get(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_int_t *rc);
static ngx_int_t ngx_http_campaign_flow_preview(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_int_t ngx_http_campaign_flow_export(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static ngx_int_t ngx_http_campaign_flow_instance(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);


ngx_http_campaign_route_t  ngx_http_campaign_flow_routes[] = {

    ngx_http_campaign_route("flows", "", 0, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_list, NULL,
                            &cmp_kind_flows),

    ngx_http_campaign_route("flows", "", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_flow_create, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "import", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_flow_import, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "", 1, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_record, NULL,
                            &cmp_kind_flows),

    ngx_http_campaign_route("flows", "", 1, NGX_HTTP_PATCH,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_flow_update, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "", 1, NGX_HTTP_DELETE, 0, NULL,
                            cmp_flow_delete, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "publish", 1, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_flow_publish, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "unpublish", 1, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_flow_unpublish, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "preview", 1,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_flow_preview, NULL,
                            &cmp_kind_flows),

    ngx_http_campaign_route("flows", "export", 1,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_flow_export, NULL,
                            &cmp_kind_flows),

    ngx_http_campaign_route("flows", "trigger", 1, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_flow_test_send, &cmp_kind_flows),

    ngx_http_campaign_route("flows", "instances", 2,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_flow_instance, NULL,
                            &cmp_kind_flows),

    ngx_http_campaign_null_route
};


/*
 * The flow record, parsed: the JSON is copied out of the map by the
 * parse, so the read txn ends here.  NULL: *rc is the answer already sent.
 */
static json_t *
ngx_http_campaign_flow_get(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_int_t *rc)
{
    int                             err;
    char                            msg[160];
    json_t                         *json;
    cmp_txn_t                      *txn;
    cmp_record_t                    rec;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        *rc = ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                  "store_unavailable", NULL, "cannot read the store");
        return NULL;
    }

    err = cmp_record_get(&mcf->store, txn, &cmp_kind_flows,
                         (char *) ctx->id.data, ctx->id.len, &rec);

    if (err != 0) {
        ngx_http_campaign_read_end(r);

        if (err == CMP_NOTFOUND) {
            *rc = ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                      "not_found", NULL, "no flow \"%V\"", &ctx->id);

        } else {
            *rc = ngx_http_campaign_send_error(r,
                      NGX_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                      NULL, "store error: %s", cmp_strerror(err));
        }

        return NULL;
    }

    json = cmp_json_parse(rec.json, rec.len, msg, sizeof(msg));
    ngx_http_campaign_read_end(r);

    if (json == NULL) {
        *rc = ngx_http_campaign_send_error(r,
                  NGX_HTTP_INTERNAL_SERVER_ERROR, "internal_error", NULL,
                  "stored flow \"%V\" is unreadable: %s", &ctx->id, msg);
        return NULL;
    }

    return json;
}




static ngx_int_t
ngx_http_campaign_flow_preview(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char      *p;
    char        *dot, name[sizeof("flow-") + CMP_ID_MAX];
    size_t       len;
    json_t      *rec, *out;
    ngx_int_t    rc, as_dot;
    ngx_str_t    format;
    cmp_flow_t   flow;
    const char  *status;

    as_dot = 0;

    if (ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK) {
        if (format.len == 3 && ngx_strncmp(format.data, "dot", 3) == 0) {
            as_dot = 1;

        } else if (!(format.len == 4
                     && ngx_strncmp(format.data, "json", 4) == 0))
        {
            return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "invalid_argument", "format",
                       "format must be json or dot");
        }
    }

    rec = ngx_http_campaign_flow_get(r, ctx, &rc);
    if (rec == NULL) {
        return rc;
    }

    status = json_string_value(json_object_get(rec, "status"));

    if (status == NULL || ngx_strcmp(status, "published") != 0) {
        json_decref(rec);
        return ngx_http_campaign_send_error(r, NGX_HTTP_CONFLICT,
                   "invalid_state", NULL, "flow \"%V\" is unpublished; "
                   "preview shows published flows only", &ctx->id);
    }

    if (cmp_flow_load(&flow, json_object_get(rec, "definition")) != 0) {
        json_decref(rec);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!as_dot) {
        out = cmp_flow_preview(&flow);
        cmp_flow_free(&flow);
        json_decref(rec);

        return ngx_http_campaign_send_json(r, NGX_HTTP_OK, out, 0);
    }

    ngx_snprintf((u_char *) name, sizeof(name), "flow-%V%Z", &ctx->id);

    dot = cmp_flow_dot(&flow, name, &len);
    cmp_flow_free(&flow);
    json_decref(rec);

    if (dot == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        free(dot);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(p, dot, len);
    free(dot);

    ngx_str_set(&r->headers_out.content_type, "text/vnd.graphviz");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    return ngx_http_campaign_send(r, NGX_HTTP_OK, p, len, 0);
}


/* a file to download; POST /flows/import takes it back as it is */
static ngx_int_t
ngx_http_campaign_flow_export(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    u_char           *p;
    size_t            len;
    json_t           *rec, *doc;
    ngx_int_t         rc;
    ngx_table_elt_t  *h;

    rec = ngx_http_campaign_flow_get(r, ctx, &rc);
    if (rec == NULL) {
        return rc;
    }

    doc = cmp_flow_export(rec);
    json_decref(rec);

    len = sizeof("attachment; filename=\"flow-.json\"") - 1 + ctx->id.len;

    p = ngx_pnalloc(r->pool, len);
    h = ngx_list_push(&r->headers_out.headers);

    if (p == NULL || h == NULL) {
        json_decref(doc);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* ids are [A-Za-z0-9_-]: nothing to quote in the file name */
    ngx_sprintf(p, "attachment; filename=\"flow-%V.json\"", &ctx->id);

    h->hash = 1;
    ngx_str_set(&h->key, "Content-Disposition");
    h->value.data = p;
    h->value.len = len;

    return ngx_http_campaign_send_json(r, NGX_HTTP_OK, doc, 0);
}


static ngx_int_t
ngx_http_campaign_flow_instance(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    int                             err;
    char                            msg[160];
    size_t                          n;
    json_t                         *json;
    cmp_txn_t                      *txn;
    const char                     *flow_id;
    cmp_record_t                    rec, flow;
    ngx_http_campaign_main_conf_t  *mcf;
    unsigned char                   key[CMP_INSTANCE_KEY_MAX];

    if (ctx->sub_id.len == 0) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                   "not_found", NULL, "no such route");
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    n = cmp_instance_test_key(key, (char *) ctx->sub_id.data,
                              ctx->sub_id.len);
    err = n ? cmp_instance_get(&mcf->store, txn, key, n, &rec)
            : CMP_NOTFOUND;

    /* a deleted flow's test sends wait for the purge, seen by no one */
    if (err == 0) {
        err = cmp_record_get(&mcf->store, txn, &cmp_kind_flows,
                             (char *) ctx->id.data, ctx->id.len, &flow);
    }

    if (err != 0 && err != CMP_NOTFOUND) {
        ngx_http_campaign_read_end(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "store error: %s",
                   cmp_strerror(err));
    }

    json = NULL;

    if (err == 0) {
        json = cmp_json_parse(rec.json, rec.len, msg, sizeof(msg));
    }

    ngx_http_campaign_read_end(r);

    flow_id = json_string_value(json_object_get(json, "flow_id"));

    /* an instance is found only under the flow it belongs to */
    if (flow_id == NULL || ngx_strlen(flow_id) != ctx->id.len
        || ngx_strncmp(flow_id, ctx->id.data, ctx->id.len) != 0)
    {
        json_decref(json);
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                   "not_found", NULL, "flow \"%V\" has no instance \"%V\"",
                   &ctx->id, &ctx->sub_id);
    }

    return ngx_http_campaign_send_json(r, NGX_HTTP_OK, json, rec.version);
}
