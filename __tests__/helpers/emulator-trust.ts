/**
 * Makes in-process TLS clients (Azure SDK, @azure/identity/MSAL, fetch) trust the emulator's
 * self-signed certificate, using Node 24's `tls.setDefaultCACertificates`.
 */
import tls from 'node:tls';

/**
 * Adds `emu.caCertPem` to the process-wide default CA list (keeping the current defaults, which
 * include NODE_EXTRA_CA_CERTS). Returns a function that restores the previous list.
 */
export function trustEmulator(emu: { caCertPem: string }): () => void {
  const previous = tls.getCACertificates('default');
  tls.setDefaultCACertificates([...previous, emu.caCertPem]);
  return () => tls.setDefaultCACertificates(previous);
}
