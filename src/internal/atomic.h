/* SPDX-License-Identifier: MIT */
/*
 * atomic.h - the only way uwq touches a field shared without a lock.
 *
 * Public structs hold plain fields (no _Atomic: C++ consumers), so every
 * shared access goes through these wrappers over the GCC __atomic builtins.
 * Each use site says what it publishes or why relaxed is enough.
 */
#ifndef UWQ_INTERNAL_ATOMIC_H
#define UWQ_INTERNAL_ATOMIC_H

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_load_sc(p)	__atomic_load_n((p), __ATOMIC_SEQ_CST)
#define atomic_xchg(p, v)	__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_or(p, v)	__atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_and(p, v)	__atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_add(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define atomic_add_fetch(p, v)	__atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_sub_fetch(p, v)	__atomic_sub_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_cas(p, oldp, n)	\
	__atomic_compare_exchange_n((p), (oldp), (n), 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif
