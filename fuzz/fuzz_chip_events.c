/* SPDX-License-Identifier: MIT */
/*
 * fuzz_chip_events - libFuzzer target for the event parsing of the GPIO and
 * UIO chips (uwq__gpio_parse() and uwq__uio_parse(), src/irq/chip_*.c):
 * what their ack does with the bytes each read() of the device fd returns.
 *
 * Input: one byte choosing the chip (even: GPIO, odd: UIO), then reads,
 * each a 2-byte little-endian length and that many bytes (or what is left
 * of the input). The reads go to the parser in order with one state, as
 * the ack's successive reads of one fd do. Each result is checked against
 * a reference written here in 64-bit arithmetic:
 *  - -EIO exactly when the size is one the protocol never returns (GPIO:
 *    not a nonzero multiple of a 48-byte record; UIO: not 4 bytes); then
 *    the state and the missed count are unchanged;
 *  - otherwise 1, and the missed count grows by exactly: for each seqno
 *    (GPIO) or count (UIO) after the first one ever seen, the values it
 *    skipped when it moved forward by less than 2^31 modulo 2^32 (a step
 *    back or a repeat counts nothing), plus, for GPIO, every record after
 *    the first of the read (merged into one event).
 * A failed check aborts, which libFuzzer reports with the input.
 */
#include <errno.h>
#include <linux/gpio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/irq.h"

#define FAIL(...)                                    \
	do {                                         \
		fprintf(stderr, "fuzz_chip_events: " __VA_ARGS__); \
		fputc('\n', stderr);                 \
		abort();                             \
	} while (0)

/* The reference: values skipped going from *last to now. */
static uint64_t ref_skipped(bool *seen, uint64_t *last, uint32_t now)
{
	uint64_t fwd = ((uint64_t)now + (1ull << 32) - *last) % (1ull << 32), r = 0;

	if (*seen && fwd >= 2 && fwd < (1ull << 31))
		r = fwd - 1;
	*seen = true;
	*last = now;
	return r;
}

static void one_read(bool gpio, struct uwq__seq *s, bool *rseen, uint64_t *rlast, const uint8_t *buf,
		     size_t n)
{
	const size_t rec = sizeof(struct gpio_v2_line_event);
	struct uwq__seq before = *s;
	uint64_t missed = 7, want = 7;	/* the parsers add to it */
	bool valid = gpio ? n > 0 && n % rec == 0 : n == 4;
	int r = gpio ? uwq__gpio_parse(s, buf, n, &missed) : uwq__uio_parse(s, buf, n, &missed);

	if (!valid) {
		if (r != -EIO)
			FAIL("%s read of %zu bytes: %d, want -EIO", gpio ? "gpio" : "uio", n, r);
		if (missed != 7 || s->seen != before.seen || s->last != before.last)
			FAIL("%s read of %zu bytes: state changed on -EIO", gpio ? "gpio" : "uio", n);
		return;
	}
	if (r != 1)
		FAIL("%s read of %zu bytes: %d, want 1", gpio ? "gpio" : "uio", n, r);
	if (gpio) {
		for (size_t i = 0; i < n / rec; i++) {
			uint32_t seqno;

			memcpy(&seqno, buf + i * rec + offsetof(struct gpio_v2_line_event, seqno), sizeof(seqno));
			want += ref_skipped(rseen, rlast, seqno);
		}
		want += n / rec - 1;
	} else {
		uint32_t count;

		memcpy(&count, buf, sizeof(count));
		want += ref_skipped(rseen, rlast, count);
	}
	if (missed != want)
		FAIL("%s read of %zu bytes: missed %llu, want %llu", gpio ? "gpio" : "uio", n,
		     (unsigned long long)(missed - 7), (unsigned long long)(want - 7));
	if (!s->seen || s->last != (uint32_t)*rlast)
		FAIL("%s: state last %u, want %llu", gpio ? "gpio" : "uio", s->last, (unsigned long long)*rlast);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uwq__seq s = { 0 };
	uint64_t rlast = 0;
	bool rseen = false, gpio;
	size_t pos = 1;

	if (size < 1)
		return 0;
	gpio = !(data[0] & 1);
	while (pos + 2 <= size) {
		size_t len = (size_t)data[pos] | (size_t)data[pos + 1] << 8;

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		one_read(gpio, &s, &rseen, &rlast, data + pos, len);
		pos += len;
	}
	return 0;
}
