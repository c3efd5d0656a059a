/*
 * check_vigil.h: what vigil's Check unit tests share.
 */
#ifndef CHECK_VIGIL_H
#define CHECK_VIGIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vigil.h"

/* A fresh temporary directory for a test; removed by the caller's rmrf. */
static inline char *
test_tmpdir(void)
{
	char	 tmpl[] = "/tmp/vigil-check-XXXXXX";
	char	*d;

	d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return xstrdup(d);
}

static inline void
test_rmrf(const char *dir)
{
	char	*cmd;

	cmd = xprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static inline void
test_write(const char *path, const char *text)
{
	FILE	*f;

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Run one suite in fork mode; exit status for the test harness. */
static inline int
test_run(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* CHECK_VIGIL_H */
