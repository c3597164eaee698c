# vno: the visited network daemon. It speaks S6a through svc (freeDiameter)
# and reads its configuration and logs through svc.
if(TARGET om_vno)
  target_link_libraries(om_vno PUBLIC om_svc)
endif()
