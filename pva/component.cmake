# pva: the PVA links the shared services (SQLite store, logging, HTTP server).
if(TARGET om_pva)
  target_link_libraries(om_pva PUBLIC om_svc)
endif()
