# cmake -DSRC=<project> -DBIN=<dir> -DCC=<compiler> -DKSRC=<kamailio src>
#       -P build.cmake
# The nested sanitizer build: configure <project> with MC_SANITIZE in <dir>
# and build only the module and the canary (the targets the sanitize tests
# load). Re-running is incremental.
foreach(v SRC BIN CC)
	if(NOT DEFINED ${v})
		message(FATAL_ERROR "build.cmake: -D${v}=... missing")
	endif()
endforeach()
set(_ksrc "")
if(KSRC)
	set(_ksrc "-DKAMAILIO_SRC_DIR=${KSRC}")
endif()
execute_process(
	COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN} -DMC_SANITIZE=ON
		-DMC_BUILD_MODULE=ON -DMC_BUILD_TESTS=ON
		-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=${CC} ${_ksrc}
	RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "configure of the sanitizer build failed (${rc})")
endif()
execute_process(
	COMMAND ${CMAKE_COMMAND} --build ${BIN} -j2
		--target mc_module mc_asan_canary
	RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
	message(FATAL_ERROR "sanitizer build failed (${rc})")
endif()
