
/*
 * /groups: user groups and their members.  Writes are shared/cmp_group.c's
 * operations; member pages walk the membership index, never the store.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_group.h"
#include "cmp_json_raw.h"
#include "cmp_phone.h"
#include "cmp_validate.h"


typedef struct {
    u_char                     *needle;
    size_t                      needle_len;
} ngx_http_campaign_group_filter_t;


static ngx_int_t ngx_http_campaign_groups_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);
static int ngx_http_campaign_groups_match(void *data,
    const cmp_record_t *rec);
static ngx_int_t ngx_http_campaign_members_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx);


ngx_http_campaign_route_t  ngx_http_campaign_group_routes[] = {

    ngx_http_campaign_route("groups", "", 0, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_groups_list, NULL,
                            &cmp_kind_groups),

    ngx_http_campaign_route("groups", "", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_group_create, &cmp_kind_groups),

    ngx_http_campaign_route("groups", "", 1, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_record, NULL,
                            &cmp_kind_groups),

    ngx_http_campaign_route("groups", "", 1, NGX_HTTP_PATCH,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_group_update, &cmp_kind_groups),

    ngx_http_campaign_route("groups", "", 1, NGX_HTTP_DELETE, 0, NULL,
                            cmp_group_delete, &cmp_kind_groups),

    ngx_http_campaign_route("groups", "members", 1,
                            NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_members_list, NULL,
                            &cmp_kind_groups),

    ngx_http_campaign_route("groups", "members", 1, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_group_members_add, &cmp_kind_groups),

    ngx_http_campaign_route("groups", "members", 1, NGX_HTTP_DELETE,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_group_members_remove, &cmp_kind_groups),

    ngx_http_campaign_null_route
};


/*
 * ?name= is a case-insensitive substring match; groups are few (an
 * operator names each one), so it filters the newest-first walk.
 */
static ngx_int_t
ngx_http_campaign_groups_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    ngx_int_t                          rc;
    ngx_str_t                          name;
    ngx_http_campaign_group_filter_t  *f;

    rc = ngx_http_campaign_query_arg(r, "name", 1, &name);

    if (rc == NGX_ABORT) {
        return ngx_http_campaign_arg_refused(r, "name");
    }

    if (rc != NGX_OK) {
        return ngx_http_campaign_read_list(r, ctx);
    }

    f = ngx_palloc(r->pool, sizeof(ngx_http_campaign_group_filter_t));
    if (f == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    f->needle = ngx_pnalloc(r->pool, name.len + 1);
    if (f->needle == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    f->needle_len = cmp_text_fold((char *) f->needle, name.len + 1,
                                  (char *) name.data, name.len);

    return ngx_http_campaign_read_list_match(r, ctx,
                                             ngx_http_campaign_groups_match,
                                             f);
}


/* ?name= reads each group's name in place, case-folded: no parse */
static int
ngx_http_campaign_groups_match(void *data, const cmp_record_t *rec)
{
    ngx_http_campaign_group_filter_t *f = data;

    char              fold[CMP_FOLD_MAX], name[1024];
    size_t            len;
    cmp_json_field_t  want[1];

    if (f->needle_len == 0) {
        return 1;
    }

    want[0].name = "name";

    if (cmp_json_raw_find(rec->json, rec->len, want, 1) != 0
        || cmp_json_raw_value_string(want[0].value, want[0].len, name,
                                     sizeof(name))
           != 0)
    {
        return 0;
    }

    len = cmp_text_fold(fold, sizeof(fold), name, ngx_strlen(name));

    return len >= f->needle_len
           && ngx_strlcasestrn((u_char *) fold, (u_char *) fold + len,
                               f->needle, f->needle_len - 1)
              != NULL;
}


/* members in contact id order; the cursor is the last contact id */
static ngx_int_t
ngx_http_campaign_members_list(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx)
{
    int                             rc;
    u_char                          after[CMP_ID_MAX];
    size_t                          after_len;
    cmp_txn_t                      *txn;
    ngx_int_t                       n;
    const char                     *field, *message;
    cmp_record_t                    group;
    ngx_http_campaign_key_page_t    page;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    n = ngx_http_campaign_key_page_args(r, &page, after, sizeof(after),
                                        &after_len, &field, &message);
    if (n == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (n != NGX_OK) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_argument", field,
                                            "%s", message);
    }

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = cmp_record_get(&mcf->store, txn, &cmp_kind_groups,
                        (char *) ctx->id.data, ctx->id.len, &group);

    if (rc == CMP_NOTFOUND) {
        ngx_http_campaign_read_end(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND,
                   "not_found", NULL, "no group \"%V\"", &ctx->id);
    }

    if (rc == 0) {
        rc = cmp_group_contacts_walk(&mcf->store, txn,
                                     (char *) ctx->id.data, ctx->id.len,
                                     after_len ? (char *) after : NULL,
                                     after_len,
                                     ngx_http_campaign_key_page_visit, &page);
    }

    ngx_http_campaign_read_end(r);

    return ngx_http_campaign_key_page_send(r, rc, &page.text, page.error,
                                           page.more, page.last,
                                           page.last_len);
}
