
/*
 * campaign_console: serves the marketer's console, the page files the build
 * compiled into the module, and tells the page where its API answers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "ngx_http_campaign_embed.h"


static ngx_int_t ngx_http_campaign_console_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_campaign_console_config(ngx_http_request_t *r,
    ngx_http_campaign_loc_conf_t *lcf);
static ngx_int_t ngx_http_campaign_console_headers(ngx_http_request_t *r);


/*
 * The page needs nothing but itself and the API on the same origin: no
 * inline script or style, no eval, no framing (clickjacking), no forms
 * posted anywhere.
 */
#define NGX_HTTP_CAMPAIGN_CONSOLE_CSP                                         \
    "default-src 'self'; script-src 'self'; style-src 'self'; "              \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "          \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


static ngx_str_t  ngx_http_campaign_console_index = ngx_string("index.html");
static ngx_str_t  ngx_http_campaign_console_json =
    ngx_string("application/json");


/* campaign_console [api=uri]; */
char *
ngx_http_campaign_console(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_campaign_loc_conf_t *lcf = conf;

    u_char                    *p;
    ngx_str_t                 *value, api;
    ngx_http_core_loc_conf_t  *clcf;

    if (lcf->console_api.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    ngx_str_set(&api, "/api/");

    if (cf->args->nelts == 2) {
        if (ngx_strncmp(value[1].data, "api=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": \"api=uri\" is "
                               "expected", &value[1]);
            return NGX_CONF_ERROR;
        }

        api.data = value[1].data + 4;
        api.len = value[1].len - 4;
    }

    /*
     * The prefix reaches the page inside a JSON string and is joined with
     * paths there: an absolute path of plain characters keeps both simple.
     */
    if (api.len == 0 || api.data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid api \"%V\": an absolute URI path such "
                           "as \"/api/\" is expected", &api);
        return NGX_CONF_ERROR;
    }

    for (p = api.data; p < api.data + api.len; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\'
            || *p == '?' || *p == '#')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid api \"%V\": a URI path without "
                               "spaces, quotes, \"?\" or \"#\" is expected",
                               &api);
            return NGX_CONF_ERROR;
        }
    }

    /* "api=/v1" answers at /v1/campaigns, as "location /v1" does */
    if (api.data[api.len - 1] == '/') {
        lcf->console_api = api;

    } else {
        lcf->console_api.len = api.len + 1;
        lcf->console_api.data = ngx_pnalloc(cf->pool, api.len + 1);
        if (lcf->console_api.data == NULL) {
            return NGX_CONF_ERROR;
        }

        p = ngx_cpymem(lcf->console_api.data, api.data, api.len);
        *p = '/';
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_PCRE)
    /* a file's name is what follows the prefix: a regex has no prefix */
    if (clcf->regex) {
        return "cannot be used in a regex location";
    }
#endif

    clcf->handler = ngx_http_campaign_console_handler;
    lcf->console_prefix = clcf->name;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_campaign_console_handler(ngx_http_request_t *r)
{
    ngx_int_t                                rc;
    ngx_str_t                                name;
    ngx_http_campaign_loc_conf_t            *lcf;
    const ngx_http_campaign_embedded_t  *file;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        if (ngx_http_campaign_add_header(r, "Allow", (u_char *) "GET, HEAD",
                                         sizeof("GET, HEAD") - 1)
            == NULL)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_ALLOWED,
                   "method_not_allowed", NULL,
                   "the console answers GET and HEAD only");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_campaign_module);

    /* what follows the location's prefix; the prefix alone is the page */
    name.data = r->uri.data + lcf->console_prefix.len;
    name.len = 0;

    if (r->uri.len > lcf->console_prefix.len) {
        name.len = r->uri.len - lcf->console_prefix.len;
    }

    if (name.len == 0) {
        name = ngx_http_campaign_console_index;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "campaign console: \"%V\"", &name);

    if (name.len == sizeof("config.json") - 1
        && ngx_strncmp(name.data, "config.json", name.len) == 0)
    {
        return ngx_http_campaign_console_config(r, lcf);
    }

    /* a dozen files: a walk costs less than building a hash */
    for (file = ngx_http_campaign_console_files; file->name.len; file++) {
        if (file->name.len == name.len
            && ngx_strncmp(file->name.data, name.data, name.len) == 0)
        {
            if (ngx_http_campaign_console_headers(r) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            return ngx_http_campaign_send_static(r, &file->type,
                                                 &file->etag, file->data,
                                                 file->len);
        }
    }

    return ngx_http_campaign_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        NULL, "no such console file");
}


/* where the page finds its API: the one thing that differs per location */
static ngx_int_t
ngx_http_campaign_console_config(ngx_http_request_t *r,
    ngx_http_campaign_loc_conf_t *lcf)
{
    u_char  *p, *last;
    size_t   len;

    len = sizeof("{\"api\":\"\"}") - 1 + lcf->console_api.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the directive let through no character that JSON must escape */
    last = ngx_sprintf(p, "{\"api\":\"%V\"}", &lcf->console_api);

    if (ngx_http_campaign_console_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_campaign_send_static(r, &ngx_http_campaign_console_json,
                                         NULL, p, last - p);
}


static ngx_int_t
ngx_http_campaign_console_headers(ngx_http_request_t *r)
{
    ngx_uint_t  i;

    static struct {
        const char  *name;
        const char  *value;
    }  headers[] = {
        { "Content-Security-Policy", NGX_HTTP_CAMPAIGN_CONSOLE_CSP },
        { "X-Content-Type-Options", "nosniff" },
        { "X-Frame-Options", "DENY" },
        { "Referrer-Policy", "no-referrer" },

        /*
         * The file names carry no version: a browser asks again each
         * time and mostly gets a 304; the page never outlives an upgrade.
         */
        { "Cache-Control", "no-cache" },
    };

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        if (ngx_http_campaign_add_header(r, headers[i].name,
                                         (u_char *) headers[i].value,
                                         ngx_strlen(headers[i].value))
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}
