
/*
 * Reading the plain JSON that import lines and stored records almost
 * always are, into the tree jansson would build; the rest is jansson's.
 */


#ifndef _CMP_JSON_READER_H_INCLUDED_
#define _CMP_JSON_READER_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>


json_t *cmp_json_read_plain(const char *buf, size_t len);


#endif /* _CMP_JSON_READER_H_INCLUDED_ */
