# lab: the topology drives every role as its operators would: the factory,
# then only the daemons' sockets and HTTPS APIs: the stores seeded through
# the daemons' admin interfaces at the first start (lab_seed.c), the owners,
# the result checks; libcurl for the owner's HTTPS calls. The registration
# service's delivery-note reader (om_sho) is the one role code it runs; the
# other roles are linked for their headers (codes, sizes), and
# tests/boundary_test.c checks no store opening of theirs is referenced. The
# device agent's header is in reach even before om_agent has sources.
if(TARGET om_lab)
  target_link_libraries(om_lab PUBLIC om_factory om_hss om_pva om_sho om_drf om_svc)
  target_include_directories(om_lab PUBLIC ${CMAKE_SOURCE_DIR}/agent)
  # the DPF's status socket protocol (dpf_status.h: its page size); the lab reads results there
  target_include_directories(om_lab PRIVATE ${CMAKE_SOURCE_DIR}/dpf)
  if(TARGET om_agent)
    target_link_libraries(om_lab PUBLIC om_agent)
  endif()
endif()
