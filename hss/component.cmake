# hss: the HSS core links the shared services (SQLite store, logging, S6a).
if(TARGET om_hss)
  target_link_libraries(om_hss PUBLIC om_svc)
endif()
