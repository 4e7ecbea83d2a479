
/*
 * Provider callbacks: a provider's handshake, signatures checked in
 * constant time, and events applied through the group commit.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#if (OPENSSL_VERSION_NUMBER >= 0x30000000L)
#include <openssl/core_names.h>
#define NGX_HTTP_CAMPAIGN_EVP_MAC  1
#endif

#include "ngx_http_campaign_module.h"
#include "cmp_json_raw.h"
#include "cmp_webhook.h"


#define NGX_HTTP_CAMPAIGN_SIG_LEN   32      /* SHA-256 */


/*
 * A channel's signing secret, copied out of the store and cleansed after;
 * on its caller's stack, so a request allocates and clears no 4 KB for it.
 */
typedef struct {
    ngx_str_t                    channel;
    size_t                       len;
    u_char                       data[4096 + 1];    /* and its NUL */
} ngx_http_campaign_webhook_key_t;


#if (NGX_HTTP_CAMPAIGN_EVP_MAC)
static EVP_MAC_CTX   *ngx_http_campaign_webhook_mac_ctx;
static ngx_uint_t     ngx_http_campaign_webhook_mac_tried;

/* after each use it is keyed with this: no secret stays in the worker */
static const u_char   ngx_http_campaign_webhook_no_key[1];
#endif


static ngx_int_t ngx_http_campaign_webhook_handler(ngx_http_request_t *r);
static void ngx_http_campaign_webhook_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_webhook_post(ngx_http_request_t *r,
    ngx_http_campaign_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_campaign_webhook_verify(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_webhook_signature(ngx_http_request_t *r,
    u_char *sig);
static ngx_int_t ngx_http_campaign_webhook_route(ngx_http_request_t *r,
    cmp_txn_t *txn, cmp_webhook_t *wh, ngx_str_t *body, u_char *sig);
static ngx_int_t ngx_http_campaign_webhook_accept(ngx_http_request_t *r,
    cmp_txn_t *txn, ngx_http_campaign_webhook_key_t *key, const char *id,
    size_t id_len, ngx_str_t *body, u_char *sig);
static void ngx_http_campaign_webhook_assign(cmp_webhook_t *wh,
    json_t *route, const char *id, size_t id_len, const char *why);
static ngx_int_t ngx_http_campaign_webhook_signer(ngx_http_request_t *r,
    cmp_txn_t *txn, cmp_webhook_t *wh, ngx_str_t *body, u_char *sig);
static ngx_int_t ngx_http_campaign_webhook_named(ngx_http_request_t *r,
    cmp_txn_t *txn, cmp_webhook_t *wh, ngx_str_t *channel);
static ngx_int_t ngx_http_campaign_webhook_secret(ngx_http_request_t *r,
    cmp_txn_t *txn, const char *id, size_t id_len, const char *name,
    ngx_http_campaign_webhook_key_t *key);
static ngx_http_campaign_webhook_key_t *ngx_http_campaign_webhook_key_init(
    ngx_http_campaign_webhook_key_t *key);
#if (NGX_HTTP_CAMPAIGN_EVP_MAC)
static EVP_MAC_CTX *ngx_http_campaign_webhook_mac(void);
#endif
static ngx_int_t ngx_http_campaign_webhook_hmac(
    ngx_http_campaign_webhook_key_t *key, ngx_str_t *body, u_char *sig);
static void ngx_http_campaign_webhook_skipped(ngx_http_request_t *r,
    cmp_webhook_t *wh);
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
    cmp_txn_t                        *txn;
    ngx_int_t                       ok;
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
    ctx->op.rerun = 1;

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
        /* callbacks that do not name the channel: the location does */
        ok = ngx_http_campaign_webhook_signer(r, txn, wh, body, sig);
    }

    ngx_http_campaign_read_end(r);

    if (ok == NGX_HTTP_BAD_REQUEST) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "invalid_payload", NULL, "%s", err);
    }

    if (ok == NGX_DECLINED) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_UNAUTHORIZED,
                   "invalid_signature", NULL, "%s",
                   wh->refused ? wh->refused
                   : "the signature matches no channel's secret");
    }

    if (ok != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_campaign_webhook_skipped(r, wh);

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
 * Each route (WhatsApp: phone_number_id) the payload names is looked up
 * in the provider's route index: one lookup a route, never a scan.  The
 * first known channel's signing secret costs the one HMAC; a forgery
 * stops there.  Other known channels are accepted when their secret is
 * the one that signed (one Meta app signs for all its numbers); events
 * of unknown routes, or of channels of another app, are skipped.
 */
static ngx_int_t
ngx_http_campaign_webhook_route(ngx_http_request_t *r, cmp_txn_t *txn,
    cmp_webhook_t *wh, ngx_str_t *body, u_char *sig)
{
    int                               rc;
    char                              id[CMP_ID_MAX + 1], why[200];
    size_t                            i, id_len;
    json_t                           *ev, *route;
    ngx_int_t                         ok;
    const char                       *s;
    const cmp_provider_t             *p;
    ngx_http_campaign_main_conf_t    *mcf;
    ngx_http_campaign_webhook_key_t  *key, buf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);
    p = wh->provider;

    key = ngx_http_campaign_webhook_key_init(&buf);

    wh->refused = "the payload names no known channel";
    ok = NGX_OK;

    json_array_foreach(wh->events, i, ev) {
        route = json_object_get(ev, "route");
        s = json_string_value(route);

        if (s == NULL || json_object_get(ev, "channel_id") != NULL
            || json_is_true(json_object_get(ev, "unrouted")))
        {
            continue;
        }

        rc = cmp_index_get(&mcf->store, txn, p->route_index, s,
                           ngx_strlen(s), id, &id_len);

        if (rc == CMP_NOTFOUND) {
            snprintf(why, sizeof(why), "no %s channel has %s \"%s\"",
                     p->title, p->route_field, s);
            ngx_http_campaign_webhook_assign(wh, route, NULL, 0, why);
            continue;
        }

        if (rc != 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "campaign_store: %s", cmp_strerror(rc));
            ok = NGX_ERROR;
            break;
        }

        ok = ngx_http_campaign_webhook_accept(r, txn, key, id, id_len, body,
                                              sig);

        if (ok == NGX_ERROR || ok == NGX_ABORT) {
            break;
        }

        if (ok == NGX_DECLINED) {
            snprintf(why, sizeof(why), "%s channel \"%s\" (%s \"%s\") has "
                     "no %s, or another than the one that signed",
                     p->title, id, p->route_field, s, p->signing_secret);
            ngx_http_campaign_webhook_assign(wh, route, NULL, 0, why);
            ok = NGX_OK;
            continue;
        }

        ngx_http_campaign_webhook_assign(wh, route, id, id_len, NULL);
    }

    if (ok == NGX_ABORT) {
        /* the one HMAC did not match: a forgery, or a wrong secret */
        wh->refused = NULL;
        ok = NGX_DECLINED;

    } else if (ok == NGX_OK && key->channel.len == 0) {
        ok = NGX_DECLINED;
    }

    OPENSSL_cleanse(key->data, key->len);

    return ok;
}


/*
 * A known channel of the payload: the first with a signing secret is
 * checked by HMAC (NGX_ABORT: no match); the next ones only compare
 * their secret with it.  NGX_DECLINED: this channel cannot be accepted.
 */
static ngx_int_t
ngx_http_campaign_webhook_accept(ngx_http_request_t *r, cmp_txn_t *txn,
    ngx_http_campaign_webhook_key_t *key, const char *id, size_t id_len,
    ngx_str_t *body, u_char *sig)
{
    ngx_int_t                         ok;
    cmp_webhook_t                    *wh;
    ngx_http_campaign_ctx_t          *ctx;
    ngx_http_campaign_webhook_key_t  *other, buf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_campaign_module);
    wh = ctx->op.data;

    if (key->channel.len == 0) {
        ok = ngx_http_campaign_webhook_secret(r, txn, id, id_len,
                                              wh->provider->signing_secret,
                                              key);
        if (ok != NGX_OK) {
            return ok;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "campaign webhook: checking the signature with "
                       "channel \"%V\"'s secret", &key->channel);

        if (ngx_http_campaign_webhook_hmac(key, body, sig) != NGX_OK) {
            return NGX_ABORT;
        }

        return NGX_OK;
    }

    if (key->channel.len == id_len
        && ngx_memcmp(key->channel.data, id, id_len) == 0)
    {
        return NGX_OK;
    }

    other = ngx_http_campaign_webhook_key_init(&buf);

    ok = ngx_http_campaign_webhook_secret(r, txn, id, id_len,
                                          wh->provider->signing_secret,
                                          other);

    if (ok == NGX_OK
        && (other->len != key->len
            || CRYPTO_memcmp(other->data, key->data, key->len) != 0))
    {
        ok = NGX_DECLINED;
    }

    OPENSSL_cleanse(other->data, other->len);

    return ok;
}


/* the events of one route: to channel id, or (id NULL) skipped for why */
static void
ngx_http_campaign_webhook_assign(cmp_webhook_t *wh, json_t *route,
    const char *id, size_t id_len, const char *why)
{
    size_t   i;
    json_t  *ev;

    json_array_foreach(wh->events, i, ev) {
        if (json_object_get(ev, "channel_id") != NULL
            || json_is_true(json_object_get(ev, "unrouted"))
            || !json_equal(json_object_get(ev, "route"), route))
        {
            continue;
        }

        if (id != NULL) {
            json_object_set_new(ev, "channel_id", json_stringn(id, id_len));
            continue;
        }

        json_object_set_new(ev, "type", json_string("ignored"));
        json_object_set_new(ev, "why", json_string(why));
        json_object_set_new(ev, "unrouted", json_true());
    }
}


/*
 * Callbacks that do not name their channel (Viber): the location's
 * channel=, else the URL's ?channel=, else the channel of the message an
 * event is about; one lookup and one HMAC, never a scan.
 */
static ngx_int_t
ngx_http_campaign_webhook_signer(ngx_http_request_t *r, cmp_txn_t *txn,
    cmp_webhook_t *wh, ngx_str_t *body, u_char *sig)
{
    size_t                            i;
    json_t                           *ev;
    ngx_int_t                         ok;
    ngx_str_t                         channel;
    ngx_http_campaign_webhook_key_t  *key, buf;

    ok = ngx_http_campaign_webhook_named(r, txn, wh, &channel);
    if (ok != NGX_OK) {
        return ok;
    }

    key = ngx_http_campaign_webhook_key_init(&buf);

    ok = ngx_http_campaign_webhook_secret(r, txn, (char *) channel.data,
                                          channel.len,
                                          wh->provider->signing_secret,
                                          key);

    if (ok == NGX_OK) {
        ok = ngx_http_campaign_webhook_hmac(key, body, sig);
    }

    OPENSSL_cleanse(key->data, key->len);

    if (ok != NGX_OK) {
        return ok;
    }

    json_array_foreach(wh->events, i, ev) {
        json_object_set_new(ev, "channel_id",
                            json_stringn((char *) channel.data,
                                         channel.len));
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_campaign_webhook_named(ngx_http_request_t *r, cmp_txn_t *txn,
    cmp_webhook_t *wh, ngx_str_t *channel)
{
    int                             rc;
    size_t                          len;
    u_char                         *id;
    ngx_http_campaign_loc_conf_t   *lcf;
    ngx_http_campaign_main_conf_t  *mcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    if (lcf->webhook_channel.len) {
        *channel = lcf->webhook_channel;
        return NGX_OK;
    }

    if (ngx_http_campaign_query_arg(r, "channel", 0, channel) == NGX_OK
        && channel->len > 0 && channel->len <= CMP_ID_MAX)
    {
        return NGX_OK;
    }

    id = ngx_pnalloc(r->pool, CMP_ID_MAX + 1);
    if (id == NULL) {
        return NGX_ERROR;
    }

    rc = cmp_webhook_channel(&mcf->store, txn, wh->events, (char *) id,
                             &len);

    if (rc == CMP_NOTFOUND) {
        wh->refused = "the callback names no channel: add ?channel=<id> "
                      "to the webhook URL";
        return NGX_DECLINED;
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "campaign_store: %s", cmp_strerror(rc));
        return NGX_ERROR;
    }

    channel->data = id;
    channel->len = len;

    return NGX_OK;
}


/*
 * The provider's handshake (WhatsApp: GET ?hub.mode=subscribe&
 * hub.verify_token=T&hub.challenge=C): the challenge back when T is the
 * verify secret of one of its channels, found through an index of the
 * tokens' hashes and compared in constant time.
 */
static ngx_int_t
ngx_http_campaign_webhook_verify(ngx_http_request_t *r)
{
    int                               rc;
    char                              hash[CMP_PROVIDER_TOKEN_KEY + 1];
    char                              id[CMP_ID_MAX + 1];
    size_t                            id_len, n;
    cmp_txn_t                          *txn;
    ngx_int_t                         ok;
    ngx_str_t                         mode, token, challenge;
    const cmp_provider_t             *p;
    ngx_http_campaign_loc_conf_t     *lcf;
    ngx_http_campaign_main_conf_t    *mcf;
    ngx_http_campaign_webhook_key_t  *key, buf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);
    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);
    p = lcf->webhook;

    if (ngx_http_campaign_query_arg(r, p->verify_mode, 0, &mode) != NGX_OK
        || ngx_http_campaign_query_arg(r, p->verify_token, 0, &token)
           != NGX_OK
        || ngx_http_campaign_query_arg(r, p->verify_challenge, 0,
                                       &challenge)
           != NGX_OK
        || mode.len != 9 || ngx_strncmp(mode.data, "subscribe", 9) != 0
        || token.len == 0 || token.len > 4096
        || challenge.len == 0 || challenge.len > 1024)
    {
        return ngx_http_campaign_send_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", NULL, "not a subscription handshake");
    }

    key = ngx_http_campaign_webhook_key_init(&buf);

    txn = ngx_http_campaign_read_begin(r);
    if (txn == NULL) {
        return ngx_http_campaign_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                   "store_unavailable", NULL, "cannot read the store");
    }

    n = cmp_provider_token_key((char *) token.data, token.len, hash);

    rc = cmp_index_get(&mcf->store, txn, p->verify_index, hash, n, id,
                       &id_len);

    if (rc == 0) {
        ok = ngx_http_campaign_webhook_secret(r, txn, id, id_len,
                                              p->verify_secret, key);

        if (ok == NGX_OK
            && (token.len != key->len
                || CRYPTO_memcmp(token.data, key->data, key->len) != 0))
        {
            ok = NGX_DECLINED;
        }

    } else if (rc == CMP_NOTFOUND) {
        ok = NGX_DECLINED;

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "campaign_store: %s", cmp_strerror(rc));
        ok = NGX_ERROR;
    }

    OPENSSL_cleanse(key->data, key->len);

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


/* an empty key: nothing of its 4 KB is cleared but what a secret fills */
static ngx_http_campaign_webhook_key_t *
ngx_http_campaign_webhook_key_init(ngx_http_campaign_webhook_key_t *key)
{
    ngx_str_null(&key->channel);
    key->len = 0;

    return key;
}


/* a channel's secret called name, into key; NGX_DECLINED: it has none */
static ngx_int_t
ngx_http_campaign_webhook_secret(ngx_http_request_t *r, cmp_txn_t *txn,
    const char *id, size_t id_len, const char *name,
    ngx_http_campaign_webhook_key_t *key)
{
    int                             rc;
    size_t                          len;
    const char                     *s;
    cmp_json_field_t                f[1];
    ngx_http_campaign_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_campaign_module);

    rc = cmp_secret_get(&mcf->store, txn, id, id_len, &s, &len);

    if (rc == CMP_NOTFOUND) {
        return NGX_DECLINED;
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "campaign_store: %s", cmp_strerror(rc));
        return NGX_ERROR;
    }

    /* read in place, unescaped straight into the key */
    f[0].name = name;

    if (cmp_json_raw_find(s, len, f, 1) != 0
        || cmp_json_raw_value_string(f[0].value, f[0].len,
                                     (char *) key->data, sizeof(key->data))
           != 0
        || key->data[0] == '\0')
    {
        return NGX_DECLINED;
    }

    key->len = ngx_strlen(key->data);

    key->channel.data = ngx_pnalloc(r->pool, id_len);
    if (key->channel.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(key->channel.data, id, id_len);
    key->channel.len = id_len;

    return NGX_OK;
}


#if (NGX_HTTP_CAMPAIGN_EVP_MAC)

/*
 * One HMAC context a worker, keyed anew for each request.  HMAC() looks
 * the MAC and its digest up by name on every call, in OpenSSL 3 several
 * times the cost of hashing a webhook's body; the context keeps both.
 * NULL when OpenSSL refused: HMAC() is used instead, as before OpenSSL 3.
 */
static EVP_MAC_CTX *
ngx_http_campaign_webhook_mac(void)
{
    EVP_MAC      *mac;
    OSSL_PARAM    params[2];
    EVP_MAC_CTX  *ctx;

    if (ngx_http_campaign_webhook_mac_ctx != NULL
        || ngx_http_campaign_webhook_mac_tried)
    {
        return ngx_http_campaign_webhook_mac_ctx;
    }

    ngx_http_campaign_webhook_mac_tried = 1;

    mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (mac == NULL) {
        return NULL;
    }

    /* the context holds its own reference to the MAC */
    ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);

    if (ctx == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }

    ngx_http_campaign_webhook_mac_ctx = ctx;

    return ctx;
}

#endif


void
ngx_http_campaign_webhook_exit(void)
{
#if (NGX_HTTP_CAMPAIGN_EVP_MAC)
    EVP_MAC_CTX_free(ngx_http_campaign_webhook_mac_ctx);
    ngx_http_campaign_webhook_mac_ctx = NULL;
#endif
}


/* the HMAC-SHA256 of body under key equal to sig, in constant time */
static ngx_int_t
ngx_http_campaign_webhook_hmac(ngx_http_campaign_webhook_key_t *key,
    ngx_str_t *body, u_char *sig)
{
    size_t        md_len;
    u_char        md[EVP_MAX_MD_SIZE];
    ngx_int_t     ok;
    unsigned int  n;
#if (NGX_HTTP_CAMPAIGN_EVP_MAC)
    EVP_MAC_CTX  *mac;
#endif

    ok = NGX_DECLINED;
    md_len = 0;

#if (NGX_HTTP_CAMPAIGN_EVP_MAC)
    mac = ngx_http_campaign_webhook_mac();

    if (mac != NULL) {
        if (EVP_MAC_init(mac, key->data, key->len, NULL) != 1
            || EVP_MAC_update(mac, body->data, body->len) != 1
            || EVP_MAC_final(mac, md, &md_len, sizeof(md)) != 1)
        {
            md_len = 0;
        }

        /*
         * The context keeps a copy of its key until it is keyed again,
         * and a worker's core dump would show it: keyed with none now.
         */
        if (EVP_MAC_init(mac, ngx_http_campaign_webhook_no_key,
                         sizeof(ngx_http_campaign_webhook_no_key), NULL)
            != 1)
        {
            EVP_MAC_CTX_free(mac);
            ngx_http_campaign_webhook_mac_ctx = NULL;
        }

    } else
#endif
    if (HMAC(EVP_sha256(), key->data, (int) key->len, body->data, body->len,
             md, &n)
        != NULL)
    {
        md_len = n;
    }

    if (md_len == NGX_HTTP_CAMPAIGN_SIG_LEN
        && CRYPTO_memcmp(md, sig, NGX_HTTP_CAMPAIGN_SIG_LEN) == 0)
    {
        ok = NGX_OK;
    }

    OPENSSL_cleanse(md, sizeof(md));

    return ok;
}


/* events of a signed batch that could not be used: at info, then skipped */
static void
ngx_http_campaign_webhook_skipped(ngx_http_request_t *r, cmp_webhook_t *wh)
{
    size_t       i, n;
    json_t      *ev;
    const char  *type;

    n = 0;

    json_array_foreach(wh->events, i, ev) {
        type = json_string_value(json_object_get(ev, "type"));

        if (type == NULL || ngx_strcmp(type, "ignored") != 0
            || json_object_get(ev, "why") == NULL)
        {
            continue;
        }

        /* a few lines say enough about one batch */
        if (n++ < 8) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "campaign webhook: %s event skipped: %s",
                          wh->provider->title,
                          json_string_value(json_object_get(ev, "why")));
        }
    }

    if (n > 8) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "campaign webhook: %uz more %s event(s) skipped",
                      n - 8, wh->provider->title);
    }
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
