
/*
 * Flow instances in CMP_DB_INSTANCES: the key layout that the module (test
 * sends, /flows/{id}/trigger) and campaignd (which runs them) agree on.
 */


#ifndef _CMP_INSTANCE_H_INCLUDED_
#define _CMP_INSTANCE_H_INCLUDED_


#include <jansson.h>

#include "cmp_store.h"
#include "cmp_record.h"
#include "cmp_meta.h"


/*
 * Keys of CMP_DB_INSTANCES written here:
 *
 *   "#test" 0x00 <instance id>
 *       -> be64 seq, be64 version, JSON: the record of a test send, in the
 *          form GET /flows/{flow id}/instances/{instance id} shows it.
 *
 *   "#queued" 0x00 <be64 seq> <instance id>
 *       -> empty: a test send nobody has started yet, oldest first.
 *          campaignd takes the first one (cmp_instance_next_queued) and,
 *          in the same write txn, deletes the marker
 *          (cmp_instance_dequeue) and moves the record out of "queued".
 *
 * Campaign instances are campaignd's and their keys start with the
 * campaign id; an id never contains '#', so the families never mix.
 *
 * The record:
 *   {"id", "flow_id", "contact_id", "campaign_id": null, "run": null,
 *    "status": "queued", "node": <the start node>, "variables": {...},
 *    "jumps": {}, "messages": [], "created_at", "updated_at"}
 * campaignd keeps status (queued, running, waiting, completed, failed,
 * cancelled), node, variables, jumps (node id -> jumps taken) and
 * messages (one {"id", "node_id", "channel_id", "status", "error"} per
 * message sent) up to date, and bumps the version on every change.
 */

/*
 * campaignd's families in CMP_DB_INSTANCES (campaign ids never contain
 * '#', so they never mix with a campaign's instances):
 *   campaign NUL be32-run contact        -> be64 seq, be64 version, JSON
 *   "#live" NUL campaign NUL contact     -> be32 run of its live instance
 *   "#wait" NUL channel NUL address      -> instance key (newest waiting)
 *   "#fill" NUL campaign                 -> be32 run, last contact done
 */
#define CMP_FKEY_MAX             (CMP_ID_MAX * 3 + 32)

#define CMP_INSTANCE_ID_PREFIX   "in_"

/* an instance's key, at most: a campaign run's, or a test send's */
#define CMP_INSTANCE_KEY_MAX     (CMP_ID_MAX * 2 + 16)


/* "#test" NUL id: a test send's key; 0 when id is too long or empty */
size_t cmp_instance_test_key(unsigned char *buf, const char *id,
    size_t len);

int cmp_instance_id_generate(cmp_store_t *st, cmp_txn_t *txn, char *id,
    size_t *len, uint64_t *seq);

/* any instance by its key: the record as stored, or its JSON parsed */
int cmp_instance_get(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, cmp_record_t *rec);
int cmp_instance_put(cmp_store_t *st, cmp_txn_t *txn, const unsigned char *key,
    size_t key_len, const cmp_record_t *rec);
int cmp_instance_load(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, json_t **inst, uint64_t *seq,
    uint64_t *version);
int cmp_instance_save(cmp_store_t *st, cmp_txn_t *txn,
    const unsigned char *key, size_t key_len, const json_t *inst,
    uint64_t seq, uint64_t version);
int cmp_instance_enqueue(cmp_store_t *st, cmp_txn_t *txn, uint64_t seq,
    const char *id, size_t len);
int cmp_instance_dequeue(cmp_store_t *st, cmp_txn_t *txn, uint64_t seq,
    const char *id, size_t len);
int cmp_instance_next_queued(cmp_store_t *st, cmp_txn_t *txn, uint64_t *seq,
    char *id, size_t *len);


/* a campaign run's instance key */
size_t cmp_instance_run_key(unsigned char *buf, const char *campaign,
    size_t clen, uint32_t run, const char *contact, size_t len);


/*
 * "#live": the contact's instance of the campaign that has not finished,
 * by its run; a contact has one at a time, so a later run skips it.
 */
typedef int (*cmp_live_visit_pt)(void *ctx, const char *contact, size_t len,
    uint32_t run);

int cmp_live_get(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len, uint32_t *run);
int cmp_live_put(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len, uint32_t run);
int cmp_live_del(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, const char *contact, size_t len);
int cmp_live_any(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen);
int cmp_live_take(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, unsigned max, cmp_live_visit_pt visit, void *ctx,
    unsigned *n);


/*
 * "#wait": the newest instance waiting for a reply from an address on a
 * channel.  An address too long for a key is never waited on: a put
 * writes nothing and a take finds nothing.
 */
int cmp_wait_put(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, const unsigned char *ikey, size_t ilen);
int cmp_wait_take(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, unsigned char *ikey, size_t *ilen);
int cmp_wait_del(cmp_store_t *st, cmp_txn_t *txn, const char *channel,
    const char *address, const unsigned char *ikey, size_t ilen);
/* the first bytes of every wait on a channel, for the purge's walk */
size_t cmp_wait_prefix(unsigned char *buf, const char *channel, size_t len);


/*
 * "#fill": a run whose group is still being walked, and the last contact
 * started, so that the next chunk begins after it.
 */
typedef struct {
    char                campaign[CMP_ID_MAX + 1];
    char                last[CMP_ID_MAX + 1];     /* "": from the start */
    size_t              last_len;
    uint32_t            run;
} cmp_fill_job_t;

int cmp_fill_put(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen, uint32_t run, const char *last, size_t last_len);
int cmp_fill_del(cmp_store_t *st, cmp_txn_t *txn, const char *campaign,
    size_t clen);
int cmp_fill_list(cmp_store_t *st, cmp_txn_t *txn, cmp_fill_job_t *jobs,
    size_t max, size_t *n);


#endif /* _CMP_INSTANCE_H_INCLUDED_ */
