# dpf: the DPF links the shared services (store, logging, libcurl towards the
# PVA and the peers' DRFs), the SHO's registration core it decides for (and
# its peer client), and the DRF core whose register it fills for an active device.
if(TARGET om_dpf)
  target_link_libraries(om_dpf PUBLIC om_svc om_sho om_drf)
endif()
