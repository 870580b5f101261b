# Kamailio build configuration for an out-of-tree module.
#
# Kamailio's loader (ksr_version_control in src/core/sr_module.c) refuses a
# module unless two strings baked into it equal its own with strcmp:
# module_version ("kamailio 5.6.3 (x86_64/linux)") and module_flags (the
# "Compile flags" line of `kamailio -I`). Both are built by preprocessor
# #ifdefs in src/core/ver_defs.h, and many more defines that are not in those
# strings change struct layouts and macros (DBG_SR_MEMORY changes pkg_malloc).
# So the -D list is not kept by hand: it is taken from Kamailio's own build
# system, the one that built the binary:
#   make   (Debian's packages, `make cfg` builds up to 6.0): `make cfg`, run
#          with the options Debian's debian/rules uses, in a scratch tree of
#          symlinks under the build directory (the source tree is only read);
#   cmake  (Kamailio's own 6.1 packages, 6.0.4+ CMake builds): Kamailio's
#          CMake configuration of the tree with its defaults (what the
#          packages use) in a scratch build directory, and a module's compile
#          line read from its compile_commands.json.
# The two give different strings for the same release: CMake's OS_QUOTED is
# CMAKE_SYSTEM_NAME ("kamailio 6.1.4 (x86_64/Linux)", make says "linux"), and
# CMake's defaults add DBG_*_MALLOC flags. KAMAILIO_BUILD_SYSTEM=auto picks
# cmake when the binary's version string carries CMake's "Linux" and the tree
# has a CMakeLists.txt, make otherwise.
# The strings the -D list implies are then compiled and printed by a tiny C
# program and compared with the binary's; configure fails when they differ.
#
# Inputs (cache):
#   KAMAILIO_BIN              the kamailio binary the module will be loaded into
#   KAMAILIO_SRC_DIR          Kamailio source tree of that binary (5.6 or newer)
#   KAMAILIO_BUILD_SYSTEM     auto, make or cmake (see above)
#   KAMAILIO_MODULES_DIR      where that binary's modules are (default: its
#                             "Default paths to modules"; for the tests)
# Results:
#   KAMAILIO_VERSION          the binary's upstream version (e.g. 5.6.3)
#   KAMAILIO_VERSION_MAJOR_MINOR  e.g. 5.6
#   KAMAILIO_DEFINITIONS      the -D list (without -D), for every module source
#   KAMAILIO_COMPILE_OPTIONS  non -D options of the same list (-pthread)
#   KAMAILIO_MODULE_VERSION / KAMAILIO_MODULE_FLAGS  the strings our module
#                             carries (checked equal to the installed ones)
#   kamailio::module          interface target carrying all of the above

include_guard(GLOBAL)

find_program(KAMAILIO_BIN kamailio
	PATHS /usr/sbin /usr/local/sbin /sbin
	DOC "installed kamailio binary the module is checked against")
option(KAMAILIO_CHECK_INSTALLED
	"Fail configure unless module_version/module_flags equal the installed kamailio's"
	ON)

# --- Installed version ------------------------------------------------------
set(KAMAILIO_BUILD_SYSTEM "auto" CACHE STRING
	"Build system of the Kamailio binary: auto, make or cmake")
set_property(CACHE KAMAILIO_BUILD_SYSTEM PROPERTY STRINGS auto make cmake)
set(_ksr_installed_version "")
set(_ksr_installed_flags "")
set(KAMAILIO_VERSION "")
set(_ksr_default_moddir "")
if(KAMAILIO_BIN)
	execute_process(COMMAND ${KAMAILIO_BIN} -I
		OUTPUT_VARIABLE _ksr_info ERROR_VARIABLE _ksr_info_err
		RESULT_VARIABLE _ksr_rc)
	if(NOT _ksr_rc EQUAL 0)
		message(FATAL_ERROR "'${KAMAILIO_BIN} -I' failed (${_ksr_rc}): ${_ksr_info_err}")
	endif()
	if(_ksr_info MATCHES "Version: *([^\n]*)")
		string(STRIP "${CMAKE_MATCH_1}" _ksr_installed_version)
	endif()
	if(_ksr_info MATCHES "Default paths to modules: *([^\n]*)")
		string(STRIP "${CMAKE_MATCH_1}" _ksr_default_moddir)
	endif()
	if(_ksr_info MATCHES "Compile flags: *([^\n]*)")
		string(STRIP "${CMAKE_MATCH_1}" _ksr_installed_flags)
	endif()
	execute_process(COMMAND ${KAMAILIO_BIN} -v
		OUTPUT_VARIABLE _ksr_v ERROR_QUIET)
	set(_ksr_v_version "")
	set(_ksr_v_flags "")
	if(_ksr_v MATCHES "version: *([^\n]*)")
		string(STRIP "${CMAKE_MATCH_1}" _ksr_v_version)
	endif()
	if(_ksr_v MATCHES "flags: *([^\n]*)")
		string(STRIP "${CMAKE_MATCH_1}" _ksr_v_flags)
	endif()
	if(NOT _ksr_v_version STREQUAL _ksr_installed_version
			OR NOT _ksr_v_flags STREQUAL _ksr_installed_flags)
		message(FATAL_ERROR "kamailio -I and kamailio -v disagree:\n"
			"  -I: '${_ksr_installed_version}' / '${_ksr_installed_flags}'\n"
			"  -v: '${_ksr_v_version}' / '${_ksr_v_flags}'")
	endif()
	if(_ksr_installed_version MATCHES "^[^ ]+ (([0-9]+\\.[0-9]+)\\.[0-9]+)")
		set(KAMAILIO_VERSION "${CMAKE_MATCH_1}")
		set(KAMAILIO_VERSION_MAJOR_MINOR "${CMAKE_MATCH_2}")
	endif()
endif()
set(KAMAILIO_MODULES_DIR "${_ksr_default_moddir}" CACHE PATH
	"Directory of the modules of KAMAILIO_BIN (mpath of the tests)")
# KAMAILIO_DEB_VERSION: the Debian version of the kamailio package when the
# binary is that package's (empty for a source build): what the Debian
# package of the module depends on.
set(KAMAILIO_DEB_VERSION "")
if(KAMAILIO_BIN)
	get_filename_component(_ksr_bin_real "${KAMAILIO_BIN}" REALPATH)
	execute_process(COMMAND dpkg-query -S "${_ksr_bin_real}"
		OUTPUT_VARIABLE _ksr_owner RESULT_VARIABLE _rc ERROR_QUIET)
	if(_rc EQUAL 0 AND _ksr_owner MATCHES "^kamailio: ")
		execute_process(COMMAND dpkg-query -W -f=\${Version} kamailio
			OUTPUT_VARIABLE KAMAILIO_DEB_VERSION
			OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
	endif()
endif()
# The kamcmd beside that binary (the tests' RPC client).
if(KAMAILIO_BIN)
	get_filename_component(_ksr_bin_dir "${KAMAILIO_BIN}" DIRECTORY)
	find_program(KAMCMD_BIN kamcmd HINTS "${_ksr_bin_dir}" NO_DEFAULT_PATH)
	find_program(KAMCMD_BIN kamcmd PATHS /usr/sbin /usr/local/sbin
		DOC "kamcmd of the Kamailio under test")
endif()
if(KAMAILIO_VERSION STREQUAL "" AND KAMAILIO_CHECK_INSTALLED)
	message(FATAL_ERROR "no installed kamailio found (KAMAILIO_BIN="
		"'${KAMAILIO_BIN}'): install it (scripts/bootstrap.sh), point "
		"-DKAMAILIO_BIN at it, or configure with -DKAMAILIO_CHECK_INSTALLED=OFF "
		"and -DKAMAILIO_SRC_DIR=<tree> to build for another machine")
endif()

# --- Source tree ------------------------------------------------------------
set(KAMAILIO_SRC_DIR "${CMAKE_SOURCE_DIR}/.deps/kamailio-${KAMAILIO_VERSION}"
	CACHE PATH "Kamailio source tree (5.6 or newer) the module is compiled against")
get_filename_component(_ksr_src "${KAMAILIO_SRC_DIR}" ABSOLUTE)
if(NOT EXISTS "${_ksr_src}/src/core/sr_module.h")
	message(FATAL_ERROR "KAMAILIO_SRC_DIR='${KAMAILIO_SRC_DIR}' is not a Kamailio "
		"source tree (no src/core/sr_module.h). Run "
		"scripts/bootstrap.sh to fetch the installed version's source, or pass "
		"-DKAMAILIO_SRC_DIR=/path/to/kamailio")
endif()

# --- Build system of the binary, and its -D list ----------------------------
if(KAMAILIO_BUILD_SYSTEM STREQUAL "auto")
	set(_ksr_bs "make")
	if(_ksr_installed_version MATCHES "/${CMAKE_SYSTEM_NAME}\\)$"
			AND NOT _ksr_installed_version MATCHES "/linux\\)$"
			AND EXISTS "${_ksr_src}/CMakeLists.txt")
		set(_ksr_bs "cmake")
	endif()
else()
	set(_ksr_bs "${KAMAILIO_BUILD_SYSTEM}")
endif()
if(_ksr_bs STREQUAL "cmake")
	include(${CMAKE_CURRENT_LIST_DIR}/KamailioFlagsCMake.cmake)
elseif(_ksr_bs STREQUAL "make")
	include(${CMAKE_CURRENT_LIST_DIR}/KamailioFlagsMake.cmake)
else()
	message(FATAL_ERROR "KAMAILIO_BUILD_SYSTEM='${KAMAILIO_BUILD_SYSTEM}': "
		"use auto, make or cmake")
endif()
message(STATUS "Kamailio flags from its ${_ksr_bs} build")
set(KAMAILIO_BUILD_SYSTEM_USED "${_ksr_bs}")
# _ksr_flags: the compile line's words of a module of that tree.

set(KAMAILIO_DEFINITIONS "")
set(KAMAILIO_COMPILE_OPTIONS "")
set(_ksr_fortify "")
foreach(_f IN LISTS _ksr_flags)
	if(_f MATCHES "^-D(.+)$")
		set(_d "${CMAKE_MATCH_1}")
		if(_d MATCHES "^_FORTIFY_SOURCE")
			# Debian's hardening; needs optimisation (glibc warns without it).
			# Changes neither layouts nor the flags string.
			set(_ksr_fortify "${_d}")
		elseif(NOT _d IN_LIST KAMAILIO_DEFINITIONS)
			list(APPEND KAMAILIO_DEFINITIONS "${_d}")
		endif()
	elseif(_f STREQUAL "-pthread")
		# -pthread implies defines (_REENTRANT) too.
		if(NOT _f IN_LIST KAMAILIO_COMPILE_OPTIONS)
			list(APPEND KAMAILIO_COMPILE_OPTIONS "${_f}")
		endif()
	endif()
endforeach()
if(NOT "DBG_SR_MEMORY" IN_LIST KAMAILIO_DEFINITIONS
		AND _ksr_installed_flags MATCHES "DBG_SR_MEMORY")
	message(WARNING "${_ksr_bs} gave no DBG_SR_MEMORY; the flag check below will fail")
endif()

# --- What our module bakes in, and whether that binary's loader takes it ----
# The strings depend on the headers included before ver_defs.h, not only on
# the -D list: Kamailio 6.x's mem/q_malloc.h defines DBG_QM_MALLOC when
# DBG_SR_MEMORY is set, which adds to the flags string of every file that
# includes it. So `kamailio -I` (main.c) of a CMake build prints flags that
# neither its own modules nor its loader (sr_module.c) carry. The only judge
# is the loader itself: a probe module is built with these flags and with
# exactly the #include lines kemi/mod_memcached.c has before MODULE_VERSION
# (read from that file, so the two cannot drift apart), and loaded by
# `KAMAILIO_BIN -c`. The same source built as a program prints the strings
# for the messages.
set(_ksr_probe "${CMAKE_BINARY_DIR}/kamailio-probe")
set(_ksr_proj "${CMAKE_CURRENT_LIST_DIR}/..")
file(REMOVE_RECURSE "${_ksr_probe}")
file(MAKE_DIRECTORY "${_ksr_probe}")
file(STRINGS "${_ksr_proj}/kemi/mod_memcached.c" _ksr_main_lines)
set(_ksr_includes "")
foreach(_l IN LISTS _ksr_main_lines)
	if(_l MATCHES "^MODULE_VERSION")
		break()
	elseif(_l MATCHES "^#include ")
		string(APPEND _ksr_includes "${_l}\n")
	endif()
endforeach()
file(WRITE "${_ksr_probe}/ksr_probe.c"
	"/* a module carrying the strings kemi/mod_memcached.c carries */\n"
	"#include <stdio.h>\n"
	"${_ksr_includes}"
	"MODULE_VERSION\n"
	"#ifdef KSR_PROBE_MAIN\n"
	"int main(void)\n{\n"
	"\tprintf(\"version=%s\\nflags=%s\\n\", module_version, module_flags);\n"
	"\treturn 0;\n}\n"
	"#else\n"
	"struct module_exports exports = {.name = \"mc_flags_probe\"};\n"
	"#endif\n")
set(_ksr_probe_inc -I "${_ksr_src}/src" -I "${_ksr_proj}/kemi"
	-I "${_ksr_proj}/pv" -I "${_ksr_proj}/core")
set(_ksr_dflags "")
foreach(_d IN LISTS KAMAILIO_DEFINITIONS)
	list(APPEND _ksr_dflags "-D${_d}")
endforeach()
execute_process(
	COMMAND ${CMAKE_C_COMPILER} ${_ksr_dflags} ${KAMAILIO_COMPILE_OPTIONS}
		-DKSR_PROBE_MAIN ${_ksr_probe_inc} "${_ksr_probe}/ksr_probe.c"
		-o "${_ksr_probe}/ksr_probe"
	RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
	message(FATAL_ERROR "cannot compile the module_version/module_flags probe:\n${_out}\n${_err}")
endif()
execute_process(COMMAND "${_ksr_probe}/ksr_probe"
	RESULT_VARIABLE _rc OUTPUT_VARIABLE _out)
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "version=([^\n]*)\nflags=([^\n]*)")
	message(FATAL_ERROR "module_version/module_flags probe failed: ${_out}")
endif()
set(KAMAILIO_MODULE_VERSION "${CMAKE_MATCH_1}")
set(KAMAILIO_MODULE_FLAGS "${CMAKE_MATCH_2}")
string(STRIP "${KAMAILIO_MODULE_VERSION}" _ksr_mv)
string(STRIP "${KAMAILIO_MODULE_FLAGS}" _ksr_mf)

message(STATUS "Kamailio source: ${_ksr_src}")
message(STATUS "Kamailio module_version: '${_ksr_mv}'")
message(STATUS "Kamailio module_flags:   '${_ksr_mf}'")
if(KAMAILIO_CHECK_INSTALLED)
	execute_process(
		COMMAND ${CMAKE_C_COMPILER} ${_ksr_dflags} ${KAMAILIO_COMPILE_OPTIONS}
			-shared -fPIC ${_ksr_probe_inc} "${_ksr_probe}/ksr_probe.c"
			-o "${_ksr_probe}/mc_flags_probe.so"
		RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
	if(NOT _rc EQUAL 0)
		message(FATAL_ERROR "cannot compile the probe module:\n${_out}\n${_err}")
	endif()
	file(WRITE "${_ksr_probe}/probe.cfg"
		"#!KAMAILIO\nlisten=udp:127.0.0.1:5060\n"
		"loadmodule \"${_ksr_probe}/mc_flags_probe.so\"\n"
		"request_route { exit; }\n")
	execute_process(
		COMMAND ${KAMAILIO_BIN} -c -f "${_ksr_probe}/probe.cfg"
		RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
	if(NOT _rc EQUAL 0)
		string(REGEX MATCHALL "[^\n]*(mismatch|core:|module:)[^\n]*" _said "${_out}")
		list(JOIN _said "\n    " _said)
		message(FATAL_ERROR
			"the module would not load into ${KAMAILIO_BIN}: its loader "
			"refused a probe module built with these flags.\n"
			"  module_version (ours):      '${_ksr_mv}'\n"
			"  Version (kamailio -I):      '${_ksr_installed_version}'\n"
			"  module_flags (ours):        '${_ksr_mf}'\n"
			"  Compile flags (kamailio -I): '${_ksr_installed_flags}'\n"
			"  the loader said:\n    ${_said}\n"
			"Build against the source of that binary (-DKAMAILIO_SRC_DIR), "
			"with its build system (KAMAILIO_BUILD_SYSTEM=${_ksr_bs}) and its "
			"options (KAMAILIO_MAKE_CFG_ARGS or KAMAILIO_CMAKE_ARGS).")
	endif()
	message(STATUS "Kamailio: ${KAMAILIO_BIN} loads a module built with these flags")
endif()

# --- Interface target ----------------------------------------------------------
add_library(kamailio_module INTERFACE)
add_library(kamailio::module ALIAS kamailio_module)
# SYSTEM: Kamailio's headers are not ours to keep -Wextra-clean.
target_include_directories(kamailio_module SYSTEM INTERFACE "${_ksr_src}/src")
target_compile_definitions(kamailio_module INTERFACE ${KAMAILIO_DEFINITIONS})
if(_ksr_fortify)
	target_compile_definitions(kamailio_module INTERFACE
		$<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:${_ksr_fortify}>)
endif()
target_compile_options(kamailio_module INTERFACE ${KAMAILIO_COMPILE_OPTIONS})
