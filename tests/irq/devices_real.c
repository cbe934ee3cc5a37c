/* SPDX-License-Identifier: MIT */
/*
 * Real devices, when the machine has them (docs/design.md §4): a UIO device
 * (/dev/uio0) becomes a line that can be requested and freed. Skips (77)
 * with the reason when there is none; GPIO and VFIO need a device set up
 * for the test (a line request, an IOMMU group), which a CI machine lacks,
 * and are covered by the stand-in tests.
 */
#include <uwq.h>

#include "util.h"

static uwq_irqreturn_t real_primary(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return UWQ_IRQ_HANDLED;
}

int main(void)
{
	int irq;

	if (access("/dev/uio0", R_OK | W_OK) != 0) {
		printf("skip: no accessible /dev/uio0 on this machine\n");
		return TEST_SKIP;
	}
	irq = uwq_irq_create_uio("/dev/uio0");
	CHECK(irq > 0, "uwq_irq_create_uio(/dev/uio0): %d", irq);
	CHECK(uwq_request_irq(irq, real_primary, 0, "uio0", NULL) == 0, "request failed");
	CHECK(uwq_free_irq(irq, NULL), "free failed");
	CHECK(uwq_irq_destroy(irq) == 0, "destroy failed");
	CHECK(uwq_shutdown() == 0, "shutdown");
	return TEST_PASS;
}
