# Kamailio's -D list from its own CMake build (Kamailio's 6.1 packages are
# built with `dh --buildsystem=cmake` and CMake's defaults; any 6.0.4+ tree
# can be). Included by Kamailio.cmake with _ksr_src set; sets _ksr_flags (the
# words of one module's compile line).
#
# The tree is configured in a scratch build directory (the source tree is
# only read) with compile commands exported, and the compile line of one
# module source is read back: exactly the defines Kamailio's CMake gives its
# own modules, whose module_flags the loader compares with the binary's. No
# module is built. KAMAILIO_CMAKE_ARGS: the options the binary was built with
# (default: none, as Kamailio's packages).
set(KAMAILIO_CMAKE_ARGS "" CACHE STRING
	"Options the CMake-built Kamailio was configured with (-D...)")
set(_ksr_cm "${CMAKE_BINARY_DIR}/kamailio-cmake")
# The module whose compile line is read: in Kamailio's DEFAULT group in
# every CMake-capable release, no external library.
set(_ksr_cm_probe_src "src/modules/sl/sl.c")
if(NOT EXISTS "${_ksr_src}/CMakeLists.txt")
	message(FATAL_ERROR "${_ksr_src} has no CMake build (Kamailio before "
		"6.0 is built with make only): use KAMAILIO_BUILD_SYSTEM=make")
endif()
# Kamailio's own CMake configuration requires these (src/core/CMakeLists.txt:
# find_package(BISON/FLEX REQUIRED)); say so before it fails in its words.
find_program(KAMAILIO_BISON bison)
find_program(KAMAILIO_FLEX flex)
if(NOT KAMAILIO_BISON OR NOT KAMAILIO_FLEX)
	message(FATAL_ERROR "reading the flags of a CMake-built Kamailio runs "
		"Kamailio's CMake configuration, which needs bison and flex: install "
		"them (Debian: apt-get install bison flex)")
endif()
file(REMOVE_RECURSE "${_ksr_cm}")
execute_process(
	COMMAND ${CMAKE_COMMAND} -S "${_ksr_src}" -B "${_ksr_cm}"
		-DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DBUILD_DOC=OFF -DUSE_GIT=OFF
		${KAMAILIO_CMAKE_ARGS}
	RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT EXISTS "${_ksr_cm}/compile_commands.json")
	message(FATAL_ERROR "configuring Kamailio's CMake build of ${_ksr_src} "
		"in ${_ksr_cm} failed:\n${_out}\n${_err}")
endif()
file(READ "${_ksr_cm}/compile_commands.json" _ksr_cc)
string(JSON _n LENGTH "${_ksr_cc}")
set(_ksr_cmdline "")
math(EXPR _last "${_n} - 1")
foreach(_i RANGE ${_last})
	string(JSON _file GET "${_ksr_cc}" ${_i} file)
	if(_file MATCHES "/${_ksr_cm_probe_src}$")
		string(JSON _ksr_cmdline GET "${_ksr_cc}" ${_i} command)
		break()
	endif()
endforeach()
if(_ksr_cmdline STREQUAL "")
	message(FATAL_ERROR "no compile line for ${_ksr_cm_probe_src} in "
		"${_ksr_cm}/compile_commands.json: is module sl excluded "
		"(KAMAILIO_CMAKE_ARGS='${KAMAILIO_CMAKE_ARGS}')?")
endif()
separate_arguments(_ksr_words UNIX_COMMAND "${_ksr_cmdline}")
# The module's own names (MOD_NAME, MOD_NAMEID, sl_EXPORTS) are not
# Kamailio's: ours are set by kemi/CMakeLists.txt.
set(_ksr_flags "")
foreach(_w IN LISTS _ksr_words)
	if(_w MATCHES "^-DMOD_NAME(ID)?=" OR _w MATCHES "^-D[A-Za-z0-9_]+_EXPORTS$")
		continue()
	endif()
	list(APPEND _ksr_flags "${_w}")
endforeach()
