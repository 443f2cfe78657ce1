/*
 * Fuzz target of the roster loader: any bytes through
 * mcu_conf_load_buffer(), then the snapshot (if any) and the report are
 * printed and freed. Sanitizers catch reads past bounds and leaks; the
 * limits keep every input fast.
 */
#include <stdint.h>
#include <stdio.h>

#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcu_conf *conf = NULL;
	struct mcu_conf_report report;
	static FILE *sink;

	if (!sink)
		sink = fopen("/dev/null", "w");
	mcu_conf_load_buffer("fuzz.yaml", (const char *)data, size, &conf,
	                     &report);
	if (sink)
		mcu_conf_report_print(&report, sink);
	if (conf) {
		for (size_t i = 0; i < conf->n_meetings; i++)
			if (conf->meetings[i].host_index >= conf->n_endpoints)
				__builtin_trap();
		mcu_conf_endpoint_index(conf, "ubnd-tp");
	}
	conf = mcu_conf_free(conf);
	mcu_conf_report_clear(&report);
	return 0;
}
