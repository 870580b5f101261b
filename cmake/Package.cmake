# Debian package of the module (cpack -G DEB, or the `package` target).
# It installs memcached.so into Kamailio's module directory, so that
# `loadmodule "memcached.so"` finds it by name, and therefore replaces and
# conflicts with Debian's kamailio-memcached-modules (same file, same module
# name: two modules named memcached cannot load in one Kamailio anyway).

if(NOT TARGET mc_module)
	return()
endif()
if(KAMAILIO_DEB_VERSION STREQUAL "")
	# A source-built Kamailio: the .deb would have to depend on a package
	# that is not there. Its users install the .so (doc: "Installation").
	message(STATUS "package: ${KAMAILIO_BIN} is not Debian's kamailio "
		"package; no Debian package")
	return()
endif()

execute_process(COMMAND dpkg-architecture -qDEB_HOST_MULTIARCH
	OUTPUT_VARIABLE MC_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE
	ERROR_QUIET)
if(NOT MC_MULTIARCH)
	set(MC_MULTIARCH "x86_64-linux-gnu")
endif()
set(MC_KAMAILIO_DEB_VERSION "${KAMAILIO_DEB_VERSION}")
# The distribution the package is for (bookworm, trixie): its release part,
# so the two packages of one module version have different names.
execute_process(COMMAND sh -c ". /etc/os-release && echo $VERSION_CODENAME"
	OUTPUT_VARIABLE MC_DEB_CODENAME OUTPUT_STRIP_TRAILING_WHITESPACE)

install(TARGETS mc_module
	LIBRARY DESTINATION "lib/${MC_MULTIARCH}/kamailio/modules"
	COMPONENT module)
install(FILES README.md DESTINATION "share/doc/kamailio-memcached-kemi"
	COMPONENT module)
if(EXISTS "${CMAKE_SOURCE_DIR}/doc/memcached.md")
	install(FILES doc/memcached.md
		DESTINATION "share/doc/kamailio-memcached-kemi" COMPONENT module)
endif()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "kamailio-memcached-kemi")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_PACKAGE_RELEASE "1+${MC_DEB_CODENAME}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGE_CONTACT "kamailio-memcached developers <dev@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
	"memcached module for Kamailio with KEMI functions and $mct PVs")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The module is built against the headers and compile flags of exactly one
# Kamailio release; the loader refuses any other, so the package does too.
string(REGEX MATCH "^[0-9]+\\.[0-9]+\\.[0-9]+" _kv "${MC_KAMAILIO_DEB_VERSION}")
if(_kv)
	# Allow Debian revisions of the same upstream release, nothing newer:
	# e.g. 5.6.3 gives (>= 5.6.3), (<< 5.6.4~).
	string(REGEX MATCHALL "[0-9]+" _parts "${_kv}")
	list(GET _parts 0 _maj)
	list(GET _parts 1 _min)
	list(GET _parts 2 _pat)
	math(EXPR _next "${_pat} + 1")
	set(CPACK_DEBIAN_PACKAGE_DEPENDS
		"kamailio (>= ${_kv}), kamailio (<< ${_maj}.${_min}.${_next}~)")
endif()
set(CPACK_DEBIAN_PACKAGE_CONFLICTS "kamailio-memcached-modules")
set(CPACK_DEBIAN_PACKAGE_REPLACES "kamailio-memcached-modules")
set(CPACK_DEBIAN_PACKAGE_PROVIDES "kamailio-memcached-modules")
include(CPack)
