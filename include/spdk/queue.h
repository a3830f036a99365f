/* SPDX-License-Identifier: BSD-3-Clause */
/* The BSD list macros (TAILQ_*, STAILQ_*, ...) SPDK programs get from "spdk/queue.h". */
#ifndef SPDK_QUEUE_H
#define SPDK_QUEUE_H

#include <sys/queue.h>

#endif /* SPDK_QUEUE_H */
