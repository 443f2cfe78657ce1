/*
 * cascade: the hooks of mcu/cascade.h. The design (why a link is an
 * endpoint, what crosses it) is in the header.
 */
#define MCU_LOG_MODULE "cascade"
#include "mcu/cascade.h"
#include "conf/log.h"

#include <errno.h>

bool mcu_cascade_is_link(const struct mcu_conf *conf, size_t e)
{
	return conf && e < conf->n_endpoints &&
	       conf->endpoints[e].cascade != MCU_CASCADE_NONE;
}

bool mcu_cascade_dials(const struct mcu_conf *conf,
                       const struct mcu_conf_meeting *m)
{
	if (!conf || !m)
		return false;
	if (m->dial == MCU_DIAL_OUT)
		return true;
	for (size_t i = 0; i < m->n_cascades; i++)
		if (m->cascades[i] < conf->n_endpoints &&
		    conf->endpoints[m->cascades[i]].cascade == MCU_CASCADE_OUT)
			return true;
	return false;
}

void mcu_cascade_dialout_start(struct mcu_dialout *d,
                               const struct mcu_conf *conf, size_t meeting,
                               int64_t now_ms)
{
	if (!d || !conf || meeting >= conf->n_meetings)
		return;
	const struct mcu_conf_meeting *m = &conf->meetings[meeting];
	for (size_t i = 0; i < m->n_cascades; i++) {
		long ds = mcu_dialout_slot(d, m->cascades[i]);
		if (ds >= 0)
			mcu_dialout_set_persistent(d, (size_t)ds, true);
	}
	if (m->dial == MCU_DIAL_OUT) {
		mcu_dialout_start(d, now_ms);
		return;
	}
	for (size_t i = 0; i < m->n_cascades; i++) {
		size_t e = m->cascades[i];
		long ds = mcu_dialout_slot(d, e);
		if (ds < 0 || e >= conf->n_endpoints ||
		    conf->endpoints[e].cascade != MCU_CASCADE_OUT)
			continue;
		if (mcu_dialout_operator_dial(d, (size_t)ds, now_ms) == 0)
			mcu_log_info("meeting %s: calling cascade link %s",
			             m->id, conf->endpoints[e].id);
	}
}

int mcu_cascade_api_part(json_t *o, const struct mcu_conf_endpoint *ep)
{
	if (!o)
		return EINVAL;
	if (!ep || ep->cascade == MCU_CASCADE_NONE)
		return json_object_set_new(o, "kind", json_string("endpoint"))
		               ? ENOMEM
		               : 0;
	json_t *c = json_pack("{s:s,s:s}", "direction",
	                      mcu_conf_cascade_name(ep->cascade), "uri",
	                      ep->sip ? ep->sip : "");
	if (!c || json_object_set_new(o, "cascade", c))
		return ENOMEM;
	return json_object_set_new(o, "kind", json_string("cascade")) ? ENOMEM
	                                                                : 0;
}
