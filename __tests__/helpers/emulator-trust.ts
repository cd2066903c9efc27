/**
 * Makes in-process TLS clients (Azure SDK, @azure/identity/MSAL, fetch) trust the emulator's
 * self-signed certificate, using Node 24's `tls.setDefaultCACertificates`.
 */
import tls from "node:tls";

/**
 * Adds `emu.caCertPem` to the process-wide default CA list (keeping the current defaults, which
 * include NODE_EXTRA_CA_CERTS). Returns a function that takes that one certificate out again, so
 * emulators whose lifetimes overlap in one process each keep theirs until they close.
 */
export function trustEmulator(emu: { caCertPem: string }): () => void {
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), emu.caCertPem]);
  const same = (pem: string) => pem.replace(/\s+/g, "") === emu.caCertPem.replace(/\s+/g, "");
  return () => {
    const current = tls.getCACertificates("default");
    const at = current.findIndex(same);
    if (at >= 0) tls.setDefaultCACertificates(current.filter((_, i) => i !== at));
  };
}
