
/*
 * Unit tests of the contact field formats (shared/cmp_phone.c) and of the
 * import parsing (shared/cmp_import.c): record splitting, CSV, NDJSON.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmp_phone.h"
#include "cmp_import.h"


#define TEST_MAX_RECS  16


typedef struct {
    int       n;
    char     *data[TEST_MAX_RECS];
    size_t    len[TEST_MAX_RECS];
    uint64_t  line[TEST_MAX_RECS];
    int       too_long[TEST_MAX_RECS];
} test_recs_t;


static int test_phone(const char *s);
static int test_email(const char *s);
static int test_country(const char *s);
static void test_split(const char *body, size_t piece, int csv, size_t max,
    test_recs_t *out);
static void test_recs_free(test_recs_t *recs);
static json_t *test_csv(const char *header, const char *line, char *err);

static void test_phone_valid(void **state);
static void test_phone_invalid(void **state);
static void test_email_valid(void **state);
static void test_email_invalid(void **state);
static void test_country_codes(void **state);
static void test_fold(void **state);
static void test_lines_ndjson(void **state);
static void test_lines_any_piece_size(void **state);
static void test_lines_csv_quoted_newline(void **state);
static void test_lines_bom_crlf(void **state);
static void test_lines_too_long(void **state);
static void test_csv_split_quoting(void **state);
static void test_csv_split_errors(void **state);
static void test_csv_header(void **state);
static void test_csv_record(void **state);
static void test_ndjson_record(void **state);


static int
test_phone(const char *s)
{
    return cmp_phone_valid(s, strlen(s));
}


static int
test_email(const char *s)
{
    return cmp_email_valid(s, strlen(s));
}


static int
test_country(const char *s)
{
    return cmp_country_valid(s, strlen(s));
}


/* feeds body to the splitter in pieces of the given size */
static void
test_split(const char *body, size_t piece, int csv, size_t max,
    test_recs_t *out)
{
    size_t             off, n;
    const char        *pos;
    cmp_lines_t        ls;
    cmp_import_rec_t   rec;

    memset(out, 0, sizeof(test_recs_t));
    assert_int_equal(cmp_lines_init(&ls, csv, max), 0);

    for (off = 0; off < strlen(body); off += n) {
        n = strlen(body) - off < piece ? strlen(body) - off : piece;
        pos = body + off;

        while (cmp_lines_next(&ls, &pos, body + off + n, &rec)) {
            assert_true(out->n < TEST_MAX_RECS);
            out->data[out->n] = strndup(rec.data, rec.len);
            out->len[out->n] = rec.len;
            out->line[out->n] = rec.line;
            out->too_long[out->n] = rec.too_long;
            out->n++;
        }

        assert_ptr_equal(pos, body + off + n);
    }

    if (cmp_lines_end(&ls, &rec)) {
        out->data[out->n] = strndup(rec.data, rec.len);
        out->len[out->n] = rec.len;
        out->line[out->n] = rec.line;
        out->too_long[out->n] = rec.too_long;
        out->n++;
    }

    cmp_lines_free(&ls);
}


static void
test_recs_free(test_recs_t *recs)
{
    int  i;

    for (i = 0; i < recs->n; i++) {
        free(recs->data[i]);
    }
}


static json_t *
test_csv(const char *header, const char *line, char *err)
{
    char              *scratch;
    json_t            *obj;
    cmp_csv_header_t   h;

    assert_int_equal(cmp_csv_header(&h, header, strlen(header), err, 256),
                     0);

    scratch = malloc(strlen(line) + 1);
    obj = cmp_csv_record(&h, line, strlen(line), scratch, err, 256);
    free(scratch);

    return obj;
}


static void
test_phone_valid(void **state)
{
    (void) state;

    assert_true(test_phone("+8613800000000"));
    assert_true(test_phone("+12025550123"));
    assert_true(test_phone("+12345678"));              /* 8 digits */
    assert_true(test_phone("+123456789012345"));       /* 15 digits */
}


static void
test_phone_invalid(void **state)
{
    (void) state;

    assert_false(test_phone(""));
    assert_false(test_phone("+"));
    assert_false(test_phone("8613800000000"));         /* no plus */
    assert_false(test_phone("+1234567"));              /* 7 digits */
    assert_false(test_phone("+1234567890123456"));     /* 16 digits */
    assert_false(test_phone("+0861380000000"));        /* leading 0 */
    assert_false(test_phone("+86 13800000000"));
    assert_false(test_phone("+86-13800000000"));
    assert_false(test_phone("++8613800000000"));
    assert_false(test_phone("+861380000000a"));
    assert_false(cmp_phone_valid("+8613800000000", 0));
}


static void
test_email_valid(void **state)
{
    (void) state;

    assert_true(test_email("li@example.com"));
    assert_true(test_email("li.lei+tag@mail.example.co.uk"));
    assert_true(test_email("a@b.cn"));
    assert_true(test_email("x_y-z@sub-domain.example.org"));
    assert_true(test_email("\xe6\x9d\x8e@\xe4\xbe\x8b\xe5\xad\x90.cn"));
}


static void
test_email_invalid(void **state)
{
    char  local[80], long_addr[300];

    (void) state;

    assert_false(test_email(""));
    assert_false(test_email("li.example.com"));
    assert_false(test_email("@example.com"));
    assert_false(test_email("li@"));
    assert_false(test_email("li@example"));            /* no dot */
    assert_false(test_email("li@example.c"));          /* 1-char TLD */
    assert_false(test_email("li@@example.com"));
    assert_false(test_email("li@ex@ample.com"));
    assert_false(test_email("li lei@example.com"));
    assert_false(test_email("li@exa mple.com"));
    assert_false(test_email(".li@example.com"));
    assert_false(test_email("li.@example.com"));
    assert_false(test_email("li..lei@example.com"));
    assert_false(test_email("li@-example.com"));
    assert_false(test_email("li@example-.com"));
    assert_false(test_email("li@example..com"));
    assert_false(test_email("li@.example.com"));
    assert_false(test_email("li@example.com."));
    assert_false(test_email("<li@example.com>"));
    assert_false(test_email("\"li\"@example.com"));

    memset(local, 'a', 65);
    strcpy(local + 65, "@example.com");
    assert_false(test_email(local));                   /* local > 64 */

    memset(long_addr, 'a', 250);
    strcpy(long_addr + 250, "@b.cn");
    assert_false(test_email(long_addr));               /* > 254 */
}


static void
test_country_codes(void **state)
{
    (void) state;

    assert_true(test_country("CN"));
    assert_true(test_country("AD"));                   /* first */
    assert_true(test_country("ZW"));                   /* last */
    assert_true(test_country("GB"));
    assert_true(test_country("US"));
    assert_true(test_country("MM"));

    assert_false(test_country("UK"));                  /* it is GB */
    assert_false(test_country("XX"));
    assert_false(test_country("AA"));
    assert_false(test_country("ZZ"));
    assert_false(test_country("cn"));                  /* callers upcase */
    assert_false(test_country("C"));
    assert_false(test_country("CHN"));
    assert_false(test_country(""));
}


static void
test_fold(void **state)
{
    char    buf[8];
    size_t  n;

    (void) state;

    n = cmp_text_fold(buf, sizeof(buf), "VIP Hz", 6);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "vip hz", 6);

    /* a 3-byte character is not cut in half at the size limit */
    n = cmp_text_fold(buf, 4, "AB\xe7\x8e\x8b", 5);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "ab", 2);
}


static void
test_lines_ndjson(void **state)
{
    test_recs_t  r;

    (void) state;

    test_split("{\"a\":1}\n\n{\"b\":\"x\\\"y\"}\n{\"c\":3}", 4096, 0,
               1024, &r);

    assert_int_equal(r.n, 4);
    assert_string_equal(r.data[0], "{\"a\":1}");
    assert_int_equal(r.line[0], 1);
    assert_string_equal(r.data[1], "");                 /* blank line 2 */
    assert_int_equal(r.line[1], 2);
    assert_string_equal(r.data[2], "{\"b\":\"x\\\"y\"}");
    assert_int_equal(r.line[2], 3);
    assert_string_equal(r.data[3], "{\"c\":3}");       /* no final \n */
    assert_int_equal(r.line[3], 4);

    test_recs_free(&r);

    /* NDJSON knows no quoting: a quote never joins lines */
    test_split("{\"a\":\"\n}\n", 4096, 0, 1024, &r);
    assert_int_equal(r.n, 2);
    test_recs_free(&r);
}


static void
test_lines_any_piece_size(void **state)
{
    size_t        piece;
    test_recs_t   r;
    const char   *body;

    (void) state;

    body = "phone,name\n+8613800000001,\"a\nb\"\r\n+8613800000002,c\n";

    /* records split at every possible place come out the same */
    for (piece = 1; piece <= strlen(body); piece++) {
        test_split(body, piece, 1, 1024, &r);

        assert_int_equal(r.n, 3);
        assert_string_equal(r.data[0], "phone,name");
        assert_string_equal(r.data[1], "+8613800000001,\"a\nb\"");
        assert_int_equal(r.line[1], 2);
        assert_string_equal(r.data[2], "+8613800000002,c");
        assert_int_equal(r.line[2], 4);

        test_recs_free(&r);
    }
}


static void
test_lines_csv_quoted_newline(void **state)
{
    test_recs_t  r;

    (void) state;

    test_split("a,\"x\"\"\ny\"\nb,\"\"\nc,\"open\n", 4096, 1, 1024, &r);

    assert_int_equal(r.n, 3);
    assert_string_equal(r.data[0], "a,\"x\"\"\ny\"");
    assert_string_equal(r.data[1], "b,\"\"");
    assert_int_equal(r.line[1], 3);
    assert_string_equal(r.data[2], "c,\"open\n");        /* never closed */

    test_recs_free(&r);
}


static void
test_lines_bom_crlf(void **state)
{
    test_recs_t  r;

    (void) state;

    test_split("\xef\xbb\xbfphone\r\n+8613800000001\r\n", 4096, 1, 1024, &r);

    assert_int_equal(r.n, 2);
    assert_string_equal(r.data[0], "phone");
    assert_string_equal(r.data[1], "+8613800000001");

    test_recs_free(&r);
}


static void
test_lines_too_long(void **state)
{
    char         body[200];
    test_recs_t  r;

    (void) state;

    memset(body, 'x', 100);
    strcpy(body + 100, "\nshort\n");

    /* the long record is flagged, the next one is intact */
    test_split(body, 7, 0, 32, &r);

    assert_int_equal(r.n, 2);
    assert_true(r.too_long[0]);
    assert_int_equal(r.line[0], 1);
    assert_false(r.too_long[1]);
    assert_string_equal(r.data[1], "short");
    assert_int_equal(r.line[1], 2);

    test_recs_free(&r);
}


static void
test_csv_split_quoting(void **state)
{
    int               n;
    char              scratch[128];
    const char       *err, *s;
    cmp_csv_field_t   f[8];

    (void) state;

    s = "plain,\"with, comma\",\"say \"\"hi\"\"\",,\"\",\"multi\nline\",";
    n = cmp_csv_split(s, strlen(s), scratch, f, 8, &err);

    assert_int_equal(n, 7);
    assert_int_equal(f[0].len, 5);
    assert_memory_equal(f[0].data, "plain", 5);
    assert_int_equal(f[1].len, 11);
    assert_memory_equal(f[1].data, "with, comma", 11);
    assert_int_equal(f[2].len, 8);
    assert_memory_equal(f[2].data, "say \"hi\"", 8);
    assert_int_equal(f[3].len, 0);
    assert_int_equal(f[4].len, 0);
    assert_int_equal(f[5].len, 10);
    assert_memory_equal(f[5].data, "multi\nline", 10);
    assert_int_equal(f[6].len, 0);                    /* trailing comma */

    n = cmp_csv_split("", 0, scratch, f, 8, &err);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].len, 0);
}


static void
test_csv_split_errors(void **state)
{
    char              scratch[64];
    const char       *err;
    cmp_csv_field_t   f[3];

    (void) state;

    assert_int_equal(cmp_csv_split("a\"b,c", 5, scratch, f, 3, &err), -1);
    assert_string_equal(err, "a quote inside an unquoted field");

    assert_int_equal(cmp_csv_split("\"a\"b,c", 6, scratch, f, 3, &err), -1);
    assert_string_equal(err, "text after a closing quote");

    assert_int_equal(cmp_csv_split("\"abc", 4, scratch, f, 3, &err), -1);
    assert_string_equal(err, "unterminated quoted field");

    assert_int_equal(cmp_csv_split("a,b,c,d", 7, scratch, f, 3, &err), -1);
    assert_string_equal(err, "too many fields");
}


static void
test_csv_header(void **state)
{
    char              err[256];
    const char       *s;
    cmp_csv_header_t  h;

    (void) state;

    s = "phone, name ,viber_id,email,country,remark,attr.city,attr.tier";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), 0);
    assert_int_equal(h.ncols, 8);
    assert_int_equal(h.kind[0], CMP_CSV_PHONE);
    assert_int_equal(h.kind[1], CMP_CSV_NAME);
    assert_int_equal(h.kind[6], CMP_CSV_ATTR);
    assert_string_equal(h.name[7], "attr.tier");

    s = "phone,city";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), -1);
    assert_string_equal(err, "unknown CSV column \"city\"");

    s = "phone,attr.";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), -1);

    s = "name,email";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), -2);
    assert_string_equal(err, "the CSV header has no phone column");

    s = "phone,name,name";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), -2);

    s = "phone,,name";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), -2);

    s = "phone,\"name";
    assert_int_equal(cmp_csv_header(&h, s, strlen(s), err, sizeof(err)), -2);
}


static void
test_csv_record(void **state)
{
    char     err[256];
    char    *dump;
    json_t  *obj;

    (void) state;

    obj = test_csv("phone,name,remark,attr.city,attr.tier",
                   "+8613800000001,\"Li, Lei\",,Hangzhou,2", err);
    assert_non_null(obj);

    /* empty cells are absent; CSV attributes are strings */
    dump = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(dump, "{\"phone\":\"+8613800000001\","
                        "\"name\":\"Li, Lei\",\"attributes\":"
                        "{\"city\":\"Hangzhou\",\"tier\":\"2\"}}");
    free(dump);
    json_decref(obj);

    obj = test_csv("phone,name", "+8613800000001", err);
    assert_null(obj);
    assert_string_equal(err, "line has 1 fields, the header has 2");

    obj = test_csv("phone,name", "+8613800000001,\xff", err);
    assert_null(obj);
    assert_string_equal(err, "line is not valid UTF-8");

    obj = test_csv("phone,name", "+8613800000001,a\"b", err);
    assert_null(obj);
    assert_string_equal(err, "malformed CSV: a quote inside an unquoted "
                        "field");
}


static void
test_ndjson_record(void **state)
{
    char        err[256];
    json_t     *obj;
    const char *s;

    (void) state;

    s = "{\"phone\":\"+8613800000001\",\"attributes\":{\"tier\":2}}";
    obj = cmp_ndjson_record(s, strlen(s), err, sizeof(err));
    assert_non_null(obj);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(obj, "attributes"), "tier")), 2);
    json_decref(obj);

    s = "{\"name\":\"\xc3\x28\"}";
    assert_null(cmp_ndjson_record(s, strlen(s), err, sizeof(err)));
    assert_string_equal(err, "line is not valid UTF-8");

    s = "[1,2]";
    assert_null(cmp_ndjson_record(s, strlen(s), err, sizeof(err)));
    assert_string_equal(err, "line must be a JSON object");

    s = "{\"a\":1,\"a\":2}";
    assert_null(cmp_ndjson_record(s, strlen(s), err, sizeof(err)));

    s = "{\"a\":";
    assert_null(cmp_ndjson_record(s, strlen(s), err, sizeof(err)));
    assert_true(strncmp(err, "invalid JSON", 12) == 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_phone_valid),
        cmocka_unit_test(test_phone_invalid),
        cmocka_unit_test(test_email_valid),
        cmocka_unit_test(test_email_invalid),
        cmocka_unit_test(test_country_codes),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_lines_ndjson),
        cmocka_unit_test(test_lines_any_piece_size),
        cmocka_unit_test(test_lines_csv_quoted_newline),
        cmocka_unit_test(test_lines_bom_crlf),
        cmocka_unit_test(test_lines_too_long),
        cmocka_unit_test(test_csv_split_quoting),
        cmocka_unit_test(test_csv_split_errors),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_record),
        cmocka_unit_test(test_ndjson_record),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
