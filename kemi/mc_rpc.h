/*
 * RPC commands memcached.* (see mc_rpc.c).
 */
#ifndef MC_RPC_H
#define MC_RPC_H

/* Registers the RPC commands; called from mod_init. 0 or -1 (logged). */
int mc_rpc_register(void);

#endif
