
/*
 * Channels: a WhatsApp number or a Viber bot that messages go out through.
 * Secrets live in their own database and never in the record.
 */


#ifndef _CMP_CHANNEL_H_INCLUDED_
#define _CMP_CHANNEL_H_INCLUDED_


#include "cmp_op.h"


int cmp_channel_create(cmp_op_t *op);
int cmp_channel_update(cmp_op_t *op);
int cmp_channel_delete(cmp_op_t *op);
int cmp_channel_set_status(cmp_op_t *op, const char *status,
    const char *last_error);
int cmp_channel_reindex_step(cmp_store_t *st, int budget, uint64_t *done,
    int *more);


#endif /* _CMP_CHANNEL_H_INCLUDED_ */
