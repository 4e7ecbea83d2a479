
/*
 * campaignd's event loop: a tick every second (heartbeat now; scheduler
 * and dispatcher later), signals acted on between waits.
 */


#ifndef _CMP_LOOP_H_INCLUDED_
#define _CMP_LOOP_H_INCLUDED_


#include "cmp_campaignd.h"


int cmp_loop_run(cmp_campaignd_t *cd);


#endif /* _CMP_LOOP_H_INCLUDED_ */
