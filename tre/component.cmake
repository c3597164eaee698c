# tre: the TRE's sealing backends (tre/seal.h). The TPM 2.0 backend talks to
# the TPM through tpm2-tss (ESAPI, the TCTI loader, marshalling); the
# PKCS#11 backend loads its module through p11-kit.
pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET tss2-esys tss2-tctildr tss2-mu tss2-rc)
pkg_check_modules(P11KIT REQUIRED IMPORTED_TARGET p11-kit-1)
if(TARGET om_tre)
  target_link_libraries(om_tre PUBLIC PkgConfig::TSS2 PkgConfig::P11KIT)
endif()
