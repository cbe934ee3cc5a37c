/* SPDX-License-Identifier: MIT */
/*
 * VFIO lines (docs/design.md §4; irq.h uwq_irq_create_vfio): a VFIO device's
 * interrupts need the kernel's VFIO driver, which a CI machine lacks, so
 * this checks the error contract on fds that are not VFIO devices (the
 * SET_IRQS ioctl fails: -ENOTTY, nothing leaked, no line created). The
 * protocol itself is tested against a stand-in in chip_vfio_standin.c; a
 * real device needs one bound to vfio-pci in an IOMMU group.
 */
#include <linux/vfio.h>
#include <uwq.h>

#include "util.h"

int main(void)
{
	int p[2], before, r;

	CHECK(uwq_irq_create_vfio(-1, VFIO_PCI_MSIX_IRQ_INDEX, 0) == -EINVAL, "negative fd accepted");
	CHECK(pipe(p) == 0, "pipe");
	before = count_fds();
	r = uwq_irq_create_vfio(p[0], VFIO_PCI_MSIX_IRQ_INDEX, 0);
	CHECK(r == -ENOTTY, "a pipe taken for a VFIO device: %d, want -ENOTTY", r);
	r = uwq_irq_create_vfio(p[0], VFIO_PCI_INTX_IRQ_INDEX, 0);
	CHECK(r == -ENOTTY, "a pipe taken for a VFIO device (INTx): %d", r);
	CHECK(count_fds() == before, "fds leaked by a failed create: %d -> %d", before, count_fds());
	CHECK(uwq_irq_destroy(1) == -EINVAL, "a failed create left a line behind");
	close(p[0]);
	close(p[1]);
	CHECK(uwq_shutdown() == 0, "shutdown");
	printf("note: a real VFIO device is not exercised here (it needs a device bound to vfio-pci)\n");
	return TEST_PASS;
}
