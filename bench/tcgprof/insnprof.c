// SPDX-License-Identifier: BSD-3-Clause
/*
 * A QEMU TCG plugin that counts the guest instructions executed at every user-space address, and
 * the memory accesses they made, and, in one figure, the instructions run in the kernel: the
 * profile of a benchmark in the emulated machine, which the clock there cannot give (TCG time is
 * host time, shared with the device models). Under TCG a load or store costs far more host work
 * than an instruction that stays in registers (each goes through the soft TLB), so the second
 * count weighs what the first cannot.
 *
 *   qemu ... -plugin build/bench/insnprof.so,out=FILE
 *
 * At exit FILE holds "kernel N" and one "ADDR N M" line per user address that ran (hex address,
 * decimal counts of executions and of memory accesses). bench/tcgprof/report maps them to the benchmark's binaries and functions.
 * Counting is inline (no call per instruction); counts from several vCPUs running the same
 * address at once may lose an increment, which a profile can afford.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define USER_TOP 0x0000800000000000ull /* x86-64 canonical user half */

struct counter {
	uint64_t insns;
	uint64_t mem; /* loads and stores (a wide access may count as several) */
};

static GHashTable *counts; /* guest address -> struct counter */
static GMutex lock;        /* translation may run on several vCPU threads */
static uint64_t kernel_insns;
static char *out_path;

static struct counter *counter_at(uint64_t pc)
{
	struct counter *c;

	g_mutex_lock(&lock);
	c = g_hash_table_lookup(counts, &pc);
	if (!c) {
		uint64_t *key = g_new(uint64_t, 1);

		*key = pc;
		c = g_new0(struct counter, 1);
		g_hash_table_insert(counts, key, c);
	}
	g_mutex_unlock(&lock);
	return c;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	(void)id;

	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t pc = qemu_plugin_insn_vaddr(insn);
		struct counter *c;

		if (pc >= USER_TOP) {
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &kernel_insns, 1);
			continue;
		}
		c = counter_at(pc);
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   &c->insns, 1);
		qemu_plugin_register_vcpu_mem_inline(insn, QEMU_PLUGIN_MEM_RW,
						     QEMU_PLUGIN_INLINE_ADD_U64, &c->mem, 1);
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	GHashTableIter it;
	gpointer k, v;
	FILE *f = fopen(out_path, "w");
	(void)id;
	(void)p;

	if (!f) {
		qemu_plugin_outs("insnprof: cannot write the profile\n");
		return;
	}
	fprintf(f, "kernel %" PRIu64 "\n", kernel_insns);
	g_hash_table_iter_init(&it, counts);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const struct counter *c = v;

		if (c->insns)
			fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", *(uint64_t *)k, c->insns,
				c->mem);
	}
	fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
					   char **argv)
{
	int i;
	(void)info;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_path = g_strdup(argv[i] + 4);
	if (!out_path) {
		fprintf(stderr, "insnprof: give out=FILE\n");
		return -1;
	}
	counts = g_hash_table_new(g_int64_hash, g_int64_equal);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
