# aas: the application activation server links the shared services (HTTP
# server, configuration, logging) and the DM and application-parameters
# codecs of libopenmcim.
if(TARGET om_aas)
  target_link_libraries(om_aas PUBLIC om_svc)
endif()
