/* SPDX-License-Identifier: MIT */
/*
 * uwq.h - umbrella header. Never includes the kernel spellings in uwq/linux/.
 */
#ifndef UWQ_H
#define UWQ_H

#include <uwq/common.h>
#include <uwq/workqueue.h>
#include <uwq/stats.h>
#include <uwq/irq.h>
#include <uwq/async.h>
#include <uwq/ordered.h>
#include <uwq/export.h>

#endif /* UWQ_H */
