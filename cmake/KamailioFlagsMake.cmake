# Kamailio's -D list from `make cfg` (a make-built Kamailio: Debian's
# packages, and every make build). Included by Kamailio.cmake with _ksr_src
# set; sets _ksr_flags (the words of C_DEFS and MOD_CFLAGS).
#
# A tree of symlinks to the top level of src/: make cfg writes config.mak and
# modules.lst into the scratch src/, never into the user's tree (another build,
# e.g. app_lua for the e2e tests, may use that tree with its own config).
if(NOT EXISTS "${_ksr_src}/src/Makefile.defs")
	message(FATAL_ERROR "${_ksr_src} has no make build (src/Makefile.defs): "
		"use KAMAILIO_BUILD_SYSTEM=cmake")
endif()
find_program(KAMAILIO_MAKE NAMES gmake make REQUIRED)
find_program(DPKG_BUILDFLAGS dpkg-buildflags)
set(_ksr_cfg "${CMAKE_BINARY_DIR}/kamailio-cfg")
file(REMOVE_RECURSE "${_ksr_cfg}")
file(MAKE_DIRECTORY "${_ksr_cfg}/src")
file(GLOB _ksr_entries RELATIVE "${_ksr_src}/src" "${_ksr_src}/src/*")
foreach(_e IN LISTS _ksr_entries)
	if(_e MATCHES "^(config\\.mak|modules\\.lst|.*\\.[od]|kamailio)$")
		continue()
	endif()
	file(CREATE_LINK "${_ksr_src}/src/${_e}" "${_ksr_cfg}/src/${_e}" SYMBOLIC)
endforeach()

# Debian's debian/rules: hardening=+all, CPPFLAGS + CFLAGS + -DVERSION_NODATE as
# CC_EXTRA_OPTS, prefix=/usr, cfg_target=/etc/kamailio/, FLAVOUR=kamailio,
# group_include=kstandard.
set(_ksr_cc_extra "")
set(_ksr_ld_extra "")
if(DPKG_BUILDFLAGS)
	foreach(_f CPPFLAGS CFLAGS)
		execute_process(COMMAND ${CMAKE_COMMAND} -E env
			DEB_BUILD_MAINT_OPTIONS=hardening=+all
			${DPKG_BUILDFLAGS} --get ${_f}
			OUTPUT_VARIABLE _out OUTPUT_STRIP_TRAILING_WHITESPACE)
		string(APPEND _ksr_cc_extra " ${_out}")
	endforeach()
	execute_process(COMMAND ${CMAKE_COMMAND} -E env
		DEB_BUILD_MAINT_OPTIONS=hardening=+all
		${DPKG_BUILDFLAGS} --get LDFLAGS
		OUTPUT_VARIABLE _ksr_ld_extra OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
string(APPEND _ksr_cc_extra " -DVERSION_NODATE")
string(STRIP "${_ksr_cc_extra}" _ksr_cc_extra)
set(KAMAILIO_MAKE_CFG_ARGS
	quiet=verbose prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio
	group_include=kstandard
	CACHE STRING "Options for Kamailio's `make cfg` (besides CC and CC_EXTRA_OPTS)")
execute_process(
	COMMAND ${KAMAILIO_MAKE} -C "${_ksr_cfg}/src" cfg
		${KAMAILIO_MAKE_CFG_ARGS}
		"CC=${CMAKE_C_COMPILER}"
		"CC_EXTRA_OPTS=${_ksr_cc_extra}"
		"LD_EXTRA_OPTS=${_ksr_ld_extra}"
	RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT EXISTS "${_ksr_cfg}/src/config.mak")
	message(FATAL_ERROR "Kamailio `make cfg` failed in ${_ksr_cfg}/src:\n${_out}\n${_err}")
endif()

# Print the evaluated flags the module Makefile would use: C_DEFS and
# MOD_CFLAGS (which carries CC_EXTRA_OPTS and CC_PMUTEX_OPTS, where
# -DKSR_PTHREAD_MUTEX_SHARED comes from).
file(WRITE "${_ksr_cfg}/src/print-flags.mk"
	"include config.mak\n"
	"$(info KSR_C_DEFS=$(C_DEFS))\n"
	"$(info KSR_MOD_CFLAGS=$(MOD_CFLAGS))\n"
	"all: ;\n")
execute_process(
	COMMAND ${KAMAILIO_MAKE} -s -C "${_ksr_cfg}/src" -f print-flags.mk all
	RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "KSR_C_DEFS=([^\n]*)\nKSR_MOD_CFLAGS=([^\n]*)")
	message(FATAL_ERROR "cannot read flags from ${_ksr_cfg}/src/config.mak:\n${_out}\n${_err}")
endif()
set(_ksr_flags "${CMAKE_MATCH_1} ${CMAKE_MATCH_2}")
# Shell-style split: -DNAME='"kamailio"' becomes -DNAME="kamailio".
separate_arguments(_ksr_flags UNIX_COMMAND "${_ksr_flags}")
