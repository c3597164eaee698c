# agent: the device agent drives the TRE (tre/), speaks the radio link and the
# DM codec of libopenmcim, and reaches the DPF over HTTPS with libcurl; the
# program reads its INI file and logs one line per event through svc.
if(TARGET om_agent)
  target_link_libraries(om_agent PUBLIC om_tre om_svc)
endif()
