
/*
 * The store shared by the nginx module and campaignd, the only caller of
 * LMDB: one environment, a fixed set of named databases, the record
 * layout both sides agree on, and the calls everything else makes.
 */


#ifndef _CMP_STORE_H_INCLUDED_
#define _CMP_STORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>


/*
 * The store's own names for what its callers hold and pass: a txn, a
 * cursor, a key or a value, and the codes, flags and cursor moves they
 * see.  Only the store calls LMDB; callers name none of its types.
 */
typedef struct MDB_txn     cmp_txn_t;
typedef struct MDB_cursor  cmp_cursor_t;
typedef struct MDB_val     cmp_val_t;

#define CMP_APPEND           MDB_APPEND
#define CMP_BAD_VALSIZE      MDB_BAD_VALSIZE
#define CMP_CORRUPTED        MDB_CORRUPTED
#define CMP_CREATE           MDB_CREATE
#define CMP_FIRST            MDB_FIRST
#define CMP_INCOMPATIBLE     MDB_INCOMPATIBLE
#define CMP_KEYEXIST         MDB_KEYEXIST
#define CMP_LAST             MDB_LAST
#define CMP_MAP_FULL         MDB_MAP_FULL
#define CMP_MAP_RESIZED      MDB_MAP_RESIZED
#define CMP_NEXT             MDB_NEXT
#define CMP_NOOVERWRITE      MDB_NOOVERWRITE
#define CMP_NOTFOUND         MDB_NOTFOUND
#define CMP_NOTLS            MDB_NOTLS
#define CMP_PREV             MDB_PREV
#define CMP_RDONLY           MDB_RDONLY
#define CMP_RESERVE          MDB_RESERVE
#define CMP_SET_RANGE        MDB_SET_RANGE


/*
 * Bump on any change of key or value layout; a process that finds another
 * version refuses the store instead of misreading it.
 */
#define CMP_SCHEMA_VERSION      1

#define CMP_ID_MAX              64

/* record value header: be64 creation sequence, be64 version */
#define CMP_RECORD_HEADER       16

/*
 * LMDB wants the same maxreaders in every process of an environment:
 * room for every worker, every pool thread and campaignd, with margin
 */
#define CMP_STORE_READERS       1024

/* max_size (campaign_store, campaignd --max-size): default and least */
#define CMP_STORE_SIZE_DEFAULT  ((size_t) 1024 * 1024 * 1024)
#define CMP_STORE_SIZE_MIN      ((size_t) 1024 * 1024)

/* meta: campaignd's heartbeat (GET /health) and its requests in flight */
#define CMP_META_HEARTBEAT      "campaignd_heartbeat"
#define CMP_META_IN_FLIGHT      "campaignd_in_flight"


typedef enum {
    CMP_DB_META = 0,
    CMP_DB_SECRETS,
    CMP_DB_REFS,
    CMP_DB_IDEMPOTENCY,
    CMP_DB_CHANNELS,
    CMP_DB_CHANNELS_ORDER,
    CMP_DB_CONTACTS,
    CMP_DB_CONTACTS_ORDER,
    CMP_DB_GROUPS,
    CMP_DB_GROUPS_ORDER,
    CMP_DB_FLOWS,
    CMP_DB_FLOWS_ORDER,
    CMP_DB_CAMPAIGNS,
    CMP_DB_CAMPAIGNS_ORDER,
    CMP_DB_INDEX,
    CMP_DB_MEMBERS,             /* group id \0 contact id -> empty */
    CMP_DB_MEMBER_OF,           /* contact id \0 group id -> empty */
    CMP_DB_INSTANCES,           /* flow instances */
    CMP_DB_TIMERS,              /* be64 due time + key -> empty */
    CMP_DB_QUEUE,               /* what dispatch sends next */
    CMP_DB_MESSAGES,            /* the per-message ledger */
    CMP_DB_MESSAGE_BY_PROVIDER, /* provider message id -> message id */
    CMP_DB_COUNTERS,            /* campaign + run + status -> be64 count */
    CMP_DB_INBOX,               /* be64 sequence -> webhook event */
    CMP_DB_COUNT
} cmp_db_e;


/* a kind of resource the API pages through: records plus a creation order */
typedef struct {
    const char    *name;        /* "channels", as in the API path */
    const char    *singular;    /* "channel", for messages */
    const char    *id_prefix;   /* prefix of generated ids */
    cmp_db_e       records;
    cmp_db_e       order;
} cmp_kind_t;


/* what a process hears of an environment failure (a txn that cannot begin) */
typedef void (*cmp_store_fail_pt)(void *data, const char *what, int rc);


typedef struct {
    MDB_env       *env;
    MDB_dbi        dbi[CMP_DB_COUNT];
    size_t         max_bytes;

    /* set by the process after cmp_store_open(); NULL: silent */
    cmp_store_fail_pt   fail;
    void               *fail_data;
} cmp_store_t;


/* a record as read: points into the map, valid until the txn ends */
typedef struct {
    uint64_t       seq;
    uint64_t       version;
    const char    *json;
    size_t         len;
} cmp_record_t;


/*
 * A sequence read from meta once and written back once: a bulk import
 * takes thousands of ids in one transaction and must write the last
 * value (cmp_seq_save()) before it commits.
 */
typedef struct {
    char           name[48];    /* "id:contacts", "order:contacts" */
    uint64_t       value;
    unsigned       loaded:1;
    unsigned       taken:1;     /* changed since it was read or saved */
} cmp_seq_t;


typedef int (*cmp_record_visit_pt)(void *ctx, const char *id, size_t id_len,
    const cmp_record_t *rec);


extern const cmp_kind_t  cmp_kind_channels;
extern const cmp_kind_t  cmp_kind_contacts;
extern const cmp_kind_t  cmp_kind_groups;
extern const cmp_kind_t  cmp_kind_flows;
extern const cmp_kind_t  cmp_kind_campaigns;


int cmp_store_open(cmp_store_t *st, const char *path, size_t max_bytes,
    unsigned readers, char *err, size_t err_len);
void cmp_store_close(cmp_store_t *st);
int cmp_store_txn_begin(cmp_store_t *st, MDB_txn *parent, unsigned flags,
    MDB_txn **txn);
int cmp_store_txn_renew(cmp_store_t *st, MDB_txn *txn);
void cmp_store_usage(cmp_store_t *st, size_t *used, size_t *max);

int cmp_record_get(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, cmp_record_t *rec);
int cmp_record_read(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const void *key, size_t key_len, cmp_record_t *rec);
int cmp_record_write(cmp_store_t *st, MDB_txn *txn, cmp_db_e db,
    const void *key, size_t key_len, const cmp_record_t *rec);
int cmp_record_put(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len, const cmp_record_t *rec);
int cmp_record_del(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    const char *id, size_t id_len);
int cmp_put_append(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    cmp_val_t *key, cmp_val_t *val, unsigned flags);
int cmp_record_list(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    uint64_t before_seq, cmp_record_visit_pt visit, void *ctx);

int cmp_meta_get_u64(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value);
int cmp_meta_put_u64(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t value);
int cmp_seq_next(cmp_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *value);
int cmp_id_generate(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    char *buf, size_t *len);
void cmp_seq_init(cmp_seq_t *seq, const char *use, const cmp_kind_t *kind);
int cmp_seq_take(cmp_store_t *st, MDB_txn *txn, cmp_seq_t *seq,
    uint64_t *value);
int cmp_seq_save(cmp_store_t *st, MDB_txn *txn, cmp_seq_t *seq);
int cmp_id_take(cmp_store_t *st, MDB_txn *txn, const cmp_kind_t *kind,
    cmp_seq_t *seq, char *buf, size_t *len);

int cmp_ref_add(cmp_store_t *st, MDB_txn *txn, const char *kind,
    const char *id, size_t id_len, int64_t delta);
int cmp_ref_count(cmp_store_t *st, MDB_txn *txn, const char *kind,
    const char *id, size_t id_len, uint64_t *count);

int cmp_index_get(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *key, size_t key_len, char *id, size_t *id_len);
int cmp_index_put(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *key, size_t key_len, const char *id, size_t id_len);
int cmp_index_del(cmp_store_t *st, MDB_txn *txn, const char *index,
    const char *key, size_t key_len);

int cmp_secret_get(cmp_store_t *st, MDB_txn *txn, const char *id,
    size_t id_len, const char **json, size_t *len);
int cmp_secret_put(cmp_store_t *st, MDB_txn *txn, const char *id,
    size_t id_len, const char *json, size_t len);
int cmp_secret_del(cmp_store_t *st, MDB_txn *txn, const char *id,
    size_t id_len);

int cmp_idempotency_get(cmp_store_t *st, MDB_txn *txn, const char *scope,
    const char *key, size_t key_len, int64_t now, char *id, size_t *id_len);
int cmp_idempotency_put(cmp_store_t *st, MDB_txn *txn, const char *scope,
    const char *key, size_t key_len, int64_t expires, const char *id,
    size_t id_len);

void cmp_txn_abort(cmp_txn_t *txn);
int cmp_txn_commit(cmp_txn_t *txn);
void cmp_txn_reset(cmp_txn_t *txn);
const char *cmp_strerror(int rc);
int cmp_store_reader_check(cmp_store_t *st, int *dead);
int cmp_store_map_size(cmp_store_t *st, size_t want, size_t *size);

int cmp_db_get(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db, cmp_val_t *key,
    cmp_val_t *val);
int cmp_db_put(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db, cmp_val_t *key,
    cmp_val_t *val, unsigned flags);
int cmp_db_del(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db, cmp_val_t *key,
    cmp_val_t *val);
int cmp_cursor_open(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    cmp_cursor_t **cur);
int cmp_cursor_get(cmp_cursor_t *cur, cmp_val_t *key, cmp_val_t *val,
    int op);
int cmp_cursor_del(cmp_cursor_t *cur, unsigned flags);
void cmp_cursor_close(cmp_cursor_t *cur);

void cmp_be64_put(unsigned char *p, uint64_t v);
uint64_t cmp_be64_get(const unsigned char *p);


#endif /* _CMP_STORE_H_INCLUDED_ */
