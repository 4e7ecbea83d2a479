
/*
 * Schedule arithmetic: runs fire at start + k * period while earlier than
 * the end; after downtime only the latest missed time fires, never a burst.
 */


#include <string.h>

#include "cmp_schedule.h"
#include "cmp_json.h"


/*
 * "minute" is a parameter so that tests can shrink a plan's unit; in
 * production it is always 60.
 */
int
cmp_plan_read(const json_t *campaign, int64_t minute, cmp_plan_t *plan)
{
    json_t      *ep;
    int64_t      unit, every;
    const char  *s;

    if (!cmp_time_parse(json_string_value(json_object_get(campaign,
                                                          "start_time")),
                        &plan->start)
        || !cmp_time_parse(json_string_value(json_object_get(campaign,
                                                             "end_time")),
                           &plan->end))
    {
        return -1;
    }

    ep = json_object_get(campaign, "execution_plan");
    s = json_string_value(json_object_get(ep, "unit"));
    every = json_integer_value(json_object_get(ep, "every"));

    if (s == NULL) {
        return -1;
    }

    if (strcmp(s, "minute") == 0) {
        unit = minute;

    } else if (strcmp(s, "hour") == 0) {
        unit = 60 * minute;

    } else if (strcmp(s, "day") == 0) {
        unit = 1440 * minute;

    } else {
        return -1;
    }

    plan->period = unit * (every > 0 ? every : 1);

    return 0;
}


/*
 * next_due is the scheduled time of the first run not fired yet (the
 * start time for a campaign that has not started).  A late look fires
 * the latest scheduled time that has passed and counts the ones before
 * it as missed.
 */
void
cmp_schedule_step(const cmp_plan_t *plan, int64_t next_due, int64_t now,
    cmp_schedule_step_t *step)
{
    int64_t  k_now, k_next;

    memset(step, 0, sizeof(cmp_schedule_step_t));
    step->next = next_due;

    if (now >= plan->end) {
        step->complete = 1;
        step->next = -1;
        return;
    }

    if (next_due < 0 || now < next_due || next_due >= plan->end) {
        if (next_due >= plan->end) {
            step->next = -1;
        }

        return;
    }

    if (next_due < plan->start) {
        next_due = plan->start;
    }

    k_now = (now - plan->start) / plan->period;
    k_next = (next_due - plan->start + plan->period - 1) / plan->period;

    step->fire = 1;
    step->fire_at = plan->start + k_now * plan->period;
    step->missed = (k_now > k_next) ? k_now - k_next : 0;
    step->next = step->fire_at + plan->period;

    if (step->next >= plan->end) {
        step->next = -1;
    }
}
