
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

typedef struct cmp_counter_cache_s  cmp_counter_cache_t;

#define CMP_APPEND           MDB_APPEND
#define CMP_BAD_TXN          MDB_BAD_TXN
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
#define CMP_SCHEMA_VERSION      2

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
    CMP_DB_MESSAGE_STATUS,      /* campaign \0 status \0 ... -> empty */
    CMP_DB_COUNTERS,            /* campaign + run + status -> be64 count */
    CMP_DB_INBOX,               /* be64 sequence -> webhook event */
    CMP_DB_TOMBSTONES,          /* deleted ids, what is left to purge */
    CMP_DB_COUNT
} cmp_db_e;


/* what a process hears of an environment failure (a txn that cannot begin) */
typedef void (*cmp_store_fail_pt)(void *data, const char *what, int rc);

/*
 * An entry a walk or a take meets, in the map until the txn writes: 0
 * goes on (a take deletes the entry); anything else stops a walk, which
 * then answers 0, and is what a take answers, the entry left in place.
 */
typedef int (*cmp_db_visit_pt)(void *ctx, const cmp_val_t *key,
    const cmp_val_t *val);


typedef struct {
    MDB_env       *env;
    MDB_dbi        dbi[CMP_DB_COUNT];
    size_t         max_bytes;

    /* set by the process after cmp_store_open(); NULL: silent */
    cmp_store_fail_pt   fail;
    void               *fail_data;

    /*
     * A process whose txns run in several threads (nginx: the event
     * loop's reads, the pool's writes) sets adopt_later: MDB_MAP_RESIZED
     * is then only noted, and the process calls cmp_store_adopt() when
     * none of its txns is open.  Separate ints, not bit-fields: a pool
     * thread sets one while the event loop may set the other.
     */
    int                 adopt_later;
    int                 full;       /* a put or commit hit MDB_MAP_FULL */
    int                 resized;    /* another process's data passed ours */

    /* commits that succeeded, counted without adopt_later (one thread) */
    unsigned long       commits;

    /* the counters the open write txn moved (cmp_counter.c) */
    cmp_counter_cache_t *counters;
} cmp_store_t;


int cmp_store_open(cmp_store_t *st, const char *path, size_t max_bytes,
    unsigned readers, char *err, size_t err_len);
void cmp_store_close(cmp_store_t *st);
int cmp_store_txn_begin(cmp_store_t *st, cmp_txn_t *parent, unsigned flags,
    cmp_txn_t **txn);
int cmp_store_txn_renew(cmp_store_t *st, cmp_txn_t *txn);
void cmp_store_usage(cmp_store_t *st, size_t *used, size_t *max);
const char *cmp_store_db_name(cmp_db_e db);

int cmp_put_append(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    cmp_val_t *key, cmp_val_t *val, unsigned flags);


void cmp_txn_abort(cmp_txn_t *txn);
int cmp_txn_commit(cmp_txn_t *txn);
void cmp_txn_reset(cmp_txn_t *txn);
const char *cmp_strerror(int rc);
int cmp_store_reader_check(cmp_store_t *st, int *dead);
int cmp_store_map_size(cmp_store_t *st, size_t want, size_t *size);
int cmp_store_adopt(cmp_store_t *st, size_t *grown);

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

/* what the families are made of: keys and values as bytes */
int cmp_db_fetch(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *key, size_t len, const void **val, size_t *val_len);
int cmp_db_store(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *key, size_t len, const void *val, size_t val_len);
int cmp_db_drop(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *key, size_t len);
int cmp_db_first(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *from, size_t len, cmp_val_t *key, cmp_val_t *val);
int cmp_db_walk(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *from, size_t len, cmp_db_visit_pt visit, void *ctx);
int cmp_db_take(cmp_store_t *st, cmp_txn_t *txn, cmp_db_e db,
    const void *from, size_t len, cmp_db_visit_pt take, void *ctx);

size_t cmp_key_join(void *buf, size_t size, const void *a, size_t alen,
    const void *b, size_t blen);
void cmp_be64_put(unsigned char *p, uint64_t v);
uint64_t cmp_be64_get(const unsigned char *p);
void cmp_be32_put(unsigned char *p, uint32_t v);
uint32_t cmp_be32_get(const unsigned char *p);


#endif /* _CMP_STORE_H_INCLUDED_ */
