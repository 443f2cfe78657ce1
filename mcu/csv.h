/*
 * csv: one field of a CSV export (RFC 4180), as the API's attendance
 * export and the readiness report write them: quoted when it holds a
 * separator, a quote or a line break, quotes doubled. Any thread.
 */
#ifndef MCU_CSV_H
#define MCU_CSV_H

#include <stdio.h>

/* Write `s` (NULL: empty) to `f` as one CSV field, without separator. */
void mcu_csv_field(FILE *f, const char *s);

#endif
