
/*
 * Campaign transitions in a write txn each (the API may change the same
 * campaign at the same moment), runs fired on the plan, fills in chunks.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_scheduler.h"
#include "cmp_campaign.h"
#include "cmp_counter.h"
#include "cmp_group.h"
#include "cmp_schedule.h"
#include "cmp_engine.h"
#include "cmp_message.h"
#include "cmp_instance.h"
#include "cmp_queue.h"
#include "cmp_timer.h"


#define CMP_SCHED_MAX   4096


typedef struct {
    char            id[CMP_ID_MAX + 1];
    int             status;
} cmp_sched_item_t;


typedef struct {
    cmp_sched_item_t   *items;
    size_t              n;
    cmp_store_t        *st;
    cmp_txn_t          *txn;
} cmp_sched_list_t;


/* the fills a pass works on */
#define CMP_FILL_JOBS   16


typedef struct {
    cmp_campaignd_t    *cd;
    cmp_txn_t          *txn;
    int64_t             now;
    json_t             *campaign;
    json_t             *counted;      /* {"campaign_id","run"} */
    uint32_t            run;
    size_t              done;
    int                 rc;
    char                last[CMP_ID_MAX + 1];
    size_t              last_len;
} cmp_fill_t;


static int cmp_scheduler_visit(void *ctx, const cmp_campaign_entry_t *e);
static int cmp_scheduler_step(cmp_campaignd_t *cd, const char *id,
    int64_t now);
static int cmp_scheduler_apply(cmp_campaignd_t *cd, cmp_op_t *op,
    json_t *rec, int64_t now);
static int cmp_scheduler_fire(cmp_op_t *op, json_t *rec,
    const cmp_schedule_step_t *step, int64_t now);
static int cmp_scheduler_fill_one(cmp_campaignd_t *cd, const char *id,
    uint32_t run, const char *after, size_t after_len, int64_t now);
static int cmp_scheduler_fill_visit(void *ctx, const char *id, size_t len,
    const cmp_record_t *rec);
static void cmp_scheduler_failed(cmp_campaignd_t *cd, const char *id,
    uint32_t run, const char *what, int rc);


static int
cmp_scheduler_visit(void *ctx, const cmp_campaign_entry_t *e)
{
    cmp_sched_list_t *l = ctx;

    char  id[CMP_ID_MAX + 1];

    if (l->n == CMP_SCHED_MAX || e->id_len > CMP_ID_MAX) {
        return 0;
    }

    memcpy(id, e->id, e->id_len);
    id[e->id_len] = '\0';

    /* stopped campaigns matter only while instances of them live */
    if ((e->status == CMP_CAMPAIGN_PAUSED
         || e->status == CMP_CAMPAIGN_COMPLETED)
        && !cmp_live_any(l->st, l->txn, id, e->id_len))
    {
        return 0;
    }

    memcpy(l->items[l->n].id, id, e->id_len + 1);
    l->items[l->n].status = e->status;
    l->n++;

    return 0;
}


/* once a second: every campaign that time may change */
void
cmp_scheduler_tick(cmp_campaignd_t *cd, int64_t now)
{
    int               rc;
    size_t            i;
    cmp_txn_t        *txn;
    cmp_sched_list_t  l;

    l.items = malloc(CMP_SCHED_MAX * sizeof(cmp_sched_item_t));
    if (l.items == NULL) {
        return;
    }

    l.n = 0;
    l.st = &cd->store;

    rc = cmp_store_txn_begin(&cd->store, NULL, CMP_RDONLY, &txn);

    if (rc == 0) {
        l.txn = txn;
        rc = cmp_campaign_scan(&cd->store, txn,
                               (1u << CMP_CAMPAIGN_PENDING)
                               | (1u << CMP_CAMPAIGN_RUNNING)
                               | (1u << CMP_CAMPAIGN_PAUSED)
                               | (1u << CMP_CAMPAIGN_COMPLETED),
                               0, cmp_scheduler_visit, &l);
        cmp_txn_abort(txn);
    }

    if (rc != 0) {
        cmp_log_error(&cd->log, CMP_LOG_ERR, "scanning campaigns failed: %s",
                      cmp_strerror(rc));
    }

    for (i = 0; i < l.n; i++) {
        if (l.items[i].status == CMP_CAMPAIGN_PENDING
            || l.items[i].status == CMP_CAMPAIGN_RUNNING)
        {
            (void) cmp_scheduler_step(cd, l.items[i].id, now);
        }
    }

    /* instances of stopped campaigns: cancelled, a chunk a tick at least */
    for (i = 0; i < l.n; i++) {
        if (l.items[i].status != CMP_CAMPAIGN_PAUSED
            && l.items[i].status != CMP_CAMPAIGN_COMPLETED)
        {
            continue;
        }

        while (cmp_engine_cancel(cd->engine, l.items[i].id,
                                 strlen(l.items[i].id),
                                 (l.items[i].status == CMP_CAMPAIGN_PAUSED)
                                 ? CMP_SKIP_SUSPENDED : CMP_SKIP_PAST_END,
                                 now))
        {
            /* void */
        }
    }

    free(l.items);
}


static int
cmp_scheduler_step(cmp_campaignd_t *cd, const char *id, int64_t now)
{
    int            rc;
    json_t        *rec, *body;
    cmp_op_t       op;
    cmp_record_t   meta;

    body = json_object();

    cmp_op_init(&op, &cd->store, NULL, &cmp_kind_campaigns);
    op.now = now;
    op.body = body;
    op.id_len = strlen(id);
    memcpy(op.id, id, op.id_len + 1);

    rc = cmp_store_txn_begin(&cd->store, NULL, 0, &op.txn);
    if (rc != 0) {
        json_decref(body);
        return -1;
    }

    rc = CMP_FAIL;

    if (cmp_resource_load(&op, &rec, &meta) == CMP_OK) {
        rc = cmp_scheduler_apply(cd, &op, rec, now);
        json_decref(rec);
    }

    if (rc == 1) {
        cmp_txn_abort(op.txn);
        rc = 0;

    } else if (rc == CMP_OK) {
        rc = cmp_txn_commit(op.txn);

        if (rc == CMP_MAP_FULL) {
            cmp_full_note(&cd->full, id);

        } else if (rc != 0) {
            cmp_log_error(&cd->log, CMP_LOG_ERR, "campaign %s: commit "
                          "failed: %s", id, cmp_strerror(rc));
        }

    } else if (op.status == 507) {
        /* cmp_op_store_error() of CMP_MAP_FULL: told by cmp_full.c */
        cmp_full_note(&cd->full, id);
        cmp_txn_abort(op.txn);

    } else {
        cmp_log_error(&cd->log, CMP_LOG_ERR, "campaign %s: %s", id,
                      op.message);
        cmp_txn_abort(op.txn);
    }

    cmp_op_free(&op);
    json_decref(body);

    return rc;
}


/* CMP_OK: changed, commit; 1: nothing to do */
static int
cmp_scheduler_apply(cmp_campaignd_t *cd, cmp_op_t *op, json_t *rec,
    int64_t now)
{
    int                   rc, status;
    int64_t               next_due, runs, missed;
    const char           *s;
    cmp_plan_t            plan;
    cmp_schedule_step_t   step;

    s = json_string_value(json_object_get(rec, "status"));
    status = s ? cmp_campaign_status_parse(s, strlen(s)) : -1;

    if (cmp_plan_read(rec, cd->minute, &plan) != 0) {
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "its times or plan are unreadable");
    }

    runs = json_integer_value(json_object_get(rec, "runs"));
    missed = json_integer_value(json_object_get(rec, "missed_runs"));

    if (status == CMP_CAMPAIGN_PENDING) {
        if (now >= plan.end) {
            cmp_log_error(&cd->log, CMP_LOG_WARN, "campaign %s: end_time "
                          "passed before it started, completed with no "
                          "runs", op->id);

            return cmp_campaign_set_status(op, CMP_CAMPAIGN_COMPLETED,
                       "end_time passed before the campaign started "
                       "(campaignd was not running between start_time and "
                       "end_time); no run fired");
        }

        if (now < plan.start) {
            return 1;
        }

        rc = cmp_campaign_set_status(op, CMP_CAMPAIGN_RUNNING, NULL);
        if (rc != CMP_OK) {
            return rc;
        }

        cmp_log_error(&cd->log, CMP_LOG_INFO, "campaign %s: running",
                      op->id);

        cmp_schedule_step(&plan, plan.start, now, &step);

        return cmp_scheduler_fire(op, NULL, &step, now);
    }

    if (status != CMP_CAMPAIGN_RUNNING) {
        return 1;
    }

    s = json_string_value(json_object_get(rec, "next_run_at"));
    next_due = -1;

    if (s != NULL && !cmp_time_parse(s, &next_due)) {
        next_due = -1;
    }

    cmp_schedule_step(&plan, next_due, now, &step);

    cmp_log_error(&cd->log, CMP_LOG_DEBUG, "campaign %s: next run at %lld, "
                  "now %lld, fire %d", op->id, (long long) next_due,
                  (long long) now, (int) step.fire);

    if (step.complete) {
        cmp_log_error(&cd->log, CMP_LOG_INFO, "campaign %s: end_time "
                      "reached, completed after %lld run(s)", op->id,
                      (long long) runs);

        return cmp_campaign_set_status(op, CMP_CAMPAIGN_COMPLETED, NULL);
    }

    if (!step.fire) {
        return 1;
    }

    (void) missed;

    return cmp_scheduler_fire(op, rec, &step, now);
}


/* the run's number, times, and its fill to stream over the group */
static int
cmp_scheduler_fire(cmp_op_t *op, json_t *rec, const cmp_schedule_step_t *step,
    int64_t now)
{
    int            rc;
    json_t        *cur;
    int64_t        runs, missed;
    cmp_record_t   meta;
    uint32_t       run;

    (void) rec;

    /* the record as the status change left it */
    if (cmp_resource_load(op, &cur, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    runs = json_integer_value(json_object_get(cur, "runs")) + 1;
    missed = json_integer_value(json_object_get(cur, "missed_runs"))
             + step->missed;
    json_decref(cur);

    rc = cmp_campaign_set_runs(op, runs, missed, step->next);
    if (rc != CMP_OK) {
        return rc;
    }

    run = (uint32_t) runs;

    rc = cmp_counter_set(op->store, op->txn, op->id, op->id_len, run,
                         "fired_at", (uint64_t) now);

    if (rc == 0 && step->missed > 0) {
        rc = cmp_counter_set(op->store, op->txn, op->id, op->id_len,
                             CMP_COUNTER_TOTAL, "missed_runs",
                             (uint64_t) missed);
    }

    if (rc == 0) {
        rc = cmp_fill_put(op->store, op->txn, op->id, op->id_len, run, NULL,
                          0);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/* a chunk of every fill under way; 1: some have more to do */
int
cmp_scheduler_fill(cmp_campaignd_t *cd, int64_t now)
{
    int              rc, more;
    size_t           i, n;
    cmp_txn_t       *txn;
    cmp_fill_job_t   jobs[CMP_FILL_JOBS];

    rc = cmp_store_txn_begin(&cd->store, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        return 0;
    }

    (void) cmp_fill_list(&cd->store, txn, jobs, CMP_FILL_JOBS, &n);

    cmp_txn_abort(txn);

    more = 0;

    for (i = 0; i < n; i++) {
        if (cmp_scheduler_fill_one(cd, jobs[i].campaign, jobs[i].run,
                                   jobs[i].last_len ? jobs[i].last : NULL,
                                   jobs[i].last_len, now)
            == 1)
        {
            more = 1;
        }
    }

    return more;
}


/*
 * One chunk of a run's contacts, with the position in the same txn: a
 * crash resumes after the last chunk committed, none skipped or doubled.
 */
static int
cmp_scheduler_fill_one(cmp_campaignd_t *cd, const char *id, uint32_t run,
    const char *after, size_t after_len, int64_t now)
{
    int            rc, more;
    char           err[64], skips[160];
    size_t         len;
    cmp_fill_t     f;
    const char    *gid, *s;
    cmp_record_t   r;

    memset(&f, 0, sizeof(cmp_fill_t));
    f.cd = cd;
    f.now = now;
    f.run = run;

    rc = cmp_store_txn_begin(&cd->store, NULL, 0, &f.txn);
    if (rc != 0) {
        return 0;
    }

    len = strlen(id);

    rc = cmp_record_get(&cd->store, f.txn, &cmp_kind_campaigns, id, len, &r);

    if (rc == 0) {
        f.campaign = cmp_json_parse(r.json, r.len, err, sizeof(err));
    }

    s = json_string_value(json_object_get(f.campaign, "status"));
    more = 0;

    if (s == NULL || strcmp(s, "running") != 0) {
        /* suspended, ended or deleted: the rest of the run is not sent */
        rc = cmp_fill_del(&cd->store, f.txn, id, len);
        goto commit;
    }

    f.counted = json_pack("{s:s, s:i}", "campaign_id", id, "run", (int) run);
    gid = json_string_value(json_object_get(f.campaign, "group_id"));

    rc = cmp_group_contacts_walk(&cd->store, f.txn, gid, strlen(gid), after,
                                 after_len, cmp_scheduler_fill_visit, &f);

    if (rc == 0) {
        rc = f.rc;
    }

    if (rc != 0) {
        goto commit;
    }

    if (f.done < CMP_FILL_CHUNK) {
        rc = cmp_fill_del(&cd->store, f.txn, id, len);

        if (cmp_funnel_skips_text(&cd->store, f.txn, id, len, run,
                                  skips, sizeof(skips))
            != 0)
        {
            skips[0] = '\0';
        }

        cmp_log_error(&cd->log, CMP_LOG_INFO, "campaign %s run %u: every "
                      "contact of group %s started, %s", id, run, gid,
                      skips);

    } else {
        rc = cmp_fill_put(&cd->store, f.txn, id, len, run, f.last,
                          f.last_len);
        more = 1;
    }

commit:

    json_decref(f.campaign);
    json_decref(f.counted);

    if (rc != 0 && rc != CMP_NOTFOUND) {
        cmp_scheduler_failed(cd, id, run, "fill", rc);
        cmp_txn_abort(f.txn);
        return 0;
    }

    rc = cmp_txn_commit(f.txn);

    if (rc != 0) {
        cmp_scheduler_failed(cd, id, run, "fill commit", rc);
        return 0;
    }

    return more;
}


static int
cmp_scheduler_fill_visit(void *ctx, const char *id, size_t len,
    const cmp_record_t *rec)
{
    cmp_fill_t *f = ctx;

    char         err[64];
    json_t      *contact;
    const char  *skipped;

    if (f->done == CMP_FILL_CHUNK) {
        return 1;
    }

    contact = cmp_json_parse(rec->json, rec->len, err, sizeof(err));
    if (contact == NULL) {
        contact = json_object();
    }

    f->rc = cmp_count(&f->cd->store, f->txn, f->counted, "targeted", 1);

    if (f->rc == 0) {
        f->rc = cmp_engine_start(f->cd->engine, f->txn, f->now, f->campaign,
                                 f->run, id, len, contact, &skipped);
    }

    if (f->rc == 0 && skipped != NULL) {
        f->rc = cmp_count(&f->cd->store, f->txn, f->counted, "skipped", 1);

        if (f->rc == 0) {
            f->rc = cmp_count_skip(&f->cd->store, f->txn, f->counted,
                                   skipped);
        }
    }

    json_decref(contact);

    memcpy(f->last, id, len);
    f->last_len = len;
    f->done++;

    return (f->rc != 0);
}


/*
 * A full store is the loop's to tell (cmp_full.c), once an attempt and
 * in the campaign's last_error: a line a chunk would say it four times a
 * second.
 */
static void
cmp_scheduler_failed(cmp_campaignd_t *cd, const char *id, uint32_t run,
    const char *what, int rc)
{
    if (rc == CMP_MAP_FULL) {
        cmp_full_note(&cd->full, id);
        return;
    }

    cmp_log_error(&cd->log, CMP_LOG_ERR, "campaign %s run %u: %s failed: %s",
                  id, run, what, cmp_strerror(rc));
}
