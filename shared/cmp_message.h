
/*
 * The message ledger: one record per (campaign, run, contact, node, step),
 * so a resumed run sends each remaining message once and none twice.
 */


#ifndef _CMP_MESSAGE_H_INCLUDED_
#define _CMP_MESSAGE_H_INCLUDED_


#include "cmp_store.h"


#define CMP_MESSAGE_KEY_MAX   (CMP_ID_MAX * 3 + 16)


typedef struct {
    const char     *campaign;
    size_t          campaign_len;
    uint32_t        run;
    const char     *contact;
    size_t          contact_len;
    const char     *node;
    size_t          node_len;
    uint16_t        step;
} cmp_message_key_t;


typedef int (*cmp_message_visit_pt)(void *ctx, const unsigned char *key,
    size_t key_len, const char *json, size_t len);


size_t cmp_message_key(unsigned char *buf, const cmp_message_key_t *k);
int cmp_message_put(cmp_store_t *st, MDB_txn *txn,
    const cmp_message_key_t *k, const char *json, size_t len);
int cmp_message_scan(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const unsigned char *after,
    size_t after_len, cmp_message_visit_pt visit, void *ctx);


#endif /* _CMP_MESSAGE_H_INCLUDED_ */
