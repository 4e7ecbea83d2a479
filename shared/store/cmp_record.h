
/*
 * Records of the API's resources: id -> be64 creation sequence, be64
 * version, the JSON the API answers; a creation order beside each kind.
 */


#ifndef _CMP_RECORD_H_INCLUDED_
#define _CMP_RECORD_H_INCLUDED_


#include "cmp_store.h"


/* a kind of resource the API pages through: records plus a creation order */
typedef struct {
    const char    *name;        /* "channels", as in the API path */
    const char    *singular;    /* "channel", for messages */
    const char    *id_prefix;   /* prefix of generated ids */
    cmp_db_e       records;
    cmp_db_e       order;
} cmp_kind_t;


/* a record as read: points into the map, valid until the txn ends */
typedef struct {
    uint64_t       seq;
    uint64_t       version;
    const char    *json;
    size_t         len;
} cmp_record_t;


typedef int (*cmp_record_visit_pt)(void *ctx, const char *id, size_t id_len,
    const cmp_record_t *rec);


/*
 * A walk over ids that visits their records (a group's members, the keys
 * of an index): visit gets the walk's position as its id and the record
 * of id.  A record gone is passed over; a read that fails ends the walk,
 * its code in rc.
 */
typedef struct {
    cmp_store_t          *st;
    cmp_txn_t            *txn;
    const cmp_kind_t     *kind;
    cmp_record_visit_pt   visit;
    void                 *ctx;
    int                   rc;
} cmp_record_join_t;


extern const cmp_kind_t  cmp_kind_channels;
extern const cmp_kind_t  cmp_kind_contacts;
extern const cmp_kind_t  cmp_kind_groups;
extern const cmp_kind_t  cmp_kind_flows;
extern const cmp_kind_t  cmp_kind_campaigns;


int cmp_record_get(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, cmp_record_t *rec);
int cmp_record_read(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *key, size_t key_len, cmp_record_t *rec);
int cmp_record_write(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *key, size_t key_len, const cmp_record_t *rec);
int cmp_record_put(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, const cmp_record_t *rec);
int cmp_record_del(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len);
void cmp_record_join_init(cmp_record_join_t *j, cmp_store_t *st,
    cmp_txn_t *txn, const cmp_kind_t *kind, cmp_record_visit_pt visit,
    void *ctx);
int cmp_record_join(void *ctx, const char *pos, size_t pos_len,
    const char *id, size_t id_len);
int cmp_record_list(cmp_store_t *st, cmp_txn_t *txn, const cmp_kind_t *kind,
    uint64_t before_seq, cmp_record_visit_pt visit, void *ctx);


#endif /* _CMP_RECORD_H_INCLUDED_ */
