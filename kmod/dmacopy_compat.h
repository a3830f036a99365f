/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel interfaces dmacopy.ko uses that changed between the kernels it
 * builds for (Debian's 6.1, 6.12 and 7.x). Every version check of the module
 * is here, each naming the change it follows; the code calls the dmacopy_*
 * names below and never tests a version itself.
 */
#ifndef DMACOPY_COMPAT_H
#define DMACOPY_COMPAT_H

#include <linux/device.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/version.h>

/*
 * Whether the kernel built for is older than a.b.c: the one place the module
 * reads LINUX_VERSION_CODE (scripts/checkpatch-all allows it in this file only,
 * as an out-of-tree module must follow the kernels it builds for).
 */
#define DMACOPY_KERNEL_BEFORE(a, b, c) (KERNEL_VERSION(a, b, c) > LINUX_VERSION_CODE)

/* pin_user_pages() lost its vmas argument in Linux 6.5. */
#if DMACOPY_KERNEL_BEFORE(6, 5, 0)
#define dmacopy_pin_user_pages(start, nr, flags, pages) \
	pin_user_pages(start, nr, flags, pages, NULL)
#else
#define dmacopy_pin_user_pages(start, nr, flags, pages) \
	pin_user_pages(start, nr, flags, pages)
#endif

/*
 * The add_dev/remove_dev callbacks of a class_interface lost their
 * class_interface argument in Linux 6.4. DMACOPY_INTF_ARGS declares the
 * parameters of such a callback.
 */
#if DMACOPY_KERNEL_BEFORE(6, 4, 0)
#define DMACOPY_INTF_ARGS struct device *dev, struct class_interface *intf
#else
#define DMACOPY_INTF_ARGS struct device *dev
#endif

/* get_dev_pagemap() lost its unused pgmap argument in Linux 6.18. */
#if DMACOPY_KERNEL_BEFORE(6, 18, 0)
#define dmacopy_get_dev_pagemap(pfn) get_dev_pagemap(pfn, NULL)
#else
#define dmacopy_get_dev_pagemap(pfn) get_dev_pagemap(pfn)
#endif

#endif /* DMACOPY_COMPAT_H */
