
/*
 * libFuzzer target: any bytes through both webhook parsers, and the events
 * they accept applied to a small store in a transaction that is undone.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmp_contact.h"
#include "cmp_counter.h"
#include "cmp_message.h"
#include "cmp_webhook.h"


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_apply(const cmp_provider_t *provider, json_t *events);
static int fuzz_contact(cmp_op_t *op);
static void fuzz_cleanup(void);


static cmp_store_t  fuzz_store;
static int          fuzz_store_ok;
static char         fuzz_dir[] = "/tmp/fuzz_webhook_XXXXXX";


/* the store is scratch: it goes when the fuzzer does */
static void
fuzz_cleanup(void)
{
    char  path[sizeof(fuzz_dir) + 16];

    snprintf(path, sizeof(path), "%s/data.mdb", fuzz_dir);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", fuzz_dir);
    (void) unlink(path);
    (void) rmdir(fuzz_dir);
}


static int
fuzz_contact(cmp_op_t *op)
{
    return cmp_contact_create(op);
}


/* one campaign message known by its wamid and a token, one contact */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char               err[256];
    size_t             len;
    cmp_op_t           op;
    cmp_txn_t         *txn;
    cmp_message_key_t  mk;
    unsigned char      key[CMP_MESSAGE_KEY_MAX];
    static const char  msg[] = "{\"id\":\"x\",\"run\":1,\"status\":\"sent\"}";

    (void) argc;
    (void) argv;

    if (mkdtemp(fuzz_dir) == NULL) {
        return 0;
    }

    atexit(fuzz_cleanup);

    if (cmp_store_open(&fuzz_store, fuzz_dir, 64UL << 20, 16, err,
                       sizeof(err)) != 0
        || cmp_store_txn_begin(&fuzz_store, NULL, 0, &txn) != 0)
    {
        fprintf(stderr, "fuzz_webhook: no store in %s\n", fuzz_dir);
        return 0;
    }

    mk.campaign = "c1";
    mk.campaign_len = 2;
    mk.run = 1;
    mk.contact = "li";
    mk.contact_len = 2;
    mk.node = "s";
    mk.node_len = 1;
    mk.step = 0;

    len = cmp_message_key(key, &mk);

    (void) cmp_message_put(&fuzz_store, txn, key, len, NULL, "sent", msg,
                           sizeof(msg) - 1);
    (void) cmp_message_provider_put(&fuzz_store, txn, "wamid.A", 7, key, len);
    (void) cmp_message_provider_put(&fuzz_store, txn, "4912661846655238145",
                                    19, key, len);

    cmp_op_init(&op, &fuzz_store, fuzz_contact, &cmp_kind_contacts);
    op.txn = txn;
    op.body = json_pack("{s:s, s:s, s:s}", "id", "li", "phone",
                        "+8613800000001", "viber_id", "vb-user");
    (void) op.run(&op);
    json_decref(op.body);
    cmp_op_free(&op);

    if (cmp_txn_commit(txn) == 0) {
        fuzz_store_ok = 1;
    }

    return 0;
}


static void
fuzz_apply(const cmp_provider_t *provider, json_t *events)
{
    size_t          i;
    json_t         *ev;
    cmp_op_t        op;
    cmp_txn_t      *txn;
    cmp_webhook_t   wh;

    if (!fuzz_store_ok
        || cmp_store_txn_begin(&fuzz_store, NULL, 0, &txn) != 0)
    {
        return;
    }

    /* what the module does once a signature named the channel */
    json_array_foreach(events, i, ev) {
        json_object_set_new(ev, "channel_id", json_string("ch"));
    }

    memset(&wh, 0, sizeof(cmp_webhook_t));
    wh.provider = provider;
    wh.events = events;

    cmp_op_init(&op, &fuzz_store, cmp_webhook_apply, NULL);
    op.txn = txn;
    op.now = 1767225600;
    op.data = &wh;

    (void) op.run(&op);

    cmp_op_free(&op);
    cmp_txn_abort(txn);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char     err[256];
    json_t  *events;

    if (cmp_whatsapp.parse((const char *) data, size, &events, err,
                                   sizeof(err))
        == CMP_OK)
    {
        fuzz_apply(&cmp_whatsapp, events);
        json_decref(events);
    }

    if (cmp_viber.parse((const char *) data, size, &events, err,
                                sizeof(err))
        == CMP_OK)
    {
        fuzz_apply(&cmp_viber, events);
        json_decref(events);
    }

    (void) cmp_provider_opt_out_word(&cmp_whatsapp, (const char *) data,
                                     size);

    return 0;
}
