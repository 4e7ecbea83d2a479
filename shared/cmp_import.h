
/*
 * Bulk contact import, the pure half: splitting a byte stream into NDJSON
 * lines or RFC 4180 CSV records, and turning each record into JSON.
 */


#ifndef _CMP_IMPORT_H_INCLUDED_
#define _CMP_IMPORT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <jansson.h>


/* longest record kept: 64 attributes of 1024 characters, with room */
#define CMP_IMPORT_RECORD_MAX   (512 * 1024)
#define CMP_CSV_COLUMNS_MAX     128
#define CMP_CSV_NAME_MAX        72


typedef struct {
    const char    *data;
    size_t         len;
    uint64_t       line;       /* physical line the record starts on */
    unsigned       too_long:1;
} cmp_import_rec_t;


typedef struct {
    char          *buf;        /* a record split across input pieces */
    size_t         len;
    size_t         max;
    uint64_t       line;       /* line the next byte belongs to */
    uint64_t       start;      /* line of the record being assembled */
    unsigned       csv:1;
    unsigned       quoted:1;
    unsigned       too_long:1;
    unsigned       started:1;
    unsigned       reset:1;    /* buf holds the record handed out last */
    unsigned       first:1;    /* a byte order mark may still come */
} cmp_lines_t;


typedef struct {
    const char    *data;
    size_t         len;
} cmp_csv_field_t;


typedef enum {
    CMP_CSV_PHONE = 0,
    CMP_CSV_NAME,
    CMP_CSV_VIBER_ID,
    CMP_CSV_EMAIL,
    CMP_CSV_COUNTRY,
    CMP_CSV_REMARK,
    CMP_CSV_ATTR
} cmp_csv_column_e;


typedef struct {
    int                ncols;
    cmp_csv_column_e   kind[CMP_CSV_COLUMNS_MAX];
    char               name[CMP_CSV_COLUMNS_MAX][CMP_CSV_NAME_MAX + 1];
} cmp_csv_header_t;


int cmp_lines_init(cmp_lines_t *ls, int csv, size_t max);
void cmp_lines_free(cmp_lines_t *ls);
int cmp_lines_next(cmp_lines_t *ls, const char **pos, const char *last,
    cmp_import_rec_t *rec);
int cmp_lines_end(cmp_lines_t *ls, cmp_import_rec_t *rec);

int cmp_csv_split(const char *s, size_t len, char *scratch,
    cmp_csv_field_t *fields, int max, const char **err);
int cmp_csv_header(cmp_csv_header_t *h, const char *s, size_t len,
    char *err, size_t err_len);
json_t *cmp_csv_record(const cmp_csv_header_t *h, const char *s, size_t len,
    char *scratch, char *err, size_t err_len);
json_t *cmp_ndjson_record(const char *s, size_t len, char *err,
    size_t err_len);
int cmp_import_blank(const char *s, size_t len);


#endif /* _CMP_IMPORT_H_INCLUDED_ */
