# `cmake --install`: the layout of docs/operate.md "Install". With the Debian
# prefix /usr: programs in /usr/bin, configurations in /etc/openmcim, state in
# /var/lib/openmcim, sockets in /run/openmcim, units in /lib/systemd/system,
# the service user from /usr/lib/sysusers.d, the core library and its headers
# for other programs. DESTDIR stages it (tests/install_test.sh, debian/rules).
include(GNUInstallDirs)

set(OM_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/openmcim")
set(OM_STATE_DIR "${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/openmcim")
set(OM_RUN_DIR "/run/openmcim")
set(OM_BIN_DIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(OM_DOC_DIR "${CMAKE_INSTALL_FULL_DOCDIR}")
# Debian bookworm keeps units in /lib/systemd/system (lintian: systemd-service-file-outside-lib)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(OM_UNIT_DIR_DEFAULT "/lib/systemd/system")
else()
  set(OM_UNIT_DIR_DEFAULT "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(OM_SYSTEMD_UNIT_DIR "${OM_UNIT_DIR_DEFAULT}" CACHE PATH "where the systemd units go")

# The network functions (one unit each) and the device side.
set(OM_DAEMONS hss pva sho drf dpf vno aas)
foreach(nf ${OM_DAEMONS})
  if(TARGET openmcim-${nf})
    install(TARGETS openmcim-${nf} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT network)
    configure_file(${CMAKE_SOURCE_DIR}/dist/systemd/openmcim-${nf}.service.in
                   ${CMAKE_BINARY_DIR}/dist/openmcim-${nf}.service @ONLY)
    install(FILES ${CMAKE_BINARY_DIR}/dist/openmcim-${nf}.service DESTINATION ${OM_SYSTEMD_UNIT_DIR}
            COMPONENT network)
  endif()
endforeach()
install(TARGETS openmcim-agent openmcim-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT device)

# Manual pages (man/): one per daemon in section 8, the agent's too, the openmcim command in section 1.
foreach(nf ${OM_DAEMONS})
  install(FILES ${CMAKE_SOURCE_DIR}/man/openmcim-${nf}.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT network)
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/man/openmcim-agent.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT device)
install(FILES ${CMAKE_SOURCE_DIR}/man/openmcim.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT device)

# conf/<name>.conf.example -> /etc/openmcim/<name>.conf
file(GLOB OM_CONF_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/conf/*.conf.example)
foreach(f ${OM_CONF_EXAMPLES})
  get_filename_component(name ${f} NAME)
  string(REGEX REPLACE "\\.example$" "" name ${name})
  if(name STREQUAL "agent.conf")
    set(comp device)
  else()
    set(comp network)
  endif()
  # the examples name the Debian layout; another prefix gets its own directories
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${f})
  file(READ ${f} text)
  string(REPLACE "/etc/openmcim" "${OM_CONF_DIR}" text "${text}")
  string(REPLACE "/var/lib/openmcim" "${OM_STATE_DIR}" text "${text}")
  file(WRITE ${CMAKE_BINARY_DIR}/dist/conf/${name} "${text}")
  install(FILES ${CMAKE_BINARY_DIR}/dist/conf/${name} DESTINATION ${OM_CONF_DIR}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT ${comp})
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/dist/sysusers.conf DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/sysusers.d
        RENAME openmcim.conf COMPONENT network)
install(FILES ${CMAKE_SOURCE_DIR}/docs/operate.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT network)
# The certificates and keys of the conf/ deployment, each where its configuration names it
# (docs/operate.md "One operator from scratch"), configured with this install's directories.
configure_file(${CMAKE_SOURCE_DIR}/dist/openmcim-operator-pki.in ${CMAKE_BINARY_DIR}/dist/openmcim-operator-pki @ONLY)
install(PROGRAMS ${CMAKE_BINARY_DIR}/dist/openmcim-operator-pki DESTINATION ${CMAKE_INSTALL_DATADIR}/openmcim
        COMPONENT network)

# The shared core and the TRE for other programs: static libraries, headers, pkg-config.
install(TARGETS openmcim ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
if(TARGET om_tre)
  set_target_properties(om_tre PROPERTIES OUTPUT_NAME openmcim-tre)
  install(TARGETS om_tre ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/openmcim DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
configure_file(${CMAKE_SOURCE_DIR}/dist/openmcim.pc.in ${CMAKE_BINARY_DIR}/dist/openmcim.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/dist/openmcim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
