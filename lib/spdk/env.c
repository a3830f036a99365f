// SPDX-License-Identifier: BSD-3-Clause
/*
 * SPDK-compatible environment: options, start-up, cores, time, error messages.
 *
 * There is no DPDK underneath: spdk_env_init() only records the options that mean something here
 * (name, cores, PCI selection); memory and devices are set up on demand by the other calls.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "spdk_priv.h"

#define MAX_CORES 64

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static bool env_ever_initialised;
static bool env_active;
static pthread_t env_main_thread;
static uint64_t env_core_mask = 1;
static uint32_t env_main_core;
static bool env_no_pci;
static struct spdk_pci_addr *env_pci_list; /* allowed or blocked */
static size_t env_pci_count;
static bool env_pci_list_allows;

int dcspdk_error(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dmacopy-spdk: %s\n", msg);
	return lib_error(err, "%s", msg);
}

/* "0x3", "3" (hexadecimal mask) or "[0,2-3]" (list) -> bit mask of cores 0..63. */
static int parse_core_mask(const char *s, uint64_t *mask)
{
	uint64_t m = 0;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		const char *p = s + 1;

		while (*p && *p != ']') {
			char *end;
			unsigned long lo, hi;

			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			lo = strtoul(p, &end, 10);
			hi = lo;
			if (*end == '-') {
				if (!isdigit((unsigned char)end[1]))
					return -EINVAL;
				hi = strtoul(end + 1, &end, 10);
			}
			if (lo > hi || hi >= MAX_CORES)
				return -EINVAL;
			for (unsigned long c = lo; c <= hi; c++)
				m |= 1ull << c;
			p = end;
			if (*p == ',')
				p++;
			else if (*p != ']')
				return -EINVAL;
		}
		if (*p != ']' || p[1])
			return -EINVAL;
	} else {
		unsigned int digits = 0;

		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		for (; *s; s++) {
			int v;

			if (!isxdigit((unsigned char)*s))
				return -EINVAL;
			v = isdigit((unsigned char)*s) ? *s - '0'
			                               : tolower((unsigned char)*s) - 'a' + 10;
			if (m >> 60)
				return -EINVAL; /* a core above 63 */
			m = (m << 4) | (uint64_t)v;
			digits++;
		}
		if (!digits)
			return -EINVAL;
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

void spdk_env_opts_init(struct spdk_env_opts *opts)
{
	if (!opts)
		return;
	memset(opts, 0, sizeof(*opts));
	opts->name = "spdk";
	opts->core_mask = "0x1";
	opts->shm_id = -1;
	opts->mem_size = -1;
	opts->main_core = -1;
	opts->mem_channel = -1;
	opts->base_virtaddr = 0x200000000000ull;
	opts->opts_size = sizeof(*opts);
}

static int env_apply(const struct spdk_env_opts *opts)
{
	uint64_t mask;
	struct spdk_pci_addr *list = NULL;
	size_t count = 0;
	bool allows = false;
	int rc;

	rc = parse_core_mask(opts->lcore_map ? opts->lcore_map : opts->core_mask, &mask);
	if (rc)
		return dcspdk_error(rc, "spdk_env_init: core mask '%s' is not a hexadecimal mask "
				    "or a [list] of cores 0..%d",
				    opts->lcore_map ? opts->lcore_map : opts->core_mask ?: "(null)",
				    MAX_CORES - 1);
	if (opts->main_core >= MAX_CORES)
		return dcspdk_error(-EINVAL, "spdk_env_init: main_core %d is above %d",
		                    opts->main_core, MAX_CORES - 1);
	if (opts->pci_allowed && opts->pci_blocked)
		return dcspdk_error(-EINVAL, "spdk_env_init: pci_allowed and pci_blocked are both "
		                             "set");
	if (opts->num_pci_addr && (opts->pci_allowed || opts->pci_blocked)) {
		list = calloc(opts->num_pci_addr, sizeof(*list));
		if (!list)
			return -ENOMEM;
		allows = opts->pci_allowed != NULL;
		memcpy(list, allows ? opts->pci_allowed : opts->pci_blocked,
		       opts->num_pci_addr * sizeof(*list));
		count = opts->num_pci_addr;
	}

	free(env_pci_list);
	env_pci_list = list;
	env_pci_count = count;
	env_pci_list_allows = allows;
	env_core_mask = mask;
	env_main_core =
	        opts->main_core >= 0 ? (uint32_t)opts->main_core : (uint32_t)__builtin_ctzll(mask);
	env_no_pci = opts->no_pci;
	return 0;
}

int spdk_env_init(const struct spdk_env_opts *opts)
{
	int rc = 0;

	pthread_mutex_lock(&env_lock);
	if (env_ever_initialised) {
		/* As SPDK: only a re-initialisation without options is allowed. */
		if (opts)
			rc = dcspdk_error(-EINVAL, "spdk_env_init: the environment was initialised "
			                           "before; re-initialise with NULL options");
	} else if (!opts) {
		rc = dcspdk_error(-EINVAL, "spdk_env_init: NULL options for the first "
		                           "initialisation");
	} else {
		rc = env_apply(opts);
	}
	if (!rc) {
		env_ever_initialised = true;
		env_active = true;
		env_main_thread = pthread_self();
	}
	pthread_mutex_unlock(&env_lock);
	return rc;
}

void spdk_env_fini(void)
{
	pthread_mutex_lock(&env_lock);
	env_active = false;
	pthread_mutex_unlock(&env_lock);
}

bool dcspdk_env_pci_allowed(const struct spdk_pci_addr *addr)
{
	bool listed = false, ok;

	pthread_mutex_lock(&env_lock);
	if (env_no_pci) {
		pthread_mutex_unlock(&env_lock);
		return false;
	}
	for (size_t i = 0; i < env_pci_count; i++) {
		if (!spdk_pci_addr_compare(&env_pci_list[i], addr))
			listed = true;
	}
	ok = env_pci_count ? listed == env_pci_list_allows : true;
	pthread_mutex_unlock(&env_lock);
	return ok;
}

uint32_t spdk_env_get_core_count(void)
{
	return (uint32_t)__builtin_popcountll(env_core_mask);
}

uint32_t spdk_env_get_current_core(void)
{
	if (env_active && pthread_equal(pthread_self(), env_main_thread))
		return env_main_core;
	return SPDK_ENV_LCORE_ID_ANY;
}

uint32_t spdk_env_get_main_core(void)
{
	return env_main_core;
}

uint32_t spdk_env_get_first_core(void)
{
	return (uint32_t)__builtin_ctzll(env_core_mask);
}

uint32_t spdk_env_get_last_core(void)
{
	return (uint32_t)(63 - __builtin_clzll(env_core_mask));
}

uint32_t spdk_env_get_next_core(uint32_t prev_core)
{
	uint64_t rest;

	if (prev_core >= MAX_CORES - 1)
		return UINT32_MAX;
	rest = env_core_mask & ~((2ull << prev_core) - 1);
	return rest ? (uint32_t)__builtin_ctzll(rest) : UINT32_MAX;
}

uint64_t spdk_get_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t spdk_get_ticks_hz(void)
{
	return 1000000000ull;
}

void spdk_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

void spdk_delay_us(unsigned int us)
{
	uint64_t end = spdk_get_ticks() + (uint64_t)us * 1000ull;

	while (spdk_get_ticks() < end)
		spdk_pause();
}

bool spdk_iommu_is_enabled(void)
{
	DIR *d = opendir("/sys/class/iommu");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] != '.';
	closedir(d);
	return found;
}
