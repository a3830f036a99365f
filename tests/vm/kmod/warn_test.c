// SPDX-License-Identifier: GPL-2.0-only
/*
 * warn_test: a test-only module that triggers one kernel WARNING when it is
 * loaded. The dmacopy guest harness must turn that into a failed run; the
 * harness self-test t_selftest_warn proves it does.
 */

#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init warn_test_init(void)
{
	WARN(1, "warn_test: deliberate warning to test the harness's detector\n");
	return 0;
}

static void __exit warn_test_exit(void)
{
}

module_init(warn_test_init);
module_exit(warn_test_exit);

MODULE_DESCRIPTION("dmacopy test module that WARNs on load");
MODULE_LICENSE("GPL");
