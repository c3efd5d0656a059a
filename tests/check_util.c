/*
 * check_util.c: durations, sizes, integers, booleans, times, files.
 */
#include "config.h"

#include "check_vigil.h"

START_TEST(test_duration)
{
	static const struct {
		const char	*text;
		int64_t		 ms;
	} ok[] = {
		{ "30", 30000 }, { "30s", 30000 }, { "500ms", 500 },
		{ "5m", 300000 }, { "24h", 86400000 }, { "90d", 7776000000LL },
		{ "1w", 604800000 }, { "1h30m", 5400000 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "s", "10x", "1.5h", "-5s", "5 s", "h1", "99999999999999999999d",
	};
	const char	*why;
	int64_t		 ms;
	size_t		 i;

	for (i = 0; i < nitems(ok); i++) {
		ck_assert_msg(parse_duration(ok[i].text, &ms, &why) == 0,
		    "%s: %s", ok[i].text, why);
		ck_assert_int_eq(ms, ok[i].ms);
	}
	for (i = 0; i < nitems(bad); i++)
		ck_assert_msg(parse_duration(bad[i], &ms, &why) == -1,
		    "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(test_format_duration)
{
	char	*s;

	s = format_duration(5400000);
	ck_assert_str_eq(s, "1h30m");
	free(s);
	s = format_duration(250);
	ck_assert_str_eq(s, "250ms");
	free(s);
	s = format_duration(0);
	ck_assert_str_eq(s, "0s");
	free(s);
	s = format_duration(90061001);
	ck_assert_str_eq(s, "1d1h1m1s1ms");
	free(s);
}
END_TEST

START_TEST(test_size)
{
	const char	*why;
	int64_t		 n;

	ck_assert_int_eq(parse_size("4096", &n, &why), 0);
	ck_assert_int_eq(n, 4096);
	ck_assert_int_eq(parse_size("64KiB", &n, &why), 0);
	ck_assert_int_eq(n, 65536);
	ck_assert_int_eq(parse_size("1MiB", &n, &why), 0);
	ck_assert_int_eq(n, 1048576);
	ck_assert_int_eq(parse_size("2MB", &n, &why), 0);
	ck_assert_int_eq(n, 2000000);
	ck_assert_int_eq(parse_size("1G", &n, &why), 0);
	ck_assert_int_eq(n, 1073741824);
	ck_assert_int_eq(parse_size("1 MiB", &n, &why), -1);
	ck_assert_int_eq(parse_size("1TiB", &n, &why), -1);
	ck_assert_int_eq(parse_size("-1", &n, &why), -1);
	ck_assert_int_eq(parse_size("99999999999999999GiB", &n, &why), -1);
	ck_assert_str_eq(why, "size out of range");
}
END_TEST

START_TEST(test_int_bool)
{
	const char	*why;
	int64_t		 n;
	bool		 b;

	ck_assert_int_eq(parse_int("-42", &n, &why), 0);
	ck_assert_int_eq(n, -42);
	ck_assert_int_eq(parse_int("42x", &n, &why), -1);
	ck_assert_int_eq(parse_int("", &n, &why), -1);
	ck_assert_int_eq(parse_int(" 1", &n, &why), -1);
	ck_assert_int_eq(parse_int("99999999999999999999", &n, &why), -1);
	ck_assert_str_eq(why, "integer out of range");
	ck_assert_int_eq(parse_bool("yes", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(parse_bool("false", &b), 0);
	ck_assert(!b);
	ck_assert_int_eq(parse_bool("maybe", &b), -1);
}
END_TEST

START_TEST(test_time)
{
	char	*s;

	s = time_iso8601(1700000000123LL);
	ck_assert_str_eq(s, "2023-11-14T22:13:20.123Z");
	free(s);
	ck_assert(now_ms() > 1700000000000LL);
}
END_TEST

START_TEST(test_read_file)
{
	char	*dir, *path, *buf, *cause = NULL;
	size_t	 len;

	dir = test_tmpdir();
	path = xprintf("%s/f", dir);
	test_write(path, "0123456789");
	buf = read_file(path, 10, &len, &cause);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(len, 10);
	ck_assert_str_eq(buf, "0123456789");
	free(buf);
	ck_assert_ptr_null(read_file(path, 9, &len, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "larger than 9 bytes"));
	free(cause);
	ck_assert_ptr_null(read_file(dir, 9, &len, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "is a directory"));
	free(cause);
	free(path);
	path = xprintf("%s/none", dir);
	ck_assert_ptr_null(read_file(path, 9, &len, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "No such file"));
	free(cause);
	free(path);
	test_rmrf(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("util");
	TCase	*tc = tcase_create("util");

	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_format_duration);
	tcase_add_test(tc, test_size);
	tcase_add_test(tc, test_int_bool);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_read_file);
	suite_add_tcase(s, tc);
	return test_run(s);
}
