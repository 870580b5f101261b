#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mc_test_client.h"

void mc_test_config(mc_config_t *cfg, const char *servers)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->servers = servers;
	cfg->timeout_ms = 1000;
}

mc_client_t *mc_test_client_new(const mc_config_t *cfg)
{
	mc_client_t *c = NULL;
	char err[256];

	err[0] = '\0';
	if(mc_client_new(cfg, &c, err, sizeof(err)) != MC_OK)
		fail_msg("client for \"%s\" refused: %s", cfg->servers, err);
	return c;
}
