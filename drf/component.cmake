# drf: the DRF core keeps its register in the shared store (om_svc: SQLite,
# logging). Its tests also reach the factory, the TRE and the HSS: every test
# links every role library (CMakeLists.txt).
if(TARGET om_drf)
  target_link_libraries(om_drf PUBLIC om_svc)
endif()
