
/*
 * Schedule arithmetic of campaigns (README "Scheduling and dispatch"):
 * when a run is due, how many were missed, when the next one is.  No
 * store, no clock.
 */


#ifndef _CMP_SCHEDULE_H_INCLUDED_
#define _CMP_SCHEDULE_H_INCLUDED_


#include <stdint.h>
#include <jansson.h>


typedef struct {
    int64_t        start;
    int64_t        end;
    int64_t        period;        /* every * unit, seconds */
} cmp_plan_t;


typedef struct {
    unsigned       fire:1;        /* fire a run now */
    unsigned       complete:1;    /* the end time is reached */
    int64_t        fire_at;       /* the scheduled time of that run */
    int64_t        missed;        /* scheduled times skipped for it */
    int64_t        next;          /* next scheduled time; -1: none */
} cmp_schedule_step_t;


int cmp_plan_read(const json_t *campaign, int64_t minute, cmp_plan_t *plan);
void cmp_schedule_step(const cmp_plan_t *plan, int64_t next_due,
    int64_t now, cmp_schedule_step_t *step);


#endif /* _CMP_SCHEDULE_H_INCLUDED_ */
