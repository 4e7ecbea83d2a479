
/*
 * /channels: WhatsApp numbers and Viber bots.  Reads are generic; writes
 * are shared/cmp_channel.c's operations, run by the writer.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"
#include "cmp_channel.h"


ngx_http_campaign_route_t  ngx_http_campaign_channel_routes[] = {

    ngx_http_campaign_route("channels", "", 0, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_list, NULL,
                            &cmp_kind_channels),

    ngx_http_campaign_route("channels", "", 0, NGX_HTTP_POST,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_channel_create, &cmp_kind_channels),

    ngx_http_campaign_route("channels", "", 1, NGX_HTTP_GET|NGX_HTTP_HEAD, 0,
                            ngx_http_campaign_read_record, NULL,
                            &cmp_kind_channels),

    ngx_http_campaign_route("channels", "", 1, NGX_HTTP_PATCH,
                            NGX_HTTP_CAMPAIGN_BODY_JSON, NULL,
                            cmp_channel_update, &cmp_kind_channels),

    ngx_http_campaign_route("channels", "", 1, NGX_HTTP_DELETE, 0, NULL,
                            cmp_channel_delete, &cmp_kind_channels),

    ngx_http_campaign_null_route
};
