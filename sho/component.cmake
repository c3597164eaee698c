# sho: the registration service links the shared services (store, log, OCSP
# client); the HSS is reached only through its provisioning socket. Its tests
# also reach the factory and a real HSS: every test links every role library
# (CMakeLists.txt).
if(TARGET om_sho)
  target_link_libraries(om_sho PUBLIC om_svc)
endif()
