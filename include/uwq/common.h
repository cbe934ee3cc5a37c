/* SPDX-License-Identifier: MIT */
/*
 * uwq/common.h - the export macro and version shared by every uwq header.
 */
#ifndef UWQ_COMMON_H
#define UWQ_COMMON_H

#define UWQ_VERSION_MAJOR 0
#define UWQ_VERSION_MINOR 1
#define UWQ_VERSION_PATCH 0

#if defined(UWQ_BUILDING) && defined(__GNUC__)
#define UWQ_API __attribute__((visibility("default")))
#else
#define UWQ_API
#endif

#endif /* UWQ_COMMON_H */
