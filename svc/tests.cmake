# svc/wipe: the interposer that wipes every freed block (threats D.9). Only in
# builds without the sanitizers, which own the allocator.
if(NOT OM_SANITIZE AND NOT OM_FUZZ)
  add_executable(wipe_free_test ${CMAKE_SOURCE_DIR}/svc/wipe/wipe_free_test.c
                                ${CMAKE_SOURCE_DIR}/svc/wipe/wipe_free.c)
  target_link_libraries(wipe_free_test PRIVATE omtest om_svc OpenSSL::Crypto)
  add_test(NAME wipe_free_test COMMAND wipe_free_test)
  set_tests_properties(wipe_free_test PROPERTIES
    ENVIRONMENT "OM_HSS_BIN=$<TARGET_FILE:openmcim-hss>;OM_VNO_BIN=$<TARGET_FILE:openmcim-vno>"
    TIMEOUT 60)
endif()
