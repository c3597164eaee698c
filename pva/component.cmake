# pva: the PVA links the shared services (SQLite store, logging, HTTP server),
# and tpm2-tss's marshalling library to read TPM quotes (quote.c).
pkg_check_modules(PVA_TSS2 REQUIRED IMPORTED_TARGET tss2-mu)
if(TARGET om_pva)
  target_link_libraries(om_pva PUBLIC om_svc PkgConfig::PVA_TSS2)
endif()
