/*
 * check_metrics.c: the Prometheus exposition.
 */
#include "config.h"

#include "check_vigil.h"
#include "vigild.h"

static void
setup(void)
{
	metrics_init();
}

static void
teardown(void)
{
	metrics_free();
}

static void
assert_line(const char *text, const char *line)
{
	char	*needle, *all;

	needle = xprintf("\n%s\n", line);
	all = xprintf("\n%s", text);
	ck_assert_msg(strstr(all, needle) != NULL, "missing line: %s\n%s",
	    line, text);
	free(all);
	free(needle);
}

START_TEST(test_counters_and_gauges)
{
	char	*text;

	metrics_add(M_EVENTS_RECEIVED, "org-events", 1);
	metrics_add(M_EVENTS_RECEIVED, "org-events", 2);
	metrics_add(M_EVENTS_RECEIVED, "azure", 1);
	metrics_set(M_VIOLATIONS_OPEN, "high", 7);
	metrics_set(M_VIOLATIONS_OPEN, "high", 5);
	metrics_add(M_EVALUATIONS, NULL, 1e6);
	metrics_set(M_FEED_LAG, "q", 0.25);
	ck_assert(metrics_get(M_EVENTS_RECEIVED, "org-events") == 3);

	text = metrics_render();
	assert_line(text, "# HELP vigil_events_received_total Change events "
	    "received, by feed.");
	assert_line(text, "# TYPE vigil_events_received_total counter");
	assert_line(text, "vigil_events_received_total{feed=\"org-events\"} 3");
	assert_line(text, "vigil_events_received_total{feed=\"azure\"} 1");
	assert_line(text, "vigil_violations_open{severity=\"high\"} 5");
	assert_line(text, "vigil_violations_open{severity=\"critical\"} 0");
	assert_line(text, "vigil_rule_evaluations_total 1000000");
	assert_line(text, "vigil_feed_lag_seconds{feed=\"q\"} 0.25");
	assert_line(text, "vigil_errors_total{kind=\"database\"} 0");
	free(text);
}
END_TEST

START_TEST(test_label_escaping)
{
	char	*text;

	metrics_add(M_ERRORS, "a\"b\\c\nd", 1);
	text = metrics_render();
	assert_line(text, "vigil_errors_total{kind=\"a\\\"b\\\\c\\nd\"} 1");
	free(text);
}
END_TEST

START_TEST(test_histogram)
{
	char	*text;

	metrics_observe(M_PROCESSING_SECONDS, NULL, 0.003);
	metrics_observe(M_PROCESSING_SECONDS, NULL, 0.003);
	metrics_observe(M_PROCESSING_SECONDS, NULL, 0.2);
	metrics_observe(M_PROCESSING_SECONDS, NULL, 100);
	text = metrics_render();
	assert_line(text, "# TYPE vigil_event_processing_seconds histogram");
	assert_line(text, "vigil_event_processing_seconds_bucket{le=\"0.001\"} 0");
	assert_line(text, "vigil_event_processing_seconds_bucket{le=\"0.005\"} 2");
	assert_line(text, "vigil_event_processing_seconds_bucket{le=\"0.25\"} 3");
	assert_line(text, "vigil_event_processing_seconds_bucket{le=\"60\"} 3");
	assert_line(text, "vigil_event_processing_seconds_bucket{le=\"+Inf\"} 4");
	assert_line(text, "vigil_event_processing_seconds_count 4");
	assert_line(text, "vigil_event_processing_seconds_sum 100.206");
	free(text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counters_and_gauges);
	tcase_add_test(tc, test_label_escaping);
	tcase_add_test(tc, test_histogram);
	suite_add_tcase(s, tc);
	return test_run(s);
}
