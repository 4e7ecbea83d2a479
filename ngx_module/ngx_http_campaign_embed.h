
/*
 * Files the module serves as they are, compiled in at build time
 * (ngx_http_campaign_embed.sh writes the tables): the console's pages and
 * the API's OpenAPI document.
 */


#ifndef _NGX_HTTP_CAMPAIGN_EMBED_H_INCLUDED_
#define _NGX_HTTP_CAMPAIGN_EMBED_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef struct {
    ngx_str_t                    name;      /* "app.js", as in the URI */
    ngx_str_t                    type;      /* Content-Type */
    ngx_str_t                    etag;      /* quoted, from the bytes */
    const u_char                *data;
    size_t                       len;
} ngx_http_campaign_embedded_t;


/* each ends with an entry whose name is empty */
extern const ngx_http_campaign_embedded_t  ngx_http_campaign_console_files[];
extern const ngx_http_campaign_embedded_t  ngx_http_campaign_api_files[];


#endif /* _NGX_HTTP_CAMPAIGN_EMBED_H_INCLUDED_ */
