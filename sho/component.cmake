# sho: the registration service links the shared services (store, log, OCSP
# client); the HSS is reached only through its provisioning socket. The owner
# API speaks JSON (cJSON) and asks this operator's DRF for transfer codes over
# its admin socket.
# Its tests also reach the factory and a real HSS: every test links every
# role library (CMakeLists.txt).
if(TARGET om_sho)
  target_link_libraries(om_sho PUBLIC om_svc PkgConfig::CJSON)
endif()
# Where openmcim-sho finds the console's files when [console] dir is not set:
# the checkout's for a build tree; an install sets it to share/openmcim/console.
set(OM_CONSOLE_DIR "${CMAKE_SOURCE_DIR}/sho/console" CACHE PATH "the web console's files (openmcim-sho default)")
set_property(SOURCE ${CMAKE_SOURCE_DIR}/sho/main.c APPEND PROPERTY COMPILE_DEFINITIONS
             OPENMCIM_CONSOLE_DIR="${OM_CONSOLE_DIR}")
# The owner API's OpenAPI check and the console's test in headless Chromium
# (docs/owner.md "Tests"): node scripts on a running lab, their npm packages
# installed by `npm ci` from the checked-in lock file into the build tree. Always
# registered: without node, npm or chromium they fail and say what is missing
# (run.sh), so a machine without them never counts them as passed.
if(OM_TESTS)
  foreach(t openapi browser)
    add_test(NAME sho_${t}_test
             COMMAND sh ${CMAKE_SOURCE_DIR}/sho/console/test/run.sh ${t} ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR})
    # one npm install directory for both: under `ctest -j` they must not run at once
    set_tests_properties(sho_${t}_test PROPERTIES TIMEOUT 900 RESOURCE_LOCK om_console_npm)
  endforeach()
endif()
