# svc: the services the daemons share (configuration, logging, storage,
# Diameter S6a, HTTP server and clients, OCSP). SQLite is the default store,
# PostgreSQL (libpq) the shared one; freeDiameter carries S6a.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
find_library(FDCORE_LIB fdcore REQUIRED)
find_library(FDPROTO_LIB fdproto REQUIRED)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent libevent_openssl)
pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl)
if(TARGET om_svc)
  target_link_libraries(om_svc PUBLIC PkgConfig::SQLITE3 PkgConfig::LIBPQ ${FDCORE_LIB} ${FDPROTO_LIB})
  target_link_libraries(om_svc PUBLIC PkgConfig::LIBEVENT PkgConfig::LIBCURL OpenSSL::SSL)
endif()
# sd_notify: readiness, reload and stop for Type=notify units (debian/*.service)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
if(TARGET om_svc)
  target_link_libraries(om_svc PUBLIC PkgConfig::LIBSYSTEMD)
endif()
