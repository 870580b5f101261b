/*
 * KEMI exports of the module (KSR.memcached.*).
 */
#ifndef KI_MEMCACHED_H
#define KI_MEMCACHED_H

/* Registers the KEMI table; called from mod_register. 0 on success. */
int ki_mc_register(void);

/* Frees this process's KEMI return buffer (mod_destroy). */
void ki_mc_destroy(void);

#endif
