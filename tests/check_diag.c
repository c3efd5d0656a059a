/*
 * check_diag.c: diagnostics and their rendering.
 */
#include "config.h"

#include "check_vigil.h"

START_TEST(test_strings)
{
	struct diags	 d = { NULL, 0 }, more = { NULL, 0 };
	char		*s;

	diag_add(&d, "a.yaml", 3, 7, "bad %s", "thing");
	diag_add(&d, "a.yaml", 4, 0, "line only");
	diag_add(&d, "a.yaml", 0, 0, "file only");
	diag_add(&more, NULL, 0, 0, "no position");
	diag_move(&d, &more);
	ck_assert_int_eq(d.n, 4);
	ck_assert_int_eq(more.n, 0);
	s = diag_string(&d.v[0]);
	ck_assert_str_eq(s, "a.yaml:3:7: bad thing");
	free(s);
	s = diag_string(&d.v[1]);
	ck_assert_str_eq(s, "a.yaml:4: line only");
	free(s);
	s = diag_string(&d.v[2]);
	ck_assert_str_eq(s, "a.yaml: file only");
	free(s);
	s = diag_string(&d.v[3]);
	ck_assert_str_eq(s, "no position");
	free(s);
	diag_clear(&d);
	ck_assert_int_eq(d.n, 0);
}
END_TEST

START_TEST(test_caret)
{
	struct diags	 d = { NULL, 0 };
	char		*dir, *path, *out = NULL, *want;
	size_t		 len;
	FILE		*f;

	dir = test_tmpdir();
	path = xprintf("%s/r.yaml", dir);
	test_write(path, "first: 1\n\tkey: value\nlast: 3\n");
	diag_add(&d, path, 2, 7, "here");
	f = open_memstream(&out, &len);
	diag_print(f, &d, true);
	fclose(f);
	want = xprintf("%s:2:7: here\n  \tkey: value\n  \t     ^\n", path);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
	diag_clear(&d);
	free(path);
	test_rmrf(dir);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("diag");
	TCase	*tc = tcase_create("diag");

	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_caret);
	suite_add_tcase(s, tc);
	return test_run(s);
}
