/*
 * KEMI exports of the module (KSR.memcached.*).
 */
#ifndef KI_MEMCACHED_H
#define KI_MEMCACHED_H

/* Registers the KEMI table; called from mod_register. 0 on success. */
int ki_mc_register(void);

/* Frees this process's KEMI return buffer (mod_destroy). */
void ki_mc_destroy(void);

/* Frees the KEMI return buffer if a big value made it large (after a
 * script: the engines copied the value long before). */
void ki_mc_trim(void);

#endif
