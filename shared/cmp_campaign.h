
/*
 * Marketing campaigns: a published manual flow sent to a group on an
 * execution plan; the state machine and the status index lists scan.
 */


#ifndef _CMP_CAMPAIGN_H_INCLUDED_
#define _CMP_CAMPAIGN_H_INCLUDED_


#include "cmp_op.h"


typedef enum {
    CMP_CAMPAIGN_PENDING = 0,
    CMP_CAMPAIGN_RUNNING,
    CMP_CAMPAIGN_PAUSED,
    CMP_CAMPAIGN_COMPLETED,
    CMP_CAMPAIGN_NSTATUS
} cmp_campaign_status_e;


extern const char *const  cmp_campaign_statuses[];


int cmp_campaign_create(cmp_op_t *op);
int cmp_campaign_update(cmp_op_t *op);
int cmp_campaign_suspend(cmp_op_t *op);
int cmp_campaign_delete(cmp_op_t *op);
int cmp_campaign_set_status(cmp_op_t *op, cmp_campaign_status_e status,
    const char *last_error);
int cmp_campaign_set_runs(cmp_op_t *op, int64_t runs, int64_t missed_runs,
    int64_t next_run_at);
int cmp_campaign_set_error(cmp_op_t *op, const char *error, int set);

/* the status index and its scan are the store's: cmp_index.h */
int cmp_campaign_status_parse(const char *s, size_t len);
size_t cmp_fold(char *dst, const char *src, size_t len);


#endif /* _CMP_CAMPAIGN_H_INCLUDED_ */
