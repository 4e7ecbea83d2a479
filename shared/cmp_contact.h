
/*
 * Contacts: the people campaigns message, unique by E.164 phone, with the
 * operations of the API and the per-line upsert of a bulk import.
 */


#ifndef _CMP_CONTACT_H_INCLUDED_
#define _CMP_CONTACT_H_INCLUDED_


#include "cmp_op.h"


typedef enum {
    CMP_IMPORT_CREATED = 0,
    CMP_IMPORT_UPDATED,
    CMP_IMPORT_UNCHANGED,
    CMP_IMPORT_IGNORED
} cmp_import_outcome_e;


/* one chunk of an import, run in one write transaction */
typedef struct {
    cmp_store_t   *store;
    cmp_txn_t     *txn;
    int64_t        now;
    unsigned       ignore:1;            /* on_duplicate=ignore */
    const char    *group_id;            /* NULL: no group */
    size_t         group_id_len;
    int64_t        group_delta;         /* members added, not yet counted */
    cmp_seq_t      id_seq;              /* read once, saved by the flush */
    cmp_seq_t      order_seq;
    cmp_op_t       op;                  /* the line: errors land here */
} cmp_contact_import_t;


int cmp_contact_create(cmp_op_t *op);
int cmp_contact_update(cmp_op_t *op);
int cmp_contact_delete(cmp_op_t *op);

int cmp_contact_import_line(cmp_contact_import_t *imp, json_t *line,
    cmp_import_outcome_e *outcome);
int cmp_contact_import_flush(cmp_contact_import_t *imp);

int cmp_contact_name_walk(cmp_store_t *st, cmp_txn_t *txn, const char *prefix,
    size_t prefix_len, const char *after, size_t after_len,
    cmp_record_visit_pt visit, void *ctx);


#endif /* _CMP_CONTACT_H_INCLUDED_ */
