
/*
 * Marketing campaigns: a published manual flow sent to a group on an
 * execution plan; the state machine and the status index lists scan.
 */


#ifndef _CMP_CAMPAIGN_H_INCLUDED_
#define _CMP_CAMPAIGN_H_INCLUDED_


#include "cmp_op.h"


#define CMP_CAMPAIGN_STATUS_INDEX   "campaign_status"


typedef enum {
    CMP_CAMPAIGN_PENDING = 0,
    CMP_CAMPAIGN_RUNNING,
    CMP_CAMPAIGN_PAUSED,
    CMP_CAMPAIGN_COMPLETED,
    CMP_CAMPAIGN_NSTATUS
} cmp_campaign_status_e;


/* what the status index keeps of a campaign, so lists filter unread */
typedef struct {
    const char     *id;
    size_t          id_len;
    const char     *flow_id;
    size_t          flow_id_len;
    const char     *group_id;
    size_t          group_id_len;
    const char     *folded_name;
    size_t          folded_name_len;
    uint64_t        seq;
    int             status;
} cmp_campaign_entry_t;


typedef int (*cmp_campaign_visit_pt)(void *ctx,
    const cmp_campaign_entry_t *entry);


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

int cmp_campaign_status_parse(const char *s, size_t len);
int cmp_campaign_scan(cmp_store_t *st, cmp_txn_t *txn, unsigned statuses,
    uint64_t before_seq, cmp_campaign_visit_pt visit, void *ctx);
size_t cmp_fold(char *dst, const char *src, size_t len);


#endif /* _CMP_CAMPAIGN_H_INCLUDED_ */
