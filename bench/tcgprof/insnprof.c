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
 * It also counts, per address, the translated blocks entered there and the block exits after
 * the instruction there that TCG cannot chain to the next block, so that the next one is looked
 * up: a return or an indirect jump or call, or a jump, call or fall-through into another guest
 * page (TCG chains blocks only within a page). A conditional branch into another page counts on
 * every execution, taken or not: an upper bound there. The lookups are the emulator's own cost
 * that instruction counts leave out.
 *
 * At exit FILE holds "kernel N" and one "ADDR N M B L" line per user address that ran (hex
 * address, decimal counts of executions, memory accesses, blocks entered and lookups).
 * bench/tcgprof/report maps them to the benchmark's binaries and functions.
 * Counting is inline (no call per instruction); counts from several vCPUs running the same
 * address at once may lose an increment, which a profile can afford.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define USER_TOP 0x0000800000000000ull /* x86-64 canonical user half */

struct counter {
	uint64_t insns;
	uint64_t mem;     /* loads and stores (a wide access may count as several) */
	uint64_t blocks;  /* translated blocks entered at this address */
	uint64_t lookups; /* block exits after this instruction that are looked up, not chained */
};

#define PAGE_MASK (~0xfffull)

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

/*
 * Whether the exit of a block whose last instruction (at pc, its bytes code, size bytes) lies
 * in the page of the block's start is looked up rather than chained. The x86 branches are
 * decoded from their bytes (this QEMU's disassembler may be left out of its build).
 */
/* Whether address a lies outside the page of the block's start. */
static bool other_page(uint64_t a, uint64_t start)
{
	return (a & PAGE_MASK) != (start & PAGE_MASK);
}

/* The little-endian 32-bit displacement that ends an instruction of size bytes. */
static int64_t rel32_at_end(const uint8_t *code, size_t size)
{
	return (int32_t)((uint32_t)code[size - 4] | (uint32_t)code[size - 3] << 8 |
			 (uint32_t)code[size - 2] << 16 | (uint32_t)code[size - 1] << 24);
}

static bool exit_looked_up(uint64_t start, uint64_t pc, const uint8_t *code, size_t size)
{
	const uint64_t next = pc + size;
	size_t i = 0;
	int64_t rel;
	bool cond;

	/* legacy prefixes (operand and address size, repeat, segment, notrack), then REX */
	while (i < size && (code[i] == 0x66 || code[i] == 0x67 || code[i] == 0xf2 ||
			    code[i] == 0xf3 || code[i] == 0x2e || code[i] == 0x3e ||
			    code[i] == 0x26 || code[i] == 0x36 || code[i] == 0x64 || code[i] == 0x65))
		i++;
	if (i < size && (code[i] & 0xf0) == 0x40)
		i++;
	if (i >= size)
		return true;
	switch (code[i]) {
	case 0xc2: case 0xc3: case 0xca: case 0xcb: case 0xcf: /* ret, far ret, iret */
		return true;
	case 0xe8: case 0xe9: /* call, jmp rel32 */
		rel = rel32_at_end(code, size);
		cond = false;
		break;
	case 0xeb: /* jmp rel8 */
		rel = (int8_t)code[size - 1];
		cond = false;
		break;
	case 0x70 ... 0x7f: case 0xe0 ... 0xe3: /* jcc, loop, jcxz rel8 */
		rel = (int8_t)code[size - 1];
		cond = true;
		break;
	case 0xff: /* call or jmp through a register or memory (ModRM reg 2..5) */
		if (i + 1 < size && ((code[i + 1] >> 3) & 7) >= 2 && ((code[i + 1] >> 3) & 7) <= 5)
			return true;
		return other_page(next, start);
	case 0x0f:
		if (i + 1 < size && (code[i + 1] == 0x05 || code[i + 1] == 0x07 ||
				     code[i + 1] == 0x34 || code[i + 1] == 0x35))
			return true; /* syscall, sysret, sysenter, sysexit */
		if (i + 1 < size && code[i + 1] >= 0x80 && code[i + 1] <= 0x8f) {
			rel = rel32_at_end(code, size);
			cond = true;
			break;
		}
		return other_page(next, start);
	default:
		/* the block ended without a branch: the next one follows it */
		return other_page(next, start);
	}
	return other_page(next + (uint64_t)rel, start) || (cond && other_page(next, start));
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	uint64_t start = qemu_plugin_tb_vaddr(tb);
	(void)id;

	if (start < USER_TOP && n) {
		struct qemu_plugin_insn *last = qemu_plugin_tb_get_insn(tb, n - 1);
		uint64_t pc = qemu_plugin_insn_vaddr(last);

		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &counter_at(start)->blocks, 1);
		if (exit_looked_up(start, pc, qemu_plugin_insn_data(last), qemu_plugin_insn_size(last)))
			qemu_plugin_register_vcpu_insn_exec_inline(last, QEMU_PLUGIN_INLINE_ADD_U64,
								   &counter_at(pc)->lookups, 1);
	}

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
			fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				*(uint64_t *)k, c->insns, c->mem, c->blocks, c->lookups);
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
