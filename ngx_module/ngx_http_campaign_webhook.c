
/*
 * Provider callbacks: a provider's handshake, signatures checked in
 * constant time, and events applied through the group commit.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_campaign_module.h"
#include "cmp_webhook.h"


#define NGX_HTTP_CAMPAIGN_SIG_LEN   32      /* SHA-256 */


typedef struct {
    ngx_array_t                  ids;       /* of ngx_str_t */
    const cmp_provider_t        *provider;
    const char                  *route;     /* NULL: any */
    ngx_pool_t                  *pool;
    ngx_uint_t                   error;
} ngx_http_campaign_webhook_scan_t;


static ngx_int_t ngx_http_campaign_webhook_handler(ngx_http_request_t *r);
static void ngx_http_campaign_webhook_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_webhook_post(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_campaign_webhook_verify(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_webhook_signature(ngx_http_request_t *r,
    u_char *sig);
static ngx_int_t ngx_http_campaign_webhook_route(ngx_http_request_t *r,
    cmp_txn_t *txn, cmp_webhook_t *wh, ngx_str_t *body, u_char *sig);
static ngx_int_t ngx_http_campaign_webhook_signer(ngx_http_request_t *r,
    cmp_txn_t *txn, ngx_str_t *body, u_char *sig, ngx_str_t *channel);
static ngx_int_t ngx_http_campaign_webhook_channels(ngx_http_request_t *r,
    cmp_txn_t *txn, const char *route, ngx_array_t **ids);
static int ngx_http_campaign_webhook_scan(void *data, const char *id,
    size_t id_len, const cmp_record_t *rec);
static ngx_int_t ngx_http_campaign_webhook_secret(ngx_http_request_t *r,
    cmp_txn_t *txn, ngx_str_t *channel, const char *name, ngx_str_t *body,
    u_char *sig, ngx_str_t *token);
static void ngx_http_campaign_webhook_cleanup(void *data);


/* campaign_webhook <provider> [channel=id]; */
char *
ngx_http_campaign_webhook(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_campaign_loc_conf_t *lcf = conf;

    u_char                    *p, *last;
    ngx_str_t                 *value;
    ngx_uint_t                 k;
    ngx_http_core_loc_conf_t  *clcf;
    u_char                     names[256];

    if (lcf->webhook != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->webhook = cmp_provider_find((char *) value[1].data, value[1].len);

    if (lcf->webhook == NULL) {
        p = names;
        last = names + sizeof(names);

        for (k = 0; cmp_providers[k] != NULL; k++) {
            p = ngx_slprintf(p, last, "%s\"%s\"",
                             k == 0 ? ""
                             : cmp_providers[k + 1] == NULL ? " or " : ", ",
                             cmp_providers[k]->name);
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid provider \"%V\": %*s is expected",
                           &value[1], p - names, names);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "channel=", 8) != 0
            || value[2].len == 8 || value[2].len - 8 > CMP_ID_MAX)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": "
                               "\"channel=<id>\" is expected", &value[2]);
            return NGX_CONF_ERROR;
        }

        lcf->webhook_channel.data = value[2].data + 8;
        lcf->webhook_channel.len = value[2].len - 8;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_campaign_webhook_handler;

    ngx_http_campaign_need_store(cf);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_campaign_webhook_handler(ngx_http_request_t *r)
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

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (!mcf->store_ok) {
        ngx_http_discard_request_body(r);

        /* a 5xx makes the provider retry later: nothing is lost */
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL,
                   "the campaign store cannot be opened; see the error log");
    }

    if (lcf->webhook->verify_secret != NULL
        && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_campaign_webhook_verify(r);
    }

    if (!(r->method & NGX_HTTP_POST)) {
        ngx_http_discard_request_body(r);
        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_ALLOWED,
                   "method_not_allowed", NULL,
                   "provider callbacks are POSTed");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_campaign_webhook_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_campaign_webhook_body(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 body;
    ngx_http_campaign_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);

    /* the raw body, byte for byte: it is what the signature covers */
    rc = ngx_http_campaign_collect_body(r, &body);

    if (body.data == NULL) {
        ngx_str_set(&body, "");
    }

    if (rc == NGX_OK) {
        rc = ngx_http_campaign_webhook_post(r, ctx, &body);
    }

    if (rc == NGX_DONE) {
        /* the writer answers once the events are committed */
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_campaign_webhook_post(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_str_t *body)
{
    int                             rc;
    char                            err[160];
    size_t                          i;
    json_t                         *ev;
    cmp_txn_t                      *txn;
    ngx_int_t                       ok;
    ngx_str_t                       channel;
    cmp_webhook_t                  *wh;
    ngx_pool_cleanup_t             *cln;
    ngx_http_campaign_loc_conf_t   *lcf;
    ngx_http_campaign_main_conf_t  *mcf;
    u_char                          sig[NGX_HTTP_CAMPAIGN_SIG_LEN];

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (ngx_http_campaign_webhook_signature(r, sig) != NGX_OK) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_UNAUTHORIZED,
                   "invalid_signature", NULL, "the %s header is missing "
                   "or malformed", lcf->webhook->signature_header);
    }

    wh = ngx_pcalloc(r->pool, sizeof(cmp_webhook_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (wh == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    wh->provider = lcf->webhook;

    cmp_op_init(&ctx->op, &mcf->store, cmp_webhook_apply, NULL);
    ctx->op.data = wh;

    cln->handler = ngx_http_campaign_webhook_cleanup;
    cln->data = &ctx->op;

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    rc = lcf->webhook->parse((char *) body->data, body->len, &wh->events,
                             err, sizeof(err));

    if (rc != CMP_OK) {
        ok = NGX_HTTP_BAD_REQUEST;

    } else if (lcf->webhook->route_field != NULL) {
        ok = ngx_http_campaign_webhook_route(r, txn, wh, body, sig);

    } else {
        /* callbacks that do not name the channel: the signature does */
        ok = ngx_http_campaign_webhook_signer(r, txn, body, sig, &channel);

        if (ok == NGX_OK) {
            json_array_foreach(wh->events, i, ev) {
                json_object_set_new(ev, "channel_id",
                                    json_stringn((char *) channel.data,
                                                 channel.len));
            }
        }
    }

    ngx_http_campaign_read_end(r);

    if (ok == NGX_HTTP_BAD_REQUEST) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "invalid_payload", NULL, "%s", err);
    }

    if (ok == NGX_DECLINED) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_UNAUTHORIZED,
                   "invalid_signature", NULL,
                   "the signature matches no channel's secret");
    }

    if (ok != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_campaign_writer_post(r, ctx);
}


/* the signature header, hex-decoded */
static ngx_int_t
ngx_http_campaign_webhook_signature(ngx_http_request_t *r, u_char *sig)
{
    u_char                        *p;
    size_t                         len, i;
    ngx_int_t                      n;
    ngx_str_t                      name;
    ngx_uint_t                     k;
    ngx_list_part_t               *part;
    ngx_table_elt_t               *h, *found;
    ngx_http_campaign_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    name.data = (u_char *) lcf->webhook->signature_header;
    name.len = ngx_strlen(name.data);

    found = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (k = 0; /* void */ ; k++) {

        if (k >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            k = 0;
        }

        if (h[k].key.len == name.len
            && ngx_strncasecmp(h[k].key.data, name.data, name.len) == 0)
        {
            found = &h[k];
            break;
        }
    }

    if (found == NULL) {
        return NGX_DECLINED;
    }

    p = found->value.data;
    len = found->value.len;
    n = ngx_strlen(lcf->webhook->signature_prefix);

    if (len < (size_t) n
        || ngx_strncasecmp(p, (u_char *) lcf->webhook->signature_prefix, n)
           != 0)
    {
        return NGX_DECLINED;
    }

    p += n;
    len -= n;

    if (len != 2 * NGX_HTTP_CAMPAIGN_SIG_LEN) {
        return NGX_DECLINED;
    }

    for (i = 0; i < NGX_HTTP_CAMPAIGN_SIG_LEN; i++) {
        n = ngx_hextoi(p + 2 * i, 2);

        if (n == NGX_ERROR) {
            return NGX_DECLINED;
        }

        sig[i] = (u_char) n;
    }

    return NGX_OK;
}


/*
 * Each route (WhatsApp: phone_number_id) the payload names is a channel,
 * and the signature must be its signing secret's: a payload naming
 * several is checked against each.  Events then carry their channel's id.
 */
static ngx_int_t
ngx_http_campaign_webhook_route(ngx_http_request_t *r, cmp_txn_t *txn,
    cmp_webhook_t *wh, ngx_str_t *body, u_char *sig)
{
    int                             rc;
    char                            id[CMP_ID_MAX + 1];
    size_t                          i, j, id_len;
    json_t                         *ev, *other;
    ngx_int_t                       ok;
    ngx_str_t                       channel;
    const char                     *route;
    ngx_array_t                    *found;
    const cmp_provider_t           *p;
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);
    p = wh->provider;

    if (json_array_size(wh->events) == 0) {
        /* nothing to record, yet only a signed payload gets a 200 */
        return ngx_http_campaign_webhook_signer(r, txn, body, sig, &channel);
    }

    json_array_foreach(wh->events, i, ev) {
        if (json_object_get(ev, "channel_id") != NULL) {
            continue;
        }

        route = json_string_value(json_object_get(ev, "route"));
        if (route == NULL) {
            return NGX_DECLINED;
        }

        rc = cmp_index_get(&mcf->store, txn, p->route_index, route,
                           ngx_strlen(route), id, &id_len);

        if (rc == 0) {
            channel.data = (u_char *) id;
            channel.len = id_len;

        } else if (rc == CMP_NOTFOUND) {
            /* channels written before the index existed */
            if (ngx_http_campaign_webhook_channels(r, txn, route, &found)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (found->nelts == 0) {
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "campaign webhook: no %s channel has "
                              "%s \"%s\"", p->title, p->route_field, route);
                return NGX_DECLINED;
            }

            channel = *(ngx_str_t *) found->elts;

        } else {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "campaign_store: %s", cmp_strerror(rc));
            return NGX_ERROR;
        }

        ok = ngx_http_campaign_webhook_secret(r, txn, &channel,
                                              p->signing_secret, body, sig,
                                              NULL);
        if (ok != NGX_OK) {
            return ok;
        }

        /* every event of this route belongs to this channel */
        json_array_foreach(wh->events, j, other) {
            if (json_object_get(other, "channel_id") == NULL
                && json_equal(json_object_get(other, "route"),
                              json_object_get(ev, "route")))
            {
                json_object_set_new(other, "channel_id",
                                    json_stringn((char *) channel.data,
                                                 channel.len));
            }
        }
    }

    return NGX_OK;
}


/* the configured channel, or the provider's channel whose secret signed */
static ngx_int_t
ngx_http_campaign_webhook_signer(ngx_http_request_t *r, cmp_txn_t *txn,
    ngx_str_t *body, u_char *sig, ngx_str_t *channel)
{
    ngx_int_t                      ok;
    ngx_str_t                     *ids;
    ngx_uint_t                     k;
    ngx_array_t                   *found;
    const char                    *secret;
    ngx_http_campaign_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    secret = lcf->webhook->signing_secret;

    if (lcf->webhook_channel.len) {
        *channel = lcf->webhook_channel;

        return ngx_http_campaign_webhook_secret(r, txn, channel, secret,
                                                body, sig, NULL);
    }

    if (ngx_http_campaign_webhook_channels(r, txn, NULL, &found) != NGX_OK) {
        return NGX_ERROR;
    }

    ids = found->elts;

    for (k = 0; k < found->nelts; k++) {
        ok = ngx_http_campaign_webhook_secret(r, txn, &ids[k], secret, body,
                                              sig, NULL);
        if (ok != NGX_DECLINED) {
            *channel = ids[k];
            return ok;
        }
    }

    return NGX_DECLINED;
}


/*
 * The provider's handshake (WhatsApp: GET ?hub.mode=subscribe&
 * hub.verify_token=T&hub.challenge=C): the challenge back when T is the
 * verify secret of one of its channels.
 */
static ngx_int_t
ngx_http_campaign_webhook_verify(ngx_http_request_t *r)
{
    cmp_txn_t                     *txn;
    ngx_int_t                      ok;
    ngx_str_t                      mode, token, challenge, *ids;
    ngx_uint_t                     k;
    ngx_array_t                   *found;
    const cmp_provider_t          *p;
    ngx_http_campaign_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    p = lcf->webhook;

    if (ngx_http_campaign_query_arg(r, p->verify_mode, 0, &mode) != NGX_OK
        || ngx_http_campaign_query_arg(r, p->verify_token, 0, &token)
           != NGX_OK
        || ngx_http_campaign_query_arg(r, p->verify_challenge, 0,
                                       &challenge)
           != NGX_OK
        || mode.len != 9 || ngx_strncmp(mode.data, "subscribe", 9) != 0
        || token.len == 0 || challenge.len == 0 || challenge.len > 1024)
    {
        return ngx_http_campaign_send_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", NULL, "not a subscription handshake");
    }

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    ok = NGX_DECLINED;

    if (ngx_http_campaign_webhook_channels(r, txn, NULL, &found) != NGX_OK) {
        ok = NGX_ERROR;

    } else {
        ids = found->elts;

        for (k = 0; k < found->nelts && ok == NGX_DECLINED; k++) {
            ok = ngx_http_campaign_webhook_secret(r, txn, &ids[k],
                                                  p->verify_secret, NULL,
                                                  NULL, &token);
        }
    }

    ngx_http_campaign_read_end(r);

    if (ok == NGX_DECLINED) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", NULL, "the verify token is no %s channel's",
                   p->title);
    }

    if (ok != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    return ngx_http_campaign_send(r, NGX_HTTP_OK, challenge.data,
                                  challenge.len, 0);
}


/* ids of the location's provider's channels (with route); there are few */
static ngx_int_t
ngx_http_campaign_webhook_channels(ngx_http_request_t *r, cmp_txn_t *txn,
    const char *route, ngx_array_t **ids)
{
    int                                rc;
    ngx_http_campaign_loc_conf_t      *lcf;
    ngx_http_campaign_main_conf_t     *mcf;
    ngx_http_campaign_webhook_scan_t  *scan;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    scan = ngx_pcalloc(r->pool, sizeof(ngx_http_campaign_webhook_scan_t));
    if (scan == NULL
        || ngx_array_init(&scan->ids, r->pool, 4, sizeof(ngx_str_t))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    scan->provider = lcf->webhook;
    scan->route = route;
    scan->pool = r->pool;

    rc = cmp_record_list(&mcf->store, txn, &cmp_kind_channels, 0,
                         ngx_http_campaign_webhook_scan, scan);

    if (rc != 0 || scan->error) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "campaign webhook: listing channels failed: %s",
                      rc ? cmp_strerror(rc) : "out of memory");
        return NGX_ERROR;
    }

    *ids = &scan->ids;

    return NGX_OK;
}


static int
ngx_http_campaign_webhook_scan(void *data, const char *id, size_t id_len,
    const cmp_record_t *rec)
{
    ngx_http_campaign_webhook_scan_t *scan = data;

    char                   err[64];
    json_t                *json;
    ngx_str_t             *s;
    const char            *type, *route;
    const cmp_provider_t  *p;

    json = cmp_json_parse(rec->json, rec->len, err, sizeof(err));
    if (json == NULL) {
        return 0;
    }

    p = scan->provider;
    type = json_string_value(json_object_get(json, "type"));
    route = (scan->route != NULL)
            ? json_string_value(json_object_get(json_object_get(json,
                                                                p->name),
                                                p->route_field))
            : NULL;

    if (type != NULL && ngx_strcmp(type, p->name) == 0
        && (scan->route == NULL
            || (route != NULL && ngx_strcmp(route, scan->route) == 0)))
    {
        s = ngx_array_push(&scan->ids);

        if (s == NULL || (s->data = ngx_pnalloc(scan->pool, id_len)) == NULL)
        {
            scan->error = 1;
            json_decref(json);
            return 1;
        }

        ngx_memcpy(s->data, id, id_len);
        s->len = id_len;
    }

    json_decref(json);

    return 0;
}


/*
 * One channel's secret against what the request shows: the HMAC-SHA256
 * of body under it equal to sig, or (token) equal to it; both in constant
 * time.  NGX_OK on a match, NGX_DECLINED on none.
 */
static ngx_int_t
ngx_http_campaign_webhook_secret(ngx_http_request_t *r, cmp_txn_t *txn,
    ngx_str_t *channel, const char *name, ngx_str_t *body, u_char *sig,
    ngx_str_t *token)
{
    int                             rc;
    char                            err[64];
    size_t                          len, slen;
    json_t                         *json, *v;
    ngx_int_t                       ok;
    const char                     *s;
    unsigned int                    md_len;
    ngx_http_campaign_main_conf_t  *mcf;
    u_char                          md[EVP_MAX_MD_SIZE];

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    rc = cmp_secret_get(&mcf->store, txn, (char *) channel->data,
                        channel->len, &s, &len);

    if (rc == CMP_NOTFOUND) {
        return NGX_DECLINED;
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "campaign_store: %s", cmp_strerror(rc));
        return NGX_ERROR;
    }

    json = cmp_json_parse(s, len, err, sizeof(err));
    if (json == NULL) {
        return NGX_DECLINED;
    }

    v = json_object_get(json, name);
    s = json_string_value(v);
    slen = json_string_length(v);

    ok = NGX_DECLINED;

    if (s != NULL && slen > 0) {
        if (token != NULL) {
            if (token->len == slen
                && CRYPTO_memcmp(token->data, s, slen) == 0)
            {
                ok = NGX_OK;
            }

        } else if (HMAC(EVP_sha256(), s, (int) slen, body->data, body->len,
                        md, &md_len)
                   != NULL)
        {
            if (md_len == NGX_HTTP_CAMPAIGN_SIG_LEN
                && CRYPTO_memcmp(md, sig, NGX_HTTP_CAMPAIGN_SIG_LEN) == 0)
            {
                ok = NGX_OK;
            }

            OPENSSL_cleanse(md, sizeof(md));
        }

        /* the parsed copy held the secret: do not leave it in the heap */
        OPENSSL_cleanse((void *) s, slen);
    }

    json_decref(json);

    return ok;
}


/* after the writer: a status for a message we never sent is worth a note */
void
ngx_http_campaign_webhook_log(ngx_http_request_t *r)
{
    cmp_webhook_t            *wh;
    ngx_http_campaign_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);

    if (ctx == NULL || ctx->op.data == NULL || ctx->op.code != NULL) {
        return;
    }

    wh = ctx->op.data;

    if (wh->unknown) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "campaign webhook: %ui status event(s) for unknown "
                      "message(s), first \"%s\", kept in the inbox",
                      (ngx_uint_t) wh->unknown, wh->unknown_id);
    }
}


static void
ngx_http_campaign_webhook_cleanup(void *data)
{
    cmp_op_t *op = data;

    cmp_webhook_t  *wh;

    wh = op->data;

    if (wh != NULL && wh->events != NULL) {
        json_decref(wh->events);
        wh->events = NULL;
    }

    cmp_op_free(op);
}
