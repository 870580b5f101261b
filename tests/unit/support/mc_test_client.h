/*
 * Test support: a core client for a unit test. One place that fills the
 * settings every test shares, so a test states only what it is about.
 */
#ifndef MC_TEST_CLIENT_H
#define MC_TEST_CLIENT_H

#include "mc_client.h"
#include "mc_config.h"

/*
 * Zeroes cfg and sets servers and the tests' timeout (1000 ms: long enough
 * for a loaded machine, short enough that a hang fails the test). The
 * caller sets the rest (protocol, prefix, credentials...) before
 * mc_test_client_new.
 */
void mc_test_config(mc_config_t *cfg, const char *servers);

/*
 * mc_client_new(cfg), failing the running cmocka test with the client's
 * message when it is refused. The caller frees the client.
 */
mc_client_t *mc_test_client_new(const mc_config_t *cfg);

#endif
