
/*
 * /contacts: routes of this resource (see ../shared/spec/api.md).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_campaign_module.h"


ngx_http_campaign_route_t  ngx_http_campaign_contact_routes[] = {

    ngx_http_campaign_null_route
};
