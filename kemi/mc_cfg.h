/*
 * Native kamailio.cfg functions: mc_get, mc_sets, mc_incx, ... one per
 * KEMI function, each resolving its parameters and calling the ki_mc_*
 * function KEMI calls (ki_memcached.h). See mc_cfg.c.
 */
#ifndef MC_CFG_H
#define MC_CFG_H

#include "core/sr_module.h"

/* The module's cmd_export_t table (exports.cmds), NULL-terminated. */
extern cmd_export_t mc_cfg_cmds[];

#endif
