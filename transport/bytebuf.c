#include "transport/bytebuf.h"

#include <stdlib.h>
#include <string.h>

bool mcu_bytebuf_append(uint8_t **buf, size_t *len, size_t *cap, size_t max,
                        const void *p, size_t n)
{
	if (*len > max || n > max - *len)
		return false;
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 16384;
		while (c < *len + n)
			c *= 2;
		if (c > max)
			c = max;
		uint8_t *nb = realloc(*buf, c);
		if (!nb)
			return false;
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return true;
}
