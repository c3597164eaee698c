# The factory writes each device's TRE state through the TRE's own API
# (om_tre_personalise), so om_factory links om_tre.
if(TARGET om_tre)
  target_link_libraries(om_factory PUBLIC om_tre)
endif()
