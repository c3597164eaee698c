# tre's test wiring, included after every test program is defined.
# tre_tpm_fault_test runs the TRE built with its fault points (tre/seal.h,
# OM_TRE_FAULTS): its own objects come before libom_tre on the link line, so
# none of the library's members is pulled in, and libom_tre itself never has
# the fault points.
if(TARGET tre_tpm_fault_test AND TARGET om_tre)
  get_target_property(om_tre_sources om_tre SOURCES)
  target_sources(tre_tpm_fault_test PRIVATE ${om_tre_sources})
  target_compile_definitions(tre_tpm_fault_test PRIVATE OM_TRE_FAULTS=1)
  target_include_directories(tre_tpm_fault_test PRIVATE ${CMAKE_SOURCE_DIR}/tre)
endif()
