# dpf: the DPF links the shared services (store, logging, libcurl towards the
# PVA) and the SHO's registration core it decides for.
if(TARGET om_dpf)
  target_link_libraries(om_dpf PUBLIC om_svc om_sho)
endif()
