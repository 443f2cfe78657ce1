#include "mcu/partinfo.h"
#include "conf/config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *mcu_partinfo_get(void *tab, size_t *n, size_t size, const char *endpoint,
                       int (*init)(void *entry), long *index)
{
	char *v = tab;

	*index = -1;
	for (size_t i = 0; i < *n; i++) {
		const struct mcu_partinfo *pi = (const void *)(v + i * size);
		if (!strcmp(pi->endpoint, endpoint)) {
			*index = (long)i;
			return tab;
		}
	}
	if (*n >= SIZE_MAX / size - 1)
		return NULL;
	v = realloc(tab, (*n + 1) * size);
	if (!v)
		return NULL;
	void *e = v + *n * size;
	struct mcu_partinfo *pi = e;
	memset(e, 0, size);
	if (!(pi->endpoint = strdup(endpoint)) || (init && init(e))) {
		free(pi->endpoint);
		return v;
	}
	*index = (long)(*n)++;
	return v;
}

/* Replace *dst by a copy of src when they differ; false: no memory. */
static bool set_str(char **dst, const char *src)
{
	if ((!*dst && !src) || (*dst && src && !strcmp(*dst, src)))
		return true;
	char *c = src ? strdup(src) : NULL;
	if (src && !c)
		return false;
	free(*dst);
	*dst = c;
	return true;
}

bool mcu_partinfo_update(struct mcu_partinfo *pi, bool host, const char *name,
                         const char *tech_name, const char *tech_phone)
{
	pi->host = host;
	return set_str(&pi->name, name) && set_str(&pi->tech_name, tech_name) &&
	       set_str(&pi->tech_phone, tech_phone);
}

void mcu_partinfo_clear(struct mcu_partinfo *pi)
{
	free(pi->endpoint);
	free(pi->name);
	free(pi->tech_name);
	free(pi->tech_phone);
	memset(pi, 0, sizeof(*pi));
}

void mcu_partinfo_technician(const struct mcu_conf *conf, const char *endpoint,
                             const char **name, const char **phone)
{
	long i = conf ? mcu_conf_endpoint_index(conf, endpoint) : -1;
	if (i < 0 || (size_t)i >= conf->n_endpoints)
		return;
	const struct mcu_conf_endpoint *ep = &conf->endpoints[i];
	const struct mcu_conf_contact *c = ep->has_technician ? &ep->technician
	                                   : ep->has_support  ? &ep->support
	                                                      : NULL;
	if (c) {
		*name = c->name;
		*phone = c->phone;
	}
}
