/* test-libs: mcu_core mcu_conf */
/*
 * admission: dial-in decisions over an in-memory roster (host, branch, by
 * number, unknown caller, not a participant, source outside allow, not
 * live / test run / engine states, no such meeting, IPv6, host-only sip
 * URIs, shared numbers) and the password-file cache.
 */
#include "tests/unit/testutil.h"
#include "mcu/admission.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char roster_fmt[] =
    "mcu:\n"
    "  timezone: Asia/Ho_Chi_Minh\n"
    "  sip: {domain: mcu.test}\n"
    "endpoints:\n"
    "  - {id: host-a, name: A, tier: city, sip: \"sip:host-a@10.0.0.1:5070\"}\n"
    "  - {id: branch-b, name: B, tier: district, sip: "
    "\"sip:branch-b@10.0.0.2\",\n"
    "     allow: [10.0.2.0/24]}\n"
    "  - {id: branch-c, name: C, tier: district, sip: "
    "\"sip:branch-c@10.0.0.3\",\n"
    "     auth: {user: cuser, password_file: \"%s\"}}\n"
    "  - {id: v6-d, name: D, tier: commune, sip: \"sip:v6-d@[2001:db8::5]\",\n"
    "     allow: [\"2001:db8::/64\"]}\n"
    "  - {id: other-e, name: E, tier: commune, sip: \"sip:other-e@10.0.0.9\"}\n"
    "  - {id: hostonly-f, name: F, tier: commune, sip: \"sip:10.0.0.20\"}\n"
    "  - {id: named-g, name: G, tier: commune, sip: \"sip:g@Pbx.Example.VN\",\n"
    "     allow: [10.0.5.0/24]}\n"
    "meetings:\n"
    "  - id: m1\n"
    "    host: host-a\n"
    "    branches: [branch-b, branch-c, v6-d, hostonly-f, named-g]\n"
    "    number: 4242\n"
    "    start: 2026-12-07T08:00\n"
    "    end: 2026-12-07T10:00\n"
    "    announced: 2026-12-01\n"
    "    test_run: {start: 2026-12-04T14:00, end: 2026-12-04T15:00}\n"
    "  - id: m2\n"
    "    host: other-e\n"
    "    branches: []\n"
    "    number: 77\n"
    "    start: 2026-12-08T08:00\n"
    "    end: 2026-12-08T10:00\n"
    "    announced: 2026-12-01\n"
    "  - id: m3\n"
    "    host: host-a\n"
    "    branches: [branch-b]\n"
    "    number: 4242\n"
    "    start: 2026-12-14T08:00\n"
    "    end: 2026-12-14T10:00\n"
    "    announced: 2026-12-01\n";

struct fx {
	struct mcu_conf *conf;
	char pwfile[64];
	enum mcu_meeting_state live[3];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Give the file a distinct mtime so a rewrite within the same clock tick
   is still seen as a change. */
static void touch_at(const char *path, time_t sec)
{
	struct timespec ts[2] = {{sec, 0}, {sec, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct mcu_conf_report rep;
	char yaml[4096];
	int fd, n;

	assert_non_null(fx);
	snprintf(fx->pwfile, sizeof(fx->pwfile), "/tmp/mcu-adm-pw-XXXXXX");
	fd = mkstemp(fx->pwfile);
	assert_true(fd >= 0);
	close(fd);
	write_file(fx->pwfile, "  s3cret \r\nsecond line\n");
	n = snprintf(yaml, sizeof(yaml), roster_fmt, fx->pwfile);
	assert_true(n > 0 && (size_t)n < sizeof(yaml));
	memset(&rep, 0, sizeof(rep));
	int err =
	    mcu_conf_load_buffer("adm.yaml", yaml, (size_t)n, &fx->conf, &rep);
	if (err)
		mcu_conf_report_print(&rep, stderr);
	mcu_conf_report_clear(&rep);
	assert_int_equal(err, 0);
	for (int i = 0; i < 3; i++)
		fx->live[i] = MCU_MEETING_LIVE;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;
	unlink(fx->pwfile);
	mcu_conf_free(fx->conf);
	free(fx);
	return 0;
}

static long ep(const struct fx *fx, const char *id)
{
	return mcu_conf_endpoint_index(fx->conf, id);
}

static void decide(const struct fx *fx, time_t now,
                   const enum mcu_meeting_state *states, const char *ruri,
                   const char *fu, const char *fh, const char *src,
                   struct mcu_admission *out)
{
	struct mcu_admission_request r = {.ruri_user = ruri,
	                                  .from_user = fu,
	                                  .from_host = fh,
	                                  .src_addr = src,
	                                  .states = states};
	assert_int_equal(mcu_admission_decide(fx->conf, now, &r, out), 0);
}

static void expect_reject(const struct mcu_admission *a, int status,
                          const char *reason)
{
	assert_int_equal(a->status, status);
	assert_string_equal(a->reason, reason);
	assert_int_not_equal(a->verdict, MCU_ADMIT_ACCEPT);
}

static void accept_host(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", "10.0.0.1", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.meeting, 0);
	assert_int_equal(a.endpoint, ep(fx, "host-a"));
	assert_int_equal(a.role, MCU_ADMIT_ROLE_HOST);
	assert_false(a.auth_required);
	assert_null(a.auth_user);
	assert_string_equal(mcu_admission_role_name(a.role), "host");
	/* meeting ids are lower case: the request-URI may not be */
	decide(fx, 0, fx->live, "M1", "host-a", "10.0.0.1", "10.0.0.1", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
}

static void accept_branch_by_number(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	decide(fx, 0, fx->live, "4242", "branch-b", "10.0.0.2", "10.0.2.77",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.meeting, 0);
	assert_int_equal(a.endpoint, ep(fx, "branch-b"));
	assert_int_equal(a.role, MCU_ADMIT_ROLE_BRANCH);
	/* only the plain decimal form is a number */
	decide(fx, 0, fx->live, "04242", "branch-b", "10.0.0.2", "10.0.2.77",
	       &a);
	expect_reject(&a, 404, "No such meeting");
	decide(fx, 0, fx->live, "+4242", "branch-b", "10.0.0.2", "10.0.2.77",
	       &a);
	expect_reject(&a, 404, "No such meeting");
	decide(fx, 0, fx->live, "0", "branch-b", "10.0.0.2", "10.0.2.77", &a);
	expect_reject(&a, 404, "No such meeting");
}

static void unknown_caller_403(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	decide(fx, 0, fx->live, "m1", "nobody", "10.0.0.99", "10.0.0.99", &a);
	expect_reject(&a, 403, "Unknown endpoint");
	assert_int_equal(a.verdict, MCU_ADMIT_UNKNOWN_ENDPOINT);
	assert_int_equal(a.endpoint, -1);
	assert_int_equal(a.meeting, -1);
	/* a stranger learns nothing: not even whether the meeting exists */
	decide(fx, 0, fx->live, "no-such", "nobody", "x.test", "10.0.0.99", &a);
	expect_reject(&a, 403, "Unknown endpoint");
	/* an address inside host-a's allow list does not make a stranger
	   known, nor does a known user name at another host */
	decide(fx, 0, fx->live, "m1", "nobody", "10.0.0.1", "10.0.0.1", &a);
	expect_reject(&a, 403, "Unknown endpoint");
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.99", "10.0.0.1", &a);
	expect_reject(&a, 403, "Unknown endpoint");
	/* user names are case-sensitive (RFC 3261 19.1.4) */
	decide(fx, 0, fx->live, "m1", "HOST-A", "10.0.0.1", "10.0.0.1", &a);
	expect_reject(&a, 403, "Unknown endpoint");
	assert_false(a.auth_required);
}

static void not_participant_403(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	decide(fx, 0, fx->live, "m1", "other-e", "10.0.0.9", "10.0.0.9", &a);
	expect_reject(&a, 403, "Not a participant of this meeting");
	assert_int_equal(a.verdict, MCU_ADMIT_NOT_PARTICIPANT);
	assert_int_equal(a.endpoint, ep(fx, "other-e"));
	assert_int_equal(a.meeting, 0);
	/* and it is the host of its own meeting */
	decide(fx, 0, fx->live, "77", "other-e", "10.0.0.9", "10.0.0.9", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.meeting, 1);
	assert_int_equal(a.role, MCU_ADMIT_ROLE_HOST);
}

static void source_outside_allow_403(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	/* branch-b's allow is 10.0.2.0/24, not its sip host */
	decide(fx, 0, fx->live, "m1", "branch-b", "10.0.0.2", "10.0.0.2", &a);
	expect_reject(&a, 403, "Source address not allowed");
	assert_int_equal(a.verdict, MCU_ADMIT_SOURCE_NOT_ALLOWED);
	assert_int_equal(a.endpoint, ep(fx, "branch-b"));
	assert_int_equal(a.meeting, -1);
	decide(fx, 0, fx->live, "m1", "branch-b", "10.0.0.2", "10.0.3.1", &a);
	expect_reject(&a, 403, "Source address not allowed");
	/* default allow = the sip host only */
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", "10.0.0.2", &a);
	expect_reject(&a, 403, "Source address not allowed");
	/* garbage or missing source address */
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", "10.0.0.1x", &a);
	expect_reject(&a, 403, "Source address not allowed");
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", NULL, &a);
	expect_reject(&a, 403, "Source address not allowed");
	/* an endpoint with auth is not challenged from a wrong address */
	decide(fx, 0, fx->live, "m1", "branch-c", "10.0.0.3", "10.0.0.4", &a);
	expect_reject(&a, 403, "Source address not allowed");
	assert_false(a.auth_required);
}

static void not_live_480_and_test_run(void **state)
{
	struct fx *fx = *state;
	const struct mcu_conf_meeting *m = &fx->conf->meetings[0];
	struct mcu_admission a;

	decide(fx, m->start - 3600, NULL, "m1", "host-a", "10.0.0.1",
	       "10.0.0.1", &a);
	expect_reject(&a, 480, "Meeting not live");
	assert_int_equal(a.verdict, MCU_ADMIT_NOT_LIVE);
	assert_int_equal(a.state, MCU_MEETING_SCHEDULED);
	assert_int_equal(a.role, MCU_ADMIT_ROLE_HOST);

	decide(fx, m->test_start + 60, NULL, "m1", "branch-b", "10.0.0.2",
	       "10.0.2.1", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.state, MCU_MEETING_TEST_RUN);
	decide(fx, m->test_end, NULL, "m1", "branch-b", "10.0.0.2", "10.0.2.1",
	       &a);
	expect_reject(&a, 480, "Meeting not live");

	decide(fx, m->start, NULL, "m1", "branch-b", "10.0.0.2", "10.0.2.1",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.state, MCU_MEETING_LIVE);
	decide(fx, m->end, NULL, "m1", "branch-b", "10.0.0.2", "10.0.2.1", &a);
	expect_reject(&a, 480, "Meeting not live");
	assert_int_equal(a.state, MCU_MEETING_ENDED);
}

static void engine_states_override_timeline(void **state)
{
	struct fx *fx = *state;
	const struct mcu_conf_meeting *m = &fx->conf->meetings[0];
	enum mcu_meeting_state st[3] = {MCU_MEETING_LIVE, MCU_MEETING_SCHEDULED,
	                                MCU_MEETING_SCHEDULED};
	struct mcu_admission a;

	/* started early by the operator */
	decide(fx, m->start - 3600, st, "m1", "host-a", "10.0.0.1", "10.0.0.1",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.state, MCU_MEETING_LIVE);
	/* ended early by the operator */
	st[0] = MCU_MEETING_ENDED;
	decide(fx, m->start + 60, st, "m1", "host-a", "10.0.0.1", "10.0.0.1",
	       &a);
	expect_reject(&a, 480, "Meeting not live");
	st[0] = MCU_MEETING_TEST_RUN;
	decide(fx, m->start + 60, st, "m1", "host-a", "10.0.0.1", "10.0.0.1",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
}

static void no_such_meeting_404(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	decide(fx, 0, fx->live, "m9", "host-a", "10.0.0.1", "10.0.0.1", &a);
	expect_reject(&a, 404, "No such meeting");
	assert_int_equal(a.verdict, MCU_ADMIT_NO_SUCH_MEETING);
	assert_int_equal(a.endpoint, ep(fx, "host-a"));
	assert_int_equal(a.meeting, -1);
	decide(fx, 0, fx->live, "", "host-a", "10.0.0.1", "10.0.0.1", &a);
	expect_reject(&a, 404, "No such meeting");
	decide(fx, 0, fx->live, NULL, "host-a", "10.0.0.1", "10.0.0.1", &a);
	expect_reject(&a, 404, "No such meeting");
	decide(fx, 0, fx->live, "99999999", "host-a", "10.0.0.1", "10.0.0.1",
	       &a);
	expect_reject(&a, 404, "No such meeting");
	decide(fx, 0, fx->live, "999999999999999999999", "host-a", "10.0.0.1",
	       "10.0.0.1", &a);
	expect_reject(&a, 404, "No such meeting");
}

static void ipv6_source(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	long d = ep(fx, "v6-d");

	decide(fx, 0, fx->live, "m1", "v6-d", "[2001:db8::5]", "2001:db8::77",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.endpoint, d);
	decide(fx, 0, fx->live, "m1", "v6-d", "2001:DB8::5", "[2001:db8::1]",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	decide(fx, 0, fx->live, "m1", "v6-d", "[2001:db8::5]",
	       "2001:db8::9%eth0", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	decide(fx, 0, fx->live, "m1", "v6-d", "[2001:db8::5]",
	       "2001:db8:0:1::1", &a);
	expect_reject(&a, 403, "Source address not allowed");
	/* an IPv4 caller seen through a dual-stack socket */
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", "::ffff:10.0.0.1",
	       &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	/* but an IPv4 allow list does not hold real IPv6 addresses */
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", "::a00:1", &a);
	expect_reject(&a, 403, "Source address not allowed");
}

static void host_only_and_case(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	/* sip:10.0.0.20 has no user part: any user at that host is it */
	decide(fx, 0, fx->live, "m1", "whatever", "10.0.0.20", "10.0.0.20", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.endpoint, ep(fx, "hostonly-f"));
	decide(fx, 0, fx->live, "m1", "", "10.0.0.20", "10.0.0.20", &a);
	assert_int_equal(a.endpoint, ep(fx, "hostonly-f"));
	/* host names compare case-insensitively */
	decide(fx, 0, fx->live, "m1", "g", "pbx.example.vn", "10.0.5.5", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_int_equal(a.endpoint, ep(fx, "named-g"));
	decide(fx, 0, fx->live, "m1", "g", "pbx.example.vn.evil", "10.0.5.5",
	       &a);
	expect_reject(&a, 403, "Unknown endpoint");
	decide(fx, 0, fx->live, "m1", "g", NULL, "10.0.5.5", &a);
	expect_reject(&a, 403, "Unknown endpoint");
	decide(fx, 0, fx->live, "m1", NULL, "Pbx.example.VN", "10.0.5.5", &a);
	expect_reject(&a, 403, "Unknown endpoint");
}

static void shared_number_picks_running_then_next(void **state)
{
	struct fx *fx = *state;
	const struct mcu_conf_meeting *m1 = &fx->conf->meetings[0];
	const struct mcu_conf_meeting *m3 = &fx->conf->meetings[2];
	struct mcu_admission a;

	decide(fx, m1->start + 1, NULL, "4242", "branch-b", "10.0.0.2",
	       "10.0.2.1", &a);
	assert_int_equal(a.meeting, 0);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	decide(fx, m1->end + 1, NULL, "4242", "branch-b", "10.0.0.2",
	       "10.0.2.1", &a);
	assert_int_equal(a.meeting, 2); /* the next to start */
	expect_reject(&a, 480, "Meeting not live");
	decide(fx, m3->start, NULL, "4242", "branch-b", "10.0.0.2", "10.0.2.1",
	       &a);
	assert_int_equal(a.meeting, 2);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	decide(fx, m3->end + 86400, NULL, "4242", "branch-b", "10.0.0.2",
	       "10.0.2.1", &a);
	assert_int_equal(a.meeting, 2); /* the one that ended last */
	decide(fx, m1->start - 86400, NULL, "4242", "branch-b", "10.0.0.2",
	       "10.0.2.1", &a);
	assert_int_equal(a.meeting, 0);
	/* the engine's states decide what "running" means */
	enum mcu_meeting_state st[3] = {
	    MCU_MEETING_ENDED, MCU_MEETING_SCHEDULED, MCU_MEETING_LIVE};
	decide(fx, m1->start + 1, st, "4242", "branch-b", "10.0.0.2",
	       "10.0.2.1", &a);
	assert_int_equal(a.meeting, 2);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
}

static void auth_required_and_password(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission_secrets *s = NULL;
	struct mcu_admission a;
	char pw[MCU_ADMISSION_SECRET_MAX + 1];

	decide(fx, 0, fx->live, "m1", "branch-c", "10.0.0.3", "10.0.0.3", &a);
	assert_int_equal(a.verdict, MCU_ADMIT_ACCEPT);
	assert_true(a.auth_required);
	assert_string_equal(a.auth_user, "cuser");
	assert_string_equal(a.auth_password_file, fx->pwfile);
	/* identified callers are challenged before they learn a rejection */
	decide(fx, 0, fx->live, "m2", "branch-c", "10.0.0.3", "10.0.0.3", &a);
	expect_reject(&a, 403, "Not a participant of this meeting");
	assert_true(a.auth_required);
	decide(fx, 0, fx->live, "nope", "branch-c", "10.0.0.3", "10.0.0.3", &a);
	expect_reject(&a, 404, "No such meeting");
	assert_true(a.auth_required);

	assert_int_equal(mcu_admission_secrets_alloc(&s), 0);
	touch_at(fx->pwfile, 1000000);
	assert_int_equal(mcu_admission_secret(s, fx->pwfile, pw, sizeof(pw)),
	                 0);
	assert_string_equal(pw, "s3cret");
	assert_int_equal(mcu_admission_secrets_reads(s), 1);
	/* cached: no second read */
	assert_int_equal(mcu_admission_secret(s, fx->pwfile, pw, sizeof(pw)),
	                 0);
	assert_string_equal(pw, "s3cret");
	assert_int_equal(mcu_admission_secrets_reads(s), 1);

	/* the operator changes the password: same length, new mtime */
	write_file(fx->pwfile, "t4cret\n");
	touch_at(fx->pwfile, 2000000);
	assert_int_equal(mcu_admission_secret(s, fx->pwfile, pw, sizeof(pw)),
	                 0);
	assert_string_equal(pw, "t4cret");
	assert_int_equal(mcu_admission_secrets_reads(s), 2);
	assert_int_equal(mcu_admission_secret(s, fx->pwfile, pw, sizeof(pw)),
	                 0);
	assert_int_equal(mcu_admission_secrets_reads(s), 2);

	/* even when the mtime is put back (only ctime/size tell) */
	write_file(fx->pwfile, "u5cret-longer\n");
	touch_at(fx->pwfile, 2000000);
	assert_int_equal(mcu_admission_secret(s, fx->pwfile, pw, sizeof(pw)),
	                 0);
	assert_string_equal(pw, "u5cret-longer");

	/* a buffer too small: ENOSPC and "" */
	char small[4] = "xyz";
	assert_int_equal(mcu_admission_secret(s, fx->pwfile, small, 4), ENOSPC);
	assert_string_equal(small, "");
	mcu_admission_secrets_free(s);
}

static void password_file_errors(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission_secrets *s = NULL;
	char pw[64];
	char big[600];

	(void)fx;
	assert_int_equal(mcu_admission_secrets_alloc(&s), 0);
	assert_int_equal(
	    mcu_admission_secret(s, "/nonexistent/pw", pw, sizeof(pw)), ENOENT);
	assert_string_equal(pw, "");
	assert_int_equal(mcu_admission_secret(s, "/tmp", pw, sizeof(pw)),
	                 EINVAL);
	assert_int_equal(mcu_admission_secret(s, NULL, pw, sizeof(pw)), EINVAL);

	char path[] = "/tmp/mcu-adm-pw2-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "   \nsecret-on-line-two\n");
	assert_int_equal(mcu_admission_secret(s, path, pw, sizeof(pw)),
	                 ENODATA);
	assert_string_equal(pw, "");
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	write_file(path, big);
	touch_at(path, 3000000);
	assert_int_equal(mcu_admission_secret(s, path, pw, sizeof(pw)),
	                 EMSGSIZE);
	/* fixed: found again */
	write_file(path, "ok\n");
	touch_at(path, 3000001);
	assert_int_equal(mcu_admission_secret(s, path, pw, sizeof(pw)), 0);
	assert_string_equal(pw, "ok");
	/* removed: the cached secret is not served any more */
	unlink(path);
	assert_int_equal(mcu_admission_secret(s, path, pw, sizeof(pw)), ENOENT);
	assert_string_equal(pw, "");
	mcu_admission_secrets_free(s);
}

static void source_known_filter(void **state)
{
	struct fx *fx = *state;
	assert_true(mcu_admission_source_known(fx->conf, "10.0.0.1"));
	assert_true(mcu_admission_source_known(fx->conf, "10.0.2.200"));
	assert_true(mcu_admission_source_known(fx->conf, "2001:db8::1234"));
	assert_true(mcu_admission_source_known(fx->conf, "::ffff:10.0.5.9"));
	assert_false(mcu_admission_source_known(fx->conf, "10.0.3.1"));
	assert_false(mcu_admission_source_known(fx->conf, "10.0.0.2"));
	assert_false(mcu_admission_source_known(fx->conf, "2001:db9::1"));
	assert_false(mcu_admission_source_known(fx->conf, "garbage"));
	assert_false(mcu_admission_source_known(fx->conf, ""));
	assert_false(mcu_admission_source_known(fx->conf, NULL));
	assert_false(mcu_admission_source_known(NULL, "10.0.0.1"));
}

static void hostile_inputs(void **state)
{
	struct fx *fx = *state;
	struct mcu_admission a;
	char longs[300];
	struct mcu_admission_request r = {0};

	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	decide(fx, 0, fx->live, longs, longs, longs, longs, &a);
	expect_reject(&a, 403, "Unknown endpoint");
	decide(fx, 0, fx->live, longs, "host-a", "10.0.0.1", "10.0.0.1", &a);
	expect_reject(&a, 404, "No such meeting");
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", longs, &a);
	expect_reject(&a, 403, "Source address not allowed");
	decide(fx, 0, fx->live, "m1", "host-a", "10.0.0.1", "[]", &a);
	expect_reject(&a, 403, "Source address not allowed");
	assert_int_equal(mcu_admission_decide(fx->conf, 0, &r, &a), 0);
	expect_reject(&a, 403, "Unknown endpoint");
	assert_int_equal(mcu_admission_decide(NULL, 0, &r, &a), EINVAL);
	assert_int_equal(mcu_admission_decide(fx->conf, 0, NULL, &a), EINVAL);
	assert_string_equal(mcu_admission_verdict_name(MCU_ADMIT_NOT_LIVE),
	                    "not-live");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(accept_host, setup, teardown),
    cmocka_unit_test_setup_teardown(accept_branch_by_number, setup, teardown),
    cmocka_unit_test_setup_teardown(unknown_caller_403, setup, teardown),
    cmocka_unit_test_setup_teardown(not_participant_403, setup, teardown),
    cmocka_unit_test_setup_teardown(source_outside_allow_403, setup, teardown),
    cmocka_unit_test_setup_teardown(not_live_480_and_test_run, setup, teardown),
    cmocka_unit_test_setup_teardown(engine_states_override_timeline, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(no_such_meeting_404, setup, teardown),
    cmocka_unit_test_setup_teardown(ipv6_source, setup, teardown),
    cmocka_unit_test_setup_teardown(host_only_and_case, setup, teardown),
    cmocka_unit_test_setup_teardown(shared_number_picks_running_then_next,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(auth_required_and_password, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(password_file_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(source_known_filter, setup, teardown),
    cmocka_unit_test_setup_teardown(hostile_inputs, setup, teardown),
};
MCU_TEST_MAIN(tests, NULL, NULL)
