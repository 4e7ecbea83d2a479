
/*
 * The scheduler: campaigns through pending -> running -> completed on
 * their execution plans, and each run's fill streamed over the group.
 */


#ifndef _CMP_SCHEDULER_H_INCLUDED_
#define _CMP_SCHEDULER_H_INCLUDED_


#include "cmp_campaignd.h"


/* contacts a fill handles in one write txn */
#define CMP_FILL_CHUNK   500


void cmp_scheduler_tick(cmp_campaignd_t *cd, int64_t now);
int cmp_scheduler_fill(cmp_campaignd_t *cd, int64_t now);


#endif /* _CMP_SCHEDULER_H_INCLUDED_ */
