
/*
 * The purge: what a deleted resource owned (a campaign's ledger,
 * counters, instances, timers and queue entries), removed in chunks.
 */


#ifndef _CMP_PURGE_H_INCLUDED_
#define _CMP_PURGE_H_INCLUDED_


#include "cmp_store.h"
#include "cmp_record.h"


/*
 * Keys of CMP_DB_TOMBSTONES written here, beside the tombstones
 * (cmp_tombstone.h), whose kind names never start with '#':
 *
 *   "#purge" NUL be64 seq  -> kind NUL id NUL be32 stage, resume key
 *       a deleted resource whose data is still there, oldest first;
 *       written in the delete's txn, rewritten by each chunk with the
 *       stage it reached (and, in a stage that walks a whole database,
 *       the key to go on from), removed with the last chunk.
 *
 * What each kind owns, stage by stage:
 *
 *   campaigns  instances (campaign NUL ...) with their timers and the
 *              "#wait" entry that names them; "#live" NUL campaign NUL
 *              and "#fill" NUL campaign; messages (campaign NUL ...)
 *              with their provider id, their "#sending" marker and their
 *              place in the store's status gauges; counters (campaign
 *              NUL ...); then timers and queue entries naming one of its
 *              keys, found by walking those two databases.
 *   channels   queue entries (channel NUL ...), "#wait" NUL channel NUL
 *   groups     members (group NUL contact) and their member_of pairs
 *   flows      test sends ("#test" NUL instance, found by walking that
 *              family) with their messages ("#" instance NUL ...), timers,
 *              "#wait" entries and "#queued" markers
 *
 * Readers never see a purge under way: once the record is gone, the API
 * answers 404, webhooks treat its messages as unknown
 * (cmp_message_owned()) and campaignd neither sends nor walks them.
 */


/* keys a chunk removes or looks at: one write txn stays short */
#define CMP_PURGE_CHUNK   1000


typedef struct {
    char           kind[16];    /* "campaign" */
    char           id[CMP_ID_MAX + 1];
    uint64_t       removed;     /* keys this chunk removed */
    unsigned       finished:1;  /* the resource's purge is complete */
    unsigned       more:1;      /* there is more to do: call again */
} cmp_purge_report_t;


/* a delete's part, in its txn: nothing for a kind that owns no data */
int cmp_purge_add(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len);

/*
 * One chunk of the oldest purge, at most budget keys (at least 6, what
 * one message takes with it and a walk's look), in a write txn of its
 * own; nothing (not even a write txn) when none is waiting.
 */
int cmp_purge_step(cmp_store_t *st, int budget, cmp_purge_report_t *r);


#endif /* _CMP_PURGE_H_INCLUDED_ */
